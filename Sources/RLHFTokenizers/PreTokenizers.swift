// Pre-tokenizers (HF `pre_tokenizers`): cut normalized text into pieces ("words") that the model tokenizes one by one.
// Some also rewrite the pieces (ByteLevel maps bytes to GPT-2's alphabet, Metaspace turns spaces into "▁").
// PreTokenizerType maps the JSON "type"; an unknown tag is an error.

/// The second stage of the pipeline: splits (and possibly rewrites) the pieces of a normalized text.
protocol PreTokenizer: Sendable {
    func preTokenize(_ p: inout PreTokenized)
}

/// The `"type"` tags of tokenizer.json pre-tokenizers that this library implements.
enum PreTokenizerType: String, CaseIterable {
    case bert = "BertPreTokenizer"
    case byteLevel = "ByteLevel"
    case split = "Split"
    case digits = "Digits"
    case whitespace = "Whitespace"
    case whitespaceSplit = "WhitespaceSplit"
    case punctuation = "Punctuation"
    case metaspace = "Metaspace"
    case charDelimiterSplit = "CharDelimiterSplit"
    case sequence = "Sequence"
}

/// Builds the pre-tokenizer described by `node` (a tokenizer.json `pre_tokenizer` object).
func makePreTokenizer(_ node: JSONNode) throws -> PreTokenizer {
    switch try node.componentType(PreTokenizerType.self, component: "pre-tokenizer") {
    case .bert: return BertPreTokenizer()
    case .byteLevel:
        return ByteLevelPreTokenizer(
            addPrefixSpace: try node.bool("add_prefix_space", default: true),
            useRegex: try node.bool("use_regex", default: true))
    case .split:
        let behaviorNode = try node.required("behavior")
        let name = try behaviorNode.string()
        guard let behavior = SplitBehavior(rawValue: name) else {
            throw TokenizerError.unknownType(
                file: node.file, path: behaviorNode.path, component: "split behavior",
                type: name, supported: SplitBehavior.allCases.map(\.rawValue))
        }
        return SplitPreTokenizer(
            pattern: try parsePatternObject(try node.required("pattern")),
            behavior: behavior, invert: try node.bool("invert", default: false))
    case .digits:
        return DigitsPreTokenizer(individualDigits: try node.bool("individual_digits", default: false))
    case .whitespace: return WhitespacePreTokenizer()
    case .whitespaceSplit: return WhitespaceSplitPreTokenizer()
    case .punctuation:
        var behavior = SplitBehavior.isolated
        if let b = try node.optional("behavior") {
            let name = try b.string()
            guard let parsed = SplitBehavior(rawValue: name) else {
                throw TokenizerError.unknownType(
                    file: node.file, path: b.path, component: "split behavior",
                    type: name, supported: SplitBehavior.allCases.map(\.rawValue))
            }
            behavior = parsed
        }
        return PunctuationPreTokenizer(behavior: behavior)
    case .metaspace:
        return try MetaspacePreTokenizer(node)
    case .charDelimiterSplit:
        let d = try node.required("delimiter")
        let scalars = Array(try d.string().unicodeScalars)
        guard scalars.count == 1 else { throw d.invalid("the delimiter must be exactly one character") }
        return CharDelimiterSplitPreTokenizer(delimiter: scalars[0])
    case .sequence:
        let items = try node.required("pretokenizers").array()
        return SequencePreTokenizer(preTokenizers: try items.map(makePreTokenizer))
    }
}

/// Finds every single scalar satisfying `predicate` as its own match.
@inline(__always)
private func scalarMatches(_ predicate: @escaping (Unicode.Scalar) -> Bool)
    -> (AlignedText, Range<Int>, inout [Range<Int>]) -> Void
{
    { text, range, out in
        for i in range where predicate(text.scalars[i]) { out.append(i..<(i + 1)) }
    }
}

/// BERT's basic tokenizer: split on whitespace (removed), then isolate each punctuation character.
struct BertPreTokenizer: PreTokenizer {
    /// Both splits in one pass (same result as split-removed on whitespace then split-isolated on punctuation).
    func preTokenize(_ p: inout PreTokenized) {
        var out: [Range<Int>] = []
        out.reserveCapacity(p.pieces.count * 4)
        let s = p.text.scalars
        for piece in p.pieces {
            var wordStart = piece.lowerBound
            for i in piece {
                let c = s[i]
                if UnicodeClass.isWhitespace(c) {
                    if wordStart < i { out.append(wordStart..<i) }
                    wordStart = i + 1
                } else if UnicodeClass.isBertPunctuation(c) {
                    if wordStart < i { out.append(wordStart..<i) }
                    out.append(i..<(i + 1))
                    wordStart = i + 1
                }
            }
            if wordStart < piece.upperBound { out.append(wordStart..<piece.upperBound) }
        }
        p.pieces = out
    }
}

/// GPT-2's byte-level pre-tokenizer: optional prefix space, optional GPT-2 regex split, then every UTF-8 byte
/// written in the bytes_to_unicode alphabet.
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool

    func preTokenize(_ p: inout PreTokenized) {
        if addPrefixSpace {
            p.transformPieces { text, piece, _, out in
                if text.scalars[piece.lowerBound] != " " {
                    out.append(" ", start: text.starts[piece.lowerBound], end: text.ends[piece.lowerBound])
                }
                for i in piece { out.append(from: text, at: i) }
            }
        }
        if useRegex {
            let pattern = GPT2Pattern()
            p.split(behavior: .isolated) { text, range, out in pattern.findMatches(in: text, range: range, into: &out) }
        }
        p.transformPieces { text, piece, _, out in
            for i in piece {
                let s = text.scalars[i]
                let start = text.starts[i], end = text.ends[i]
                if s.value < 0x80 {
                    out.append(ByteLevelTable.byteToScalar[Int(s.value)], start: start, end: end)
                } else {
                    forEachUTF8Byte(of: s) { out.append(ByteLevelTable.byteToScalar[Int($0)], start: start, end: end) }
                }
            }
        }
    }
}

