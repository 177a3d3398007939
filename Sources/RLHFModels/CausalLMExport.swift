// Saving a decoder (Llama, GPT-2) as a transformers causal-LM folder that `AutoModelForCausalLM` and
// `AutoTokenizer` load, whether it came from a HF folder or a GGUF file:
//
//   config.json              the source's config.json (or one built from the GGUF metadata), with
//                            architectures [LlamaForCausalLM | GPT2LMHeadModel], dtype float32, the
//                            tokenizer's bos/eos/pad ids and tie_word_embeddings as the model is
//   model.safetensors        every parameter in float32 under its HF name (a tied Llama has no lm_head.weight,
//                            as transformers saves tied models)
//   tokenizer files          copied from a HF source folder; written from the GGUF vocabulary for a GGUF source
//                            (tokenizer.json, tokenizer_config.json with the chat template, special_tokens_map.json)
//   generation_config.json   the source folder's, else bos/eos/pad ids only
//
// `loadPretrained(path:)` loads the folder back. Files are written into the given folder one by one (each
// atomically); a caller that needs the whole folder to appear at once writes into a temporary folder and renames it.

import Foundation
import RLHFFormats
import RLHFNN
import RLHFTensor
import RLHFTokenizers

/// Saves a loaded (and possibly fine-tuned) decoder as a transformers causal-LM folder, carrying over the
/// tokenizer of the folder or GGUF file it was loaded from; see ``saveCausalLM(_:tokenizer:source:to:)``.
public func saveCausalLM(_ model: PretrainedModel, to directory: String) throws {
    try saveCausalLM(model.architecture, tokenizer: model.tokenizer, source: model.path, to: directory)
}

/// Saves a decoder as a transformers causal-LM folder (config.json, model.safetensors, tokenizer files,
/// generation_config.json) in `directory`, created when missing.
///
/// - Parameters:
///   - architecture: a `.llama` or `.gpt2` model; its current weights are written, in float32.
///   - tokenizer: the model's tokenizer, whose bos/eos/pad ids go into config.json and generation_config.json.
///   - source: the HF folder or `.gguf` file the model was loaded from (``PretrainedModel/path``): a folder's
///     config.json, tokenizer files and generation_config.json are carried over; a GGUF file's vocabulary is
///     written as tokenizer.json, tokenizer_config.json (with its chat template) and special_tokens_map.json;
///     nil (a model built from a config alone) writes config.json from the model's config and no tokenizer files.
/// - Throws: ``ModelError/unsupportedConfig(source:reason:)`` for an encoder or when `directory` is the source
///   folder itself; ``ModelError/notAModel(path:reason:)`` when `source` no longer exists; `FormatError` naming
///   the file that could not be written; ``TokenizerError`` for a GGUF vocabulary that cannot be written as
///   tokenizer.json.
public func saveCausalLM(_ architecture: Architecture, tokenizer: Tokenizer?, source: String?, to directory: String) throws {
    guard architecture.causalLM != nil else {
        throw ModelError.unsupportedConfig(
            source: source ?? directory,
            reason: "a \(architecture.name) model is not a causal LM; "
                + "save it as a reward model instead")
    }
    var isDir: ObjCBool = false
    if let source, !FileManager.default.fileExists(atPath: source, isDirectory: &isDir) {
        throw ModelError.notAModel(
            path: source,
            reason: "the model's source is gone, so its tokenizer files cannot be "
                + "carried over (pass source: nil to export without them)")
    }
    let sourceIsGGUF = !isDir.boolValue && source?.hasSuffix(".gguf") == true
    let sourceDirectory = isDir.boolValue ? source : nil
    if let sourceDirectory, canonicalPath(sourceDirectory) == canonicalPath(directory) {
        throw ModelError.unsupportedConfig(
            source: directory,
            reason: "cannot export a model over the folder it was "
                + "loaded from; choose another output folder")
    }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw FormatError.io(path: directory, reason: "cannot create the folder: \(error.localizedDescription)")
    }

    // 1. config.json
    var config = try hfConfigDictionary(for: architecture, sourceDirectory: sourceDirectory)
    switch architecture {
    case .llama(let m):
        config["architectures"] = ["LlamaForCausalLM"]
        config["model_type"] = "llama"
        config["tie_word_embeddings"] = m.lmHead == nil
    case .gpt2:
        config["architectures"] = ["GPT2LMHeadModel"]
        config["model_type"] = "gpt2"
        config["tie_word_embeddings"] = true
    case .bert:
        break
    }
    config["torch_dtype"] = "float32"   // transformers < 5
    config["dtype"] = "float32"   // transformers ≥ 5
    for key in ["quantization_config", "num_labels", "id2label", "label2id", "rlhf_reward_head"] {
        config.removeValue(forKey: key)
    }
    // the tokenizer's ids win; without a tokenizer the config keeps its own (possibly a list of EOS ids)
    if let b = tokenizer?.bosTokenId { config["bos_token_id"] = b }
    if let e = tokenizer?.eosTokenId { config["eos_token_id"] = e }
    if let p = tokenizer?.padTokenId { config["pad_token_id"] = p }
    try writeJSONObject(config, to: directory + "/config.json")

    // 2. model.safetensors
    try writeModelSafetensors(architecture.module, to: directory)

    // 3. tokenizer files
    if let sourceDirectory {
        try copyTokenizerFiles(from: sourceDirectory, to: directory)
        try copyIfPresent("chat_template.jinja", from: sourceDirectory, to: directory)
    } else if sourceIsGGUF, let source {
        let file = try GGUFFile(path: source)
        if file.metadata["tokenizer.ggml.tokens"] != nil {
            let files = try HFTokenizerFiles(
                gguf: try GGUFVocabulary(metadataOf: file),
                modelMaxLength: config["max_position_embeddings"] as? Int)
            for (name, data) in files.files {
                try AtomicFileWriter.write(to: directory + "/" + name) { try $0.write(Array(data)) }
            }
        }
    }

    // 4. generation_config.json
    if let sourceDirectory, try copyIfPresent("generation_config.json", from: sourceDirectory, to: directory) {
        return
    }
    var generation: [String: Any] = [:]
    for key in ["bos_token_id", "eos_token_id", "pad_token_id"] {
        if let id = config[key], !(id is NSNull) { generation[key] = id }
    }
    try writeJSONObject(generation, to: directory + "/generation_config.json")
}

/// Copies `name` from `source` into `directory` when the source has it; returns whether it did.
@discardableResult
private func copyIfPresent(_ name: String, from source: String, to directory: String) throws -> Bool {
    let fm = FileManager.default
    let src = source + "/" + name, dst = directory + "/" + name
    guard fm.fileExists(atPath: src) else { return false }
    guard let data = fm.contents(atPath: src) else {
        throw FormatError.io(path: src, reason: "cannot read the file")
    }
    try AtomicFileWriter.write(to: dst) { try $0.write(Array(data)) }
    return true
}

/// `path` absolute, standardised and with symbolic links resolved, for comparing folders.
private func canonicalPath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
}
