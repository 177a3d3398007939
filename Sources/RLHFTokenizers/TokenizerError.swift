// TokenizerError: every fault RLHFTokenizers reports, each naming the file, the JSON path (or GGUF key) and what is
// wrong. Loading never traps on user input: a malformed tokenizer.json, GGUF vocabulary or chat template is one of
// these errors.

/// An error from loading a tokenizer, building one from a GGUF vocabulary, or using a chat template.
///
/// The description is one line of the form `<file>: <json path>: <what is wrong>`, for example
/// `models/x/tokenizer.json: model.type: unknown model type "Unigram" (supported: BPE, WordLevel, WordPiece)`.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist or cannot be read.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid JSON (or its top level is not an object).
    case malformedJSON(file: String, reason: String)
    /// A required key is absent or `null`.
    case missingKey(file: String, path: String)
    /// A value has the wrong JSON type.
    case wrongType(file: String, path: String, expected: String, found: String)
    /// A component's `"type"` names nothing this library implements (never silently replaced by a default).
    case unknownType(file: String, path: String, component: String, type: String, supported: [String])
    /// A value is present and well typed but cannot be used: an empty merge table, a merge of a token that is not in
    /// the vocabulary, a regular expression that does not compile, an out-of-range id, …
    case invalidValue(file: String, path: String, reason: String)
    /// A GGUF tokenizer vocabulary that is inconsistent or of a kind this library does not build.
    case invalidGGUFVocabulary(key: String, reason: String)
    /// A chat template whose text is not one of the recognised families (ChatML, Llama-3).
    case unrecognisedChatTemplate(reason: String)
    /// A recognised chat template that cannot render the given messages.
    case chatTemplateRender(reason: String)
    /// The tokenizer has no chat template (none in `tokenizer_config.json`, `chat_template.jinja` or GGUF metadata).
    case missingChatTemplate(source: String)

    /// One line: the file, the JSON path or GGUF key, and the fault.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read the file: \(reason)"
        case let .malformedJSON(file, reason):
            return "\(file): malformed JSON: \(reason)"
        case let .missingKey(file, path):
            return "\(file): \(path): required key is missing (or null)"
        case let .wrongType(file, path, expected, found):
            return "\(file): \(path): expected \(expected), found \(found)"
        case let .unknownType(file, path, component, type, supported):
            return "\(file): \(path): unknown \(component) type \"\(type)\" (supported: \(supported.joined(separator: ", ")))"
        case let .invalidValue(file, path, reason):
            return "\(file): \(path): \(reason)"
        case let .invalidGGUFVocabulary(key, reason):
            return "GGUF vocabulary: \(key): \(reason)"
        case let .unrecognisedChatTemplate(reason):
            return "chat template not recognised: \(reason)"
        case let .chatTemplateRender(reason):
            return "chat template: \(reason)"
        case let .missingChatTemplate(source):
            return "\(source): no chat template (looked for chat_template.jinja, tokenizer_config.json \"chat_template\" "
                + "or GGUF tokenizer.chat_template)"
        }
    }
}
