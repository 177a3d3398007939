// Post-processors (HF `processors`): add special tokens around the encoded sequence(s) and set type ids. Like HF,
// each processor maps a list of encodings (one, or two for a pair) to a list, and the tokenizer concatenates what
// comes out (so in a Sequence, ByteLevel passes a pair on unmerged and a following template sees both parts).
// PostProcessorType maps the JSON "type"; an unknown tag is an error.

/// The fourth stage of the pipeline: special tokens and type ids.
protocol PostProcessor: Sendable {
    /// Number of special tokens added to a single sequence or a pair.
    func addedTokens(isPair: Bool) -> Int
    /// HF `process_encodings`.
    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding]
    /// The ids `process` gives for one sequence with special tokens (the fast path of `Tokenizer.encode`).
    func processIds(_ ids: [Int]) -> [Int]
}

/// The `"type"` tags of tokenizer.json post-processors that this library implements.
enum PostProcessorType: String, CaseIterable {
    case template = "TemplateProcessing"
    case bert = "BertProcessing"
    case roberta = "RobertaProcessing"
    case byteLevel = "ByteLevel"
    case sequence = "Sequence"
}

/// Builds the post-processor described by `node` (the tokenizer.json `post_processor` object).
func makePostProcessor(_ node: JSONNode) throws -> PostProcessor {
    switch try node.componentType(PostProcessorType.self, component: "post-processor") {
    case .template: return try TemplateProcessing(node)
    case .bert:
        return BertProcessing(
            sep: try parseTokenPair(try node.required("sep")),
            cls: try parseTokenPair(try node.required("cls")))
    case .roberta:
        return RobertaProcessing(
            sep: try parseTokenPair(try node.required("sep")),
            cls: try parseTokenPair(try node.required("cls")),
            trimOffsets: try node.bool("trim_offsets", default: true),
            addPrefixSpace: try node.bool("add_prefix_space", default: true))
    case .byteLevel:
        return ByteLevelProcessing(
            trimOffsets: try node.bool("trim_offsets", default: true),
            addPrefixSpace: try node.bool("add_prefix_space", default: true))
    case .sequence:
        return SequenceProcessing(processors: try node.required("processors").array().map(makePostProcessor))
    }
}

/// A `["[SEP]", 102]` pair.
private func parseTokenPair(_ node: JSONNode) throws -> (String, Int) {
    let items = try node.array()
    guard items.count == 2 else { throw node.invalid("expected [token, id]") }
    return (try items[0].string(), try items[1].nonNegativeInt())
}

/// HF's ByteLevel offset trimming: leading/trailing "Ġ" (spaces) are left out of a token's offsets.
func trimByteLevelOffsets(_ e: inout Encoding, addPrefixSpace: Bool) {
    let space = ByteLevelTable.byteToScalar[0x20]
    func isSpace(_ s: Unicode.Scalar) -> Bool { s == space || UnicodeClass.isWhitespace(s) }
    for i in 0..<e.count {
        let scalars = Array(e.tokens[i].unicodeScalars)
        var leading = 0
        while leading < scalars.count, isSpace(scalars[leading]) { leading += 1 }
        var trailing = 0
        while trailing < scalars.count, isSpace(scalars[scalars.count - 1 - trailing]) { trailing += 1 }
        guard leading > 0 || trailing > 0 else { continue }
        var lo = e.offsets[i].lowerBound, hi = e.offsets[i].upperBound
        if leading > 0 {
            let isFirst = i == 0 || lo == 0
            if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
            lo = min(lo + leading, hi)
        }
        if trailing > 0 && hi >= trailing { hi = max(hi - trailing, lo) }
        e.offsets[i] = lo..<hi
    }
}

/// `{"single": [...], "pair": [...], "special_tokens": {...}}`: pieces are special tokens or the sequences A/B,
/// each with its type id.
struct TemplateProcessing: PostProcessor {
    enum Piece: Sendable {
        case special(name: String, typeId: Int)
        case sequence(index: Int, typeId: Int)
    }

    struct SpecialToken: Sendable {
        var ids: [Int]
        var tokens: [String]
    }

    let single: [Piece]
    let pair: [Piece]
    let specialTokens: [String: SpecialToken]

    init(single: [Piece], pair: [Piece], specialTokens: [String: SpecialToken]) {
        self.single = single
        self.pair = pair
        self.specialTokens = specialTokens
    }

    init(_ node: JSONNode) throws {
        var specials: [String: SpecialToken] = [:]
        let specialsNode = try node.required("special_tokens")
        for (name, _) in try specialsNode.object() {
            let entry = try specialsNode.required(name)
            let ids = try entry.required("ids").array().map { try $0.nonNegativeInt() }
            let tokens = try entry.required("tokens").array().map { try $0.string() }
            guard ids.count == tokens.count else {
                throw entry.invalid("\"ids\" and \"tokens\" must have the same length (\(ids.count) vs \(tokens.count))")
            }
            specials[name] = SpecialToken(ids: ids, tokens: tokens)
        }
        specialTokens = specials
        single = try Self.parseTemplate(try node.required("single"), specials: specials)
        pair = try Self.parseTemplate(try node.required("pair"), specials: specials)
    }

