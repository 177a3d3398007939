// GGUFVocabulary: the tokenizer metadata of a GGUF file (llama.cpp's `tokenizer.ggml.*` keys), and building a
// Tokenizer from it the way transformers does (`integrations/gguf/gguf_tokenizer_mapping.py`), with one deliberate
// difference: the pre-tokenizer follows `tokenizer.ggml.pre` for "smollm" too (transformers ignores it; see
// `preTokenizer(for:)`). The GGUF reader itself lives in RLHFFormats; this target only sees the decoded values.

/// The tokenizer part of a GGUF file's metadata.
public struct GGUFVocabulary: Sendable, Equatable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE), "llama" (sentencepiece), …
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer family, e.g. "smollm", "llama-bpe", "gpt-2".
    public var pre: String?
    /// `tokenizer.ggml.tokens`, index = id.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int]?
    /// `tokenizer.ggml.merges`, "a b" strings in rank order.
    public var merges: [String]
    /// `tokenizer.ggml.scores` (sentencepiece models).
    public var scores: [Float]?
    /// `tokenizer.ggml.bos_token_id`.
    public var bosTokenId: Int?
    /// `tokenizer.ggml.eos_token_id`.
    public var eosTokenId: Int?
    /// `tokenizer.ggml.unknown_token_id`.
    public var unknownTokenId: Int?
    /// `tokenizer.ggml.padding_token_id`.
    public var paddingTokenId: Int?
    /// `tokenizer.ggml.add_bos_token`.
    public var addBosToken: Bool?
    /// `tokenizer.chat_template`.
    public var chatTemplate: String?

    /// A vocabulary from decoded GGUF metadata values.
    public init(
        model: String, pre: String? = nil, tokens: [String], tokenTypes: [Int]? = nil, merges: [String] = [],
        scores: [Float]? = nil, bosTokenId: Int? = nil, eosTokenId: Int? = nil, unknownTokenId: Int? = nil,
        paddingTokenId: Int? = nil, addBosToken: Bool? = nil, chatTemplate: String? = nil
    ) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.scores = scores
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
        self.unknownTokenId = unknownTokenId
        self.paddingTokenId = paddingTokenId
        self.addBosToken = addBosToken
        self.chatTemplate = chatTemplate
    }

    /// GGUF token types (llama.cpp `llama_token_type`).
    enum TokenType: Int {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }
}

extension Tokenizer {
    /// Builds a tokenizer from GGUF tokenizer metadata.
    ///
    /// `model == "gpt2"` gives byte-level BPE: tokens not spelled in GPT-2's byte alphabet are respelled byte by byte;
    /// control tokens (type 3) spelled in the alphabet become special added tokens and user-defined tokens (type 4)
    /// plain added tokens; the bos/eos/unk/pad tokens become special added tokens; `add_bos_token` adds a
    /// TemplateProcessing that prepends BOS. The pre-tokenizer follows `pre`:
    /// - nil, "default", "gpt-2", "gpt2": ByteLevel with the GPT-2 regex;
    /// - "smollm", "starcoder", "refact", "command-r": Digits(individual) then ByteLevel with the GPT-2 regex (as
    ///   SmolLM2's own tokenizer.json and llama.cpp; transformers ≤ 5.x ignores this `pre` and differs on whitespace
    ///   runs before a digit);
    /// - "llama3", "llama-v3", "llama-bpe", "falcon3", "smaug-bpe", "dbrx", …: the Llama-3 Split regex then ByteLevel;
    /// - "qwen2", "deepseek-r1-qwen": the Qwen2 Split regex then ByteLevel.
    ///
    /// - Throws: ``TokenizerError/invalidGGUFVocabulary(key:reason:)`` for another model type, an unknown `pre`,
    ///   an empty or malformed merge table, token types of the wrong length, or an out-of-range special token id.
    public static func fromGGUFVocabulary(_ v: GGUFVocabulary) throws -> Tokenizer {
        func fail(_ key: String, _ reason: String) -> TokenizerError {
            .invalidGGUFVocabulary(key: "tokenizer.ggml.\(key)", reason: reason)
        }
        guard v.model == "gpt2" else {
            throw fail("model", "tokenizer model \"\(v.model)\" is not supported (supported: gpt2, byte-level BPE)")
        }
        guard !v.tokens.isEmpty else { throw fail("tokens", "the token list is empty") }
        if let types = v.tokenTypes, types.count != v.tokens.count {
            throw fail("token_type", "\(types.count) token types for \(v.tokens.count) tokens")
        }
        for (key, id) in [
            ("bos_token_id", v.bosTokenId), ("eos_token_id", v.eosTokenId),
            ("unknown_token_id", v.unknownTokenId), ("padding_token_id", v.paddingTokenId)
        ] {
            if let id, id < 0 || id >= v.tokens.count {
                throw fail(key, "id \(id) is out of range (the vocabulary has \(v.tokens.count) tokens)")
            }
        }
        guard !v.merges.isEmpty else {
            throw fail(
                "merges",
                "the merge table is empty (a byte-level BPE needs its merges; the file is truncated "
                    + "or was written by a broken converter)")
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(v.merges.count)
        for (i, merge) in v.merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw fail("merges[\(i)]", "a merge must be two tokens separated by one space, found \"\(merge)\"")
            }
            pairs.append((String(parts[0]), String(parts[1])))
        }
        let preTokenizer = try preTokenizer(for: v.pre)

