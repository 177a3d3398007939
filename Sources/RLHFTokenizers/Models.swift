// Models (HF `models`): turn one pre-tokenized piece into token ids. The vocabulary type shared by all of them,
// the model protocol, the JSON "type" enum and the factory live here; BPE and WordPiece have their own files.

/// One token produced by a model: its id and the range of scalars (indices into the AlignedText) it covers.
struct ModelToken {
    var id: Int
    var range: Range<Int>
}

/// The third stage of the pipeline: tokenizes one piece.
protocol TokenizationModel: AnyObject, Sendable {
    /// Appends the tokens of `text.scalars[piece]` to `out`.
    func tokenize(_ text: AlignedText, _ piece: Range<Int>, into out: inout [ModelToken])
    var vocabulary: Vocabulary { get }
    /// The unknown token's text, when the model has one.
    var unkToken: String? { get }
}

/// The `"type"` tags of tokenizer.json models that this library implements.
enum ModelType: String, CaseIterable {
    case bpe = "BPE"
    case wordPiece = "WordPiece"
    case wordLevel = "WordLevel"
}

/// Builds the model described by `node` (the tokenizer.json `model` object).
func makeModel(_ node: JSONNode) throws -> TokenizationModel {
    switch try node.componentType(ModelType.self, component: "model") {
    case .bpe: return try BPEModel(node)
    case .wordPiece: return try WordPieceModel(node)
    case .wordLevel: return try WordLevelModel(node)
    }
}

/// A token ↔ id table compared scalar by scalar (see TokenKey).
struct Vocabulary: Sendable {
    private(set) var ids: [TokenKey: Int] = [:]
    /// Token text by id; nil for ids no token has.
    private(set) var tokens: [String?] = []

    /// Largest id accepted from a file; guards against a crafted id allocating gigabytes.
    static let maxId = 16_000_000

    init() {}

    /// Reads a `{"token": id, …}` object.
    init(_ node: JSONNode) throws {
        let dict = try node.object()
        guard !dict.isEmpty else { throw node.invalid("the vocabulary is empty") }
        ids.reserveCapacity(dict.count)
        var maxSeen = -1
        var pairs: [(String, Int)] = []
        pairs.reserveCapacity(dict.count)
        for (token, value) in dict {
            let child = JSONNode(value: value, path: node.childPath(token), file: node.file)
            let id = try child.nonNegativeInt()
            guard id <= Self.maxId else { throw child.invalid("id \(id) is larger than \(Self.maxId)") }
            pairs.append((token, id))
            maxSeen = max(maxSeen, id)
        }
        tokens = [String?](repeating: nil, count: maxSeen + 1)
        for (token, id) in pairs {
            ids[TokenKey(token)] = id
            tokens[id] = token
        }
    }

    /// A vocabulary where token `i` has id `i`; a repeated token keeps its last id (as Python's dict comprehension).
    init(orderedTokens: [String]) {
        tokens = orderedTokens
        ids.reserveCapacity(orderedTokens.count)
        for (i, t) in orderedTokens.enumerated() { ids[TokenKey(t)] = i }
    }

    @inline(__always)
    func id(_ token: String) -> Int? { ids[TokenKey(token)] }

    @inline(__always)
    func id(_ key: TokenKey) -> Int? { ids[key] }

    func token(_ id: Int) -> String? { id >= 0 && id < tokens.count ? tokens[id] : nil }

    /// Number of distinct ids.
    var count: Int { ids.count }
}

/// Whole pieces looked up in the vocabulary; anything else is the unknown token.
final class WordLevelModel: TokenizationModel, @unchecked Sendable {
    let vocabulary: Vocabulary
    let unkToken: String?
    private let unkId: Int?

    init(_ node: JSONNode) throws {
        vocabulary = try Vocabulary(try node.required("vocab"))
        unkToken = try node.optionalString("unk_token")
        if let unk = unkToken {
            guard let id = vocabulary.id(unk) else {
                throw (try node.required("unk_token")).invalid("unk_token \"\(unk)\" is not in the vocabulary")
            }
            unkId = id
        } else {
            unkId = nil
        }
    }

    func tokenize(_ text: AlignedText, _ piece: Range<Int>, into out: inout [ModelToken]) {
        if let id = vocabulary.id(TokenKey(scalars: text.scalars[piece])) {
            out.append(ModelToken(id: id, range: piece))
        } else if let unk = unkId {
            out.append(ModelToken(id: unk, range: piece))
        }
    }
}
