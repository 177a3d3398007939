// Writing models as HF folders: config.json (the source's own, or one built from our config for a GGUF
// source), model.safetensors under HF names, and the tokenizer files the source folder has. The caller
// writes into a fresh folder (a checkpoint's temporary folder) and renames it when complete.

import Foundation
import RLHFFormats
import RLHFNN
import RLHFTensor

/// Tokenizer files copied from a source folder into exports, when present.
package let hfTokenizerFiles = [
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
    "merges.txt", "vocab.json", "added_tokens.json"
]

/// The source's config.json as a dictionary: read from `sourceDirectory` when it is a HF folder, else built
/// from the architecture's config (a GGUF source).
package func hfConfigDictionary(for backbone: Architecture, sourceDirectory: String?) throws -> [String: Any] {
    if let dir = sourceDirectory, let data = try readRegularFileIfPresent(path: dir + "/config.json") {
        guard let dict = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.notAModel(path: dir + "/config.json", reason: "config.json is not a JSON object")
        }
        return dict
    }
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    func dict<T: Encodable>(_ v: T) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: encoder.encode(v)) as? [String: Any]) ?? [:]
    }
    switch backbone {
    case .bert(let m):
        var d = try dict(m.config)
        d["model_type"] = d["model_type"] ?? "bert"
        return d
    case .llama(let m):
        var d = try dict(m.config)
        d["model_type"] = "llama"
        d["hidden_act"] = d["hidden_act"] ?? "silu"
        d["num_key_value_heads"] = m.config.kvHeads
        d["head_dim"] = m.config.headSize
        d["rope_theta"] = Double(m.config.theta)
        d["tie_word_embeddings"] = m.config.tied
        d.removeValue(forKey: "rope_parameters")
        return d
    case .gpt2(let m):
        var d = try dict(m.config)
        d["model_type"] = "gpt2"
        return d
    }
}

/// Writes `config` as pretty, key-sorted JSON to `path`.
package func writeJSONObject(_ object: [String: Any], to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    try AtomicFileWriter.write(to: path) { try $0.write(Array(data) + [0x0A]) }
}

/// Copies the tokenizer files `sourceDirectory` has into `directory`; returns the names copied.
@discardableResult
package func copyTokenizerFiles(from sourceDirectory: String?, to directory: String) throws -> [String] {
    guard let src = sourceDirectory else { return [] }
    var copied: [String] = []
    let fm = FileManager.default
    for name in hfTokenizerFiles where fm.fileExists(atPath: src + "/" + name) {
        let dst = directory + "/" + name
        if fm.fileExists(atPath: dst) { try fm.removeItem(atPath: dst) }
        do { try fm.copyItem(atPath: src + "/" + name, toPath: dst) } catch {
            throw FormatError.io(path: dst, reason: "cannot copy \(src)/\(name): \(error.localizedDescription)")
        }
        copied.append(name)
    }
    return copied
}

/// Writes a module's parameters as `model.safetensors` under their key paths.
package func writeModelSafetensors(_ module: Module, to directory: String) throws {
    try writeSafetensors(
        module.namedParameters().map { (name: $0.key, tensor: $0.parameter.value.detached()) },
        to: directory + "/model.safetensors")
}
