// Errors of model loading and use; every message names the file or folder and the key.

/// What went wrong while loading or running a model.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// The checkpoint does not fit the model: names every missing, unexpected and wrongly shaped tensor.
    case weightsMismatch(source: String, missing: [String], unexpected: [String], wrongShape: [String])
    /// config.json (or GGUF metadata) describes something we cannot build.
    case unsupportedConfig(source: String, reason: String)
    /// An architecture field of config.json (or GGUF metadata) out of its range, inconsistent with another
    /// field, or with the tensors of the checkpoint. `key` is the field as the source spells it
    /// (`num_attention_heads`, `llama.attention.head_count`); `reason` is a sentence that starts with it.
    case invalidConfig(source: String, key: String, reason: String)
    /// An input the model cannot run: no tokens, more tokens than its positions, a token id outside its
    /// vocabulary.
    case invalidInput(source: String, reason: String)
    /// A path that is neither a HF folder nor a GGUF file.
    case notAModel(path: String, reason: String)
    /// The model at `path` came without a tokenizer (no tokenizer.json in its folder, no vocabulary in its
    /// GGUF metadata) where one is needed.
    case noTokenizer(path: String)
    /// The model at `path` is an encoder (`architecture`, e.g. "bert") where a causal LM is needed; `purpose`
    /// says what needs one ("SFT trains Llama or GPT-2 causal LMs").
    case notADecoder(path: String, architecture: String, purpose: String)

    /// One line: the file or folder, then the fault (for a mismatch, the missing, unexpected and wrongly
    /// shaped tensors: up to 12 names of each kind, with the total when there are more).
    public var description: String {
        switch self {
        case let .weightsMismatch(source, missing, unexpected, wrongShape):
            var parts: [String] = []
            func list(_ xs: [String]) -> String {
                xs.prefix(12).joined(separator: ", ") + (xs.count > 12 ? ", … (\(xs.count) in all)" : "")
            }
            if !missing.isEmpty { parts.append("missing tensors: \(list(missing))") }
            if !unexpected.isEmpty { parts.append("unexpected tensors: \(list(unexpected))") }
            if !wrongShape.isEmpty { parts.append("wrongly shaped tensors: \(list(wrongShape))") }
            return "\(source): checkpoint does not fit the model: " + parts.joined(separator: "; ")
        case let .unsupportedConfig(source, reason):
            return "\(source): \(reason)"
        case let .invalidConfig(source, _, reason):
            return "\(source): \(reason)"
        case let .invalidInput(source, reason):
            return "\(source): \(reason)"
        case let .notAModel(path, reason):
            return "\(path): not a model: \(reason)"
        case let .noTokenizer(path):
            return "\(path): the model has no tokenizer (tokenizer.json or a GGUF vocabulary)"
        case let .notADecoder(path, architecture, purpose):
            return "\(path): a \(architecture) model is not a decoder (\(purpose))"
        }
    }
}
