// Loading a tokenizer.json (and the tokenizer_config.json / chat_template.jinja that transformers writes next to it).
import Foundation

extension Tokenizer {
    /// Loads a HF `tokenizer.json`.
    ///
    /// Also reads, when present in the same folder, `tokenizer_config.json` (bos/eos/pad/unk tokens, `chat_template`,
    /// `model_max_length`) and `chat_template.jinja` (where transformers ≥ 4.43 saves the template; it wins over the
    /// config's). Every component `"type"` must be one this library implements: an unknown one is an error naming
    /// it, as is any malformed or missing field.
    ///
    /// - Throws: ``TokenizerError`` naming the file, the JSON path and the fault.
    public static func load(tokenizerJSON path: String) throws -> Tokenizer {
        let root = try JSONNode.load(path: path)
        let model = try makeModel(try root.required("model"))
        let normalizer = try root.optional("normalizer").map(makeNormalizer)
        let preTokenizer = try root.optional("pre_tokenizer").map(makePreTokenizer)
        let postProcessor = try root.optional("post_processor").map(makePostProcessor)
        let decoder = try root.optional("decoder").map(makeDecoder)
        let addedTokens = try root.optional("added_tokens")?.array().map(AddedToken.init) ?? []
        let truncation = try root.optional("truncation").map(parseTruncation)
        let (padding, padTokenFromFile) = try root.optional("padding").map(parsePadding) ?? (nil, nil)

        let folder = (path as NSString).deletingLastPathComponent
        let configPath = (folder as NSString).appendingPathComponent("tokenizer_config.json")
        let jinjaPath = (folder as NSString).appendingPathComponent("chat_template.jinja")
        var specials = SpecialTokens()
        var template: String?
        var maxLength: Int?
        if FileManager.default.fileExists(atPath: configPath) {
            let config = try JSONNode.load(path: configPath)
            specials.bos = try specialToken(config, "bos_token")
            specials.eos = try specialToken(config, "eos_token")
            specials.pad = try specialToken(config, "pad_token")
            specials.unk = try specialToken(config, "unk_token")
            template = try chatTemplateText(config)
            maxLength = try modelMaxLength(config)
        }
        if FileManager.default.fileExists(atPath: jinjaPath) {
            guard let text = String(data: try readTokenizerFile(path: jinjaPath), encoding: .utf8) else {
                throw TokenizerError.unreadableFile(path: jinjaPath, reason: "the file is not UTF-8 text")
            }
            template = text
        }
        if specials.pad == nil { specials.pad = padTokenFromFile }
        return try Tokenizer(
            source: path, addedTokens: addedTokens, normalizer: normalizer, preTokenizer: preTokenizer,
            model: model, postProcessor: postProcessor, decoder: decoder, specials: specials,
            chatTemplateText: template, modelMaxLength: maxLength, defaultTruncation: truncation,
            defaultPadding: padding)
    }

    /// A special token in tokenizer_config.json: a string, or an AddedToken object with `"content"`.
    private static func specialToken(_ config: JSONNode, _ key: String) throws -> String? {
        guard let node = try config.optional(key) else { return nil }
        if node.kind == .string { return try node.string() }
        return try node.required("content").string()
    }

    /// `chat_template`: a string, or a list of `{"name", "template"}` (the one named "default", else the first).
    private static func chatTemplateText(_ config: JSONNode) throws -> String? {
        guard let node = try config.optional("chat_template") else { return nil }
        if node.kind == .string { return try node.string() }
        let entries = try node.array()
        for entry in entries {
            if try entry.optionalString("name") == "default" { return try entry.required("template").string() }
        }
        return try entries.first?.required("template").string()
    }

    /// `model_max_length`, with transformers' "unlimited" sentinel (1e30) mapped to nil.
    private static func modelMaxLength(_ config: JSONNode) throws -> Int? {
        guard let node = try config.optional("model_max_length") else { return nil }
        let value = try node.double()
        guard value >= 0 else { throw node.invalid("model_max_length must not be negative") }
        return value < 1e15 ? Int(value) : nil
    }

    private static func parseSide(_ node: JSONNode?) throws -> Side {
        guard let node else { return .right }
        switch try node.string() {
        case "Right": return .right
        case "Left": return .left
        case let other:
            throw TokenizerError.unknownType(
                file: node.file, path: node.path, component: "direction", type: other,
                supported: ["Left", "Right"])
        }
    }

    /// tokenizer.json `truncation`: `{"max_length", "strategy", "stride", "direction"}`.
    private static func parseTruncation(_ node: JSONNode) throws -> Truncation {
        Truncation(
            maxLength: try node.required("max_length").nonNegativeInt(),
            side: try parseSide(try node.optional("direction")))
    }

    /// The longest `Fixed` padding a tokenizer.json may ask for (2^20 tokens: far beyond any model's context;
    /// a larger one is a corrupt file whose batches would exhaust memory).
    static let maxFixedPadding = 1 << 20

    /// tokenizer.json `padding`: `{"strategy": "BatchLongest" | {"Fixed": n}, "direction", "pad_id", "pad_token"}`.
    private static func parsePadding(_ node: JSONNode) throws -> (Padding?, String?) {
        let side = try parseSide(try node.optional("direction"))
        let strategy = try node.required("strategy")
        let padding: Padding
        if strategy.kind == .string {
            let name = try strategy.string()
            guard name == "BatchLongest" else {
                throw TokenizerError.unknownType(
                    file: node.file, path: strategy.path, component: "padding strategy",
                    type: name, supported: ["BatchLongest", "Fixed"])
            }
            padding = .longest(side: side)
        } else {
            let fixed = try strategy.required("Fixed")
            let length = try fixed.nonNegativeInt()
            guard length <= maxFixedPadding else {
                throw fixed.invalid(
                    "padding to \(length) tokens is more than the limit of \(maxFixedPadding): "
                        + "every encoding of a batch would be padded to that length")
            }
            padding = .maxLength(length, side: side)
        }
        return (padding, try node.optionalString("pad_token"))
    }
}