        let spelled = v.tokens.map { ByteLevelTable.isSpelled($0) ? $0 : ByteLevelTable.spell($0) }
        let vocabulary = Vocabulary(orderedTokens: spelled)
        let model = try BPEModel(vocabulary: vocabulary, merges: pairs, mergesPath: "tokenizer.ggml.merges")

        var added: [AddedToken] = []
        var seen = Set<TokenKey>()
        func add(_ token: String, special: Bool) {
            guard let id = vocabulary.id(token), seen.insert(TokenKey(token)).inserted else { return }
            added.append(AddedToken(id: id, content: token, normalized: false, special: special))
        }
        let types = v.tokenTypes ?? []
        for (i, type) in types.enumerated() where type == GGUFVocabulary.TokenType.control.rawValue {
            if ByteLevelTable.isSpelled(v.tokens[i]) { add(v.tokens[i], special: true) }
        }
        let named = [v.bosTokenId, v.eosTokenId, v.unknownTokenId, v.paddingTokenId].map { $0.map { v.tokens[$0] } }
        for case let token? in named { add(token, special: true) }
        for (i, type) in types.enumerated() where type == GGUFVocabulary.TokenType.userDefined.rawValue {
            add(v.tokens[i], special: false)
        }

        var postProcessor: PostProcessor?
        if v.addBosToken == true, let bos = v.bosTokenId {
            let name = v.tokens[bos]
            let special = TemplateProcessing.SpecialToken(ids: [bos], tokens: [name])
            postProcessor = TemplateProcessing(
                single: [.special(name: name, typeId: 0), .sequence(index: 0, typeId: 0)],
                pair: [
                    .special(name: name, typeId: 0), .sequence(index: 0, typeId: 0),
                    .special(name: name, typeId: 1), .sequence(index: 1, typeId: 1)
                ],
                specialTokens: [name: special])
        }
        let specials = SpecialTokens(bos: named[0], eos: named[1], pad: named[3], unk: named[2])
        return try Tokenizer(
            source: "GGUF vocabulary", addedTokens: added, normalizer: nil, preTokenizer: preTokenizer,
            model: model, postProcessor: postProcessor, decoder: ByteLevelDecoder(), specials: specials,
            chatTemplateText: v.chatTemplate, modelMaxLength: nil, defaultTruncation: nil,
            defaultPadding: nil)
    }

    /// The pre-tokenizer for a GGUF `tokenizer.ggml.pre` value (see ``fromGGUFVocabulary(_:)``).
    static func preTokenizer(for pre: String?) throws -> PreTokenizer {
        let byteLevelRegex = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
        let byteLevelPlain = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false)
        switch pre {
        case nil, "default", "gpt-2", "gpt2":
            return byteLevelRegex
        case "smollm", "starcoder", "refact", "command-r":
            return SequencePreTokenizer(preTokenizers: [DigitsPreTokenizer(individualDigits: true), byteLevelRegex])
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "dbrx",
            "smaug-bpe":
            return SequencePreTokenizer(preTokenizers: [
                SplitPreTokenizer(pattern: Llama3Pattern(maxDigits: 3), behavior: .isolated, invert: false),
                byteLevelPlain
            ])
        case "qwen2", "deepseek-r1-qwen":
            return SequencePreTokenizer(preTokenizers: [
                SplitPreTokenizer(pattern: Llama3Pattern(maxDigits: 1), behavior: .isolated, invert: false),
                byteLevelPlain
            ])
        case let other?:
            throw TokenizerError.invalidGGUFVocabulary(
                key: "tokenizer.ggml.pre",
                reason: "pre-tokenizer \"\(other)\" is not supported (supported: gpt-2, smollm, starcoder, refact, "
                    + "command-r, llama-bpe and the other Llama-3 names, qwen2, deepseek-r1-qwen)")
        }
    }
}