    private static func parseTemplate(_ node: JSONNode, specials: [String: SpecialToken]) throws -> [Piece] {
        try node.array().map { item in
            if let special = try item.optional("SpecialToken") {
                let idNode = try special.required("id")
                let name = try idNode.string()
                guard specials[name] != nil else {
                    throw idNode.invalid("special token \"\(name)\" is not listed in special_tokens")
                }
                return .special(name: name, typeId: try special.int("type_id", default: 0))
            }
            if let sequence = try item.optional("Sequence") {
                let idNode = try sequence.required("id")
                let name = try idNode.string()
                guard name == "A" || name == "B" else { throw idNode.invalid("a sequence id must be \"A\" or \"B\"") }
                return .sequence(index: name == "A" ? 0 : 1, typeId: try sequence.int("type_id", default: 0))
            }
            throw item.invalid("a template piece must be {\"SpecialToken\": …} or {\"Sequence\": …}")
        }
    }

    func addedTokens(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, piece in
            if case let .special(name, _) = piece { return n + (specialTokens[name]?.ids.count ?? 0) }
            return n
        }
    }

    func processIds(_ ids: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(ids.count + 4)
        for piece in single {
            switch piece {
            case .sequence: out += ids
            case let .special(name, _): out += specialTokens[name]?.ids ?? []
            }
        }
        return out
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        let template = encodings.count >= 2 ? pair : single
        var out: [Encoding] = []
        for piece in template {
            switch piece {
            case let .sequence(index, typeId):
                guard index < encodings.count else { continue }
                var e = encodings[index]
                e.setTypeIds(typeId)
                e.setSequence(index)
                out.append(e)
            case let .special(name, typeId):
                guard addSpecialTokens, let special = specialTokens[name] else { continue }
                var e = Encoding()
                for (id, token) in zip(special.ids, special.tokens) {
                    e.append(id: id, token: token, offset: 0..<0, typeId: typeId, special: true, sequence: nil)
                }
                out.append(e)
            }
        }
        var merged = Encoding()
        for e in out { merged.append(contentsOf: e) }
        return [merged]
    }
}

/// `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, type ids 0 for A's part and 1 for B's.
struct BertProcessing: PostProcessor {
    let sep: (String, Int)
    let cls: (String, Int)

    func addedTokens(isPair: Bool) -> Int { isPair ? 3 : 2 }

    func processIds(_ ids: [Int]) -> [Int] { [cls.1] + ids + [sep.1] }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var parts = encodings
        if parts.count > 1 { parts[1].setTypeIds(1) }
        guard addSpecialTokens else { return parts }
        var out = Encoding()
        out.append(id: cls.1, token: cls.0, offset: 0..<0, typeId: 0, special: true, sequence: nil)
        for (i, var e) in parts.enumerated() {
            e.setSequence(i)
            out.append(contentsOf: e)
            out.append(id: sep.1, token: sep.0, offset: 0..<0, typeId: i == 0 ? 0 : 1, special: true, sequence: nil)
        }
        return [out]
    }
}

/// `<s> A </s>` and `<s> A </s> </s> B </s>`, all type ids 0, with ByteLevel offset trimming.
struct RobertaProcessing: PostProcessor {
    let sep: (String, Int)
    let cls: (String, Int)
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    func addedTokens(isPair: Bool) -> Int { isPair ? 4 : 2 }

    func processIds(_ ids: [Int]) -> [Int] { [cls.1] + ids + [sep.1] }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var parts = encodings
        if trimOffsets { for i in parts.indices { trimByteLevelOffsets(&parts[i], addPrefixSpace: addPrefixSpace) } }
        // "Roberta is weird, and every encoding is type_id=0" (HF processors/roberta.rs), with or without specials.
        for i in parts.indices { parts[i].setTypeIds(0) }
        guard addSpecialTokens else { return parts }
        var out = Encoding()
        out.append(id: cls.1, token: cls.0, offset: 0..<0, typeId: 0, special: true, sequence: nil)
        for (i, var e) in parts.enumerated() {
            e.setSequence(i)
            if i > 0 { out.append(id: sep.1, token: sep.0, offset: 0..<0, typeId: 0, special: true, sequence: nil) }
            out.append(contentsOf: e)
            out.append(id: sep.1, token: sep.0, offset: 0..<0, typeId: 0, special: true, sequence: nil)
        }
        return [out]
    }
}

/// ByteLevel as a post-processor only trims offsets.
struct ByteLevelProcessing: PostProcessor {
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    func addedTokens(isPair: Bool) -> Int { 0 }

    func processIds(_ ids: [Int]) -> [Int] { ids }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var parts = encodings
        if trimOffsets { for i in parts.indices { trimByteLevelOffsets(&parts[i], addPrefixSpace: addPrefixSpace) } }
        return parts
    }
}

/// Runs post-processors in order, each on the list the previous one returned.
struct SequenceProcessing: PostProcessor {
    let processors: [PostProcessor]

    func addedTokens(isPair: Bool) -> Int { processors.reduce(0) { $0 + $1.addedTokens(isPair: isPair) } }

    func processIds(_ ids: [Int]) -> [Int] { processors.reduce(ids) { $1.processIds($0) } }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        processors.reduce(encodings) { $1.process($0, addSpecialTokens: addSpecialTokens) }
    }
}
