// Encoding: the result of tokenizing one input (or pair) with everything a model batch needs, plus the padding and
// truncation options of Tokenizer.encodeBatch.

/// Which end of a sequence to pad or truncate.
public enum Side: Sendable, Equatable {
    /// Which end padding or truncation acts on.
    case left, right
}

/// How `encodeBatch` pads its encodings.
public enum Padding: Sendable, Equatable {
    /// No padding: encodings keep their own lengths.
    case none
    /// Pad every encoding to the longest one in the batch.
    case longest(side: Side)
    /// Pad every encoding to this length (longer ones are left as they are; combine with truncation to cap them).
    case maxLength(Int, side: Side)
}

/// How `encodeBatch` truncates: the total length, special tokens included, is at most `maxLength`. Tokens are
/// removed from the text before the post-processor adds its special tokens, so `[CLS]`/`[SEP]` always survive.
public struct Truncation: Sendable, Equatable {
    /// Largest number of tokens, special tokens included.
    public var maxLength: Int
    /// Which end loses tokens.
    public var side: Side

    /// Truncates to `maxLength` tokens, removing them from `side` (the end, by default).
    public init(maxLength: Int, side: Side = .right) {
        self.maxLength = maxLength
        self.side = side
    }
}

/// One tokenized input: ids and the per-token arrays a model batch needs.
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int]
    /// Segment ids (0 for the first sequence, 1 for the second of a pair; as the post-processor assigns them).
    public var typeIds: [Int]
    /// Token texts as the vocabulary spells them (byte-level tokens keep their "Ġ" spelling).
    public var tokens: [String]
    /// For each token, the UTF-8 byte range of the input it came from (of the second input for a pair's second
    /// sequence). Special tokens added by the post-processor and padding have an empty range at 0.
    public var offsets: [Range<Int>]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]
    /// 1 for the special tokens added by the post-processor and for padding, 0 otherwise.
    public var specialTokensMask: [Int]
    /// For each token, 0 or 1: which input of a pair it belongs to; nil for special tokens and padding.
    public var sequenceIds: [Int?]

    /// An empty encoding.
    public init() {
        ids = []
        typeIds = []
        tokens = []
        offsets = []
        attentionMask = []
        specialTokensMask = []
        sequenceIds = []
    }

    /// Number of tokens.
    public var count: Int { ids.count }

    /// Appends one token.
    mutating func append(id: Int, token: String, offset: Range<Int>, typeId: Int, special: Bool, sequence: Int?) {
        ids.append(id)
        typeIds.append(typeId)
        tokens.append(token)
        offsets.append(offset)
        attentionMask.append(1)
        specialTokensMask.append(special ? 1 : 0)
        sequenceIds.append(sequence)
    }

    /// Appends all tokens of `other`.
    mutating func append(contentsOf other: Encoding) {
        ids += other.ids
        typeIds += other.typeIds
        tokens += other.tokens
        offsets += other.offsets
        attentionMask += other.attentionMask
        specialTokensMask += other.specialTokensMask
        sequenceIds += other.sequenceIds
    }

    /// Sets every type id.
    mutating func setTypeIds(_ typeId: Int) { typeIds = [Int](repeating: typeId, count: ids.count) }

    /// Sets every sequence id.
    mutating func setSequence(_ sequence: Int) { sequenceIds = [Int?](repeating: sequence, count: ids.count) }

    /// Keeps `maxCount` tokens, dropping the rest from `side`.
    mutating func truncate(to maxCount: Int, side: Side) {
        let n = max(0, maxCount)
        guard ids.count > n else { return }
        func cut<T>(_ a: inout [T]) { a = side == .right ? Array(a.prefix(n)) : Array(a.suffix(n)) }
        cut(&ids); cut(&typeIds); cut(&tokens); cut(&offsets)
        cut(&attentionMask); cut(&specialTokensMask); cut(&sequenceIds)
    }

    /// Pads to `length` with `padId` on `side` (attention mask 0, special-token mask 1).
    mutating func pad(to length: Int, padId: Int, padToken: String, side: Side) {
        let n = length - ids.count
        guard n > 0 else { return }
        func grow<T>(_ a: inout [T], _ value: T) {
            let fill = [T](repeating: value, count: n)
            a = side == .right ? a + fill : fill + a
        }
        grow(&ids, padId); grow(&typeIds, 0); grow(&tokens, padToken); grow(&offsets, 0..<0)
        grow(&attentionMask, 0); grow(&specialTokensMask, 1); grow(&sequenceIds, nil)
    }
}