/// Split on a string or regex pattern with one of the five behaviours, optionally inverted.
struct SplitPreTokenizer: PreTokenizer {
    let pattern: ScalarPattern
    let behavior: SplitBehavior
    let invert: Bool

    func preTokenize(_ p: inout PreTokenized) {
        p.split(behavior: behavior, invert: invert) { text, range, out in
            pattern.findMatches(in: text, range: range, into: &out)
        }
    }
}

/// Numbers apart from the rest: each digit alone (`individual_digits`) or runs of digits.
struct DigitsPreTokenizer: PreTokenizer {
    let individualDigits: Bool

    func preTokenize(_ p: inout PreTokenized) {
        p.split(behavior: individualDigits ? .isolated : .contiguous, find: scalarMatches(UnicodeClass.isNumeric))
    }
}

/// `\w+|[^\w\s]+`: runs of word characters and runs of other non-space characters; whitespace is dropped.
struct WhitespacePreTokenizer: PreTokenizer {
    func preTokenize(_ p: inout PreTokenized) {
        p.split(behavior: .removed, invert: true) { text, range, out in
            var i = range.lowerBound
            while i < range.upperBound {
                let s = text.scalars[i]
                if UnicodeClass.isWhitespace(s) { i += 1; continue }
                let word = UnicodeClass.isWordCharacter(s)
                var j = i + 1
                while j < range.upperBound {
                    let t = text.scalars[j]
                    if UnicodeClass.isWhitespace(t) || UnicodeClass.isWordCharacter(t) != word { break }
                    j += 1
                }
                out.append(i..<j)
                i = j
            }
        }
    }
}

/// Split on whitespace, which is dropped.
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func preTokenize(_ p: inout PreTokenized) {
        p.split(behavior: .removed, find: scalarMatches(UnicodeClass.isWhitespace))
    }
}

/// Punctuation characters apart (isolated by default).
struct PunctuationPreTokenizer: PreTokenizer {
    let behavior: SplitBehavior

    func preTokenize(_ p: inout PreTokenized) {
        p.split(behavior: behavior, find: scalarMatches(UnicodeClass.isBertPunctuation))
    }
}

/// Split on one character, which is dropped.
struct CharDelimiterSplitPreTokenizer: PreTokenizer {
    let delimiter: Unicode.Scalar

    func preTokenize(_ p: inout PreTokenized) {
        let d = delimiter
        p.split(behavior: .removed, find: scalarMatches { $0 == d })
    }
}

/// When Metaspace (and its decoder) add the replacement character in front.
enum PrependScheme: String, CaseIterable, Sendable {
    case always, first, never
}

/// Parses Metaspace's `prepend_scheme` (or the older `add_prefix_space`).
func parsePrependScheme(_ node: JSONNode) throws -> PrependScheme {
    if let schemeNode = try node.optional("prepend_scheme") {
        let name = try schemeNode.string()
        guard let scheme = PrependScheme(rawValue: name) else {
            throw TokenizerError.unknownType(
                file: node.file, path: schemeNode.path, component: "prepend scheme",
                type: name, supported: PrependScheme.allCases.map(\.rawValue))
        }
        return scheme
    }
    return try node.bool("add_prefix_space", default: true) ? .always : .never
}

/// Parses Metaspace's one-character `replacement` (default "▁").
func parseReplacement(_ node: JSONNode) throws -> Unicode.Scalar {
    guard let r = try node.optional("replacement") else { return "\u{2581}" }
    let scalars = Array(try r.string().unicodeScalars)
    guard scalars.count == 1 else { throw r.invalid("the replacement must be exactly one character") }
    return scalars[0]
}

/// Sentencepiece-style: spaces become "▁", a "▁" is prepended (always / first piece / never), then the text is
/// split before each "▁".
struct MetaspacePreTokenizer: PreTokenizer {
    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme
    let split: Bool

    init(_ node: JSONNode) throws {
        replacement = try parseReplacement(node)
        prependScheme = try parsePrependScheme(node)
        split = try node.bool("split", default: true)
    }

    func preTokenize(_ p: inout PreTokenized) {
        let r = replacement
        p.transformPieces { text, piece, _, out in
            let first = piece.lowerBound
            let startsWithReplacement = text.scalars[first] == " " || text.scalars[first] == r
            let prepend =
                !startsWithReplacement
                && (prependScheme == .always || (prependScheme == .first && text.starts[first] == 0))
            if prepend { out.append(r, start: text.starts[first], end: text.ends[first]) }
            for i in piece {
                out.append(text.scalars[i] == " " ? r : text.scalars[i], start: text.starts[i], end: text.ends[i])
            }
        }
        if split { p.split(behavior: .mergedWithNext, find: scalarMatches { $0 == r }) }
    }
}

/// Runs pre-tokenizers in order, each on the pieces the previous one produced.
struct SequencePreTokenizer: PreTokenizer {
    let preTokenizers: [PreTokenizer]

    func preTokenize(_ p: inout PreTokenized) {
        for pre in preTokenizers { pre.preTokenize(&p) }
    }
}
