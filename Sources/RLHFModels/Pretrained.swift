// Loading what users have: a HF folder (config.json + *.safetensors + tokenizer.json) or a GGUF file,
// into one of our architectures plus its tokenizer.

import Foundation
import RLHFFormats
import RLHFNN
import RLHFTensor
import RLHFTokenizers

/// One of the supported architectures.
public enum Architecture {
    /// A BERT-family encoder (BERT, MiniLM, DistilBERT).
    case bert(BertModel)
    /// A Llama-architecture decoder (from a HF folder or a GGUF file).
    case llama(LlamaForCausalLM)
    /// A GPT-2 decoder.
    case gpt2(GPT2LMHeadModel)

    /// The module tree.
    public var module: Module {
        switch self {
        case .bert(let m): return m
        case .llama(let m): return m
        case .gpt2(let m): return m
        }
    }

    /// The model as a decoder, when it is one.
    public var causalLM: CausalLanguageModel? {
        switch self {
        case .bert: return nil
        case .llama(let m): return m
        case .gpt2(let m): return m
        }
    }

    /// A short name ("bert", "llama", "gpt2").
    public var name: String {
        switch self {
        case .bert: return "bert"
        case .llama: return "llama"
        case .gpt2: return "gpt2"
        }
    }
}

/// A loaded model, its tokenizer and where they came from.
public struct PretrainedModel {
    /// The model, in evaluation mode.
    public let architecture: Architecture
    /// The folder's tokenizer.json, or the tokenizer of the GGUF file's vocabulary; nil when there is none.
    public let tokenizer: Tokenizer?
    /// The HF folder or `.gguf` file it was loaded from, as given.
    public let path: String
    /// Tensor dtypes in the source file, by tensor name (for `rlhf inspect`).
    public let dtypes: [String: String]

    /// The model's tokenizer, for uses that cannot go on without one.
    ///
    /// - Throws: `ModelError.noTokenizer` naming `path` when the model came without one (no tokenizer.json in
    ///   its folder, no `tokenizer.ggml.*` vocabulary in its GGUF metadata).
    public func requireTokenizer() throws -> Tokenizer {
        guard let tokenizer else { throw ModelError.noTokenizer(path: path) }
        return tokenizer
    }

    /// The model as a decoder, for uses that need a causal LM (generation, SFT, a PPO policy).
    ///
    /// - Parameter purpose: what needs the decoder, as a clause for the message, e.g. "SFT trains Llama or
    ///   GPT-2 causal LMs".
    /// - Throws: `ModelError.notADecoder` naming `path`, the architecture and `purpose` when the model is an
    ///   encoder.
    public func requireCausalLM(purpose: String) throws -> CausalLanguageModel {
        guard let lm = architecture.causalLM else {
            throw ModelError.notADecoder(path: path, architecture: architecture.name, purpose: purpose)
        }
        return lm
    }
}

extension GGUFVocabulary {
    /// The `tokenizer.ggml.*` metadata of a GGUF file.
    public init(metadataOf file: GGUFFile) throws {
        let md = file.metadata
        guard let model = md["tokenizer.ggml.model"]?.string, let tokens = md["tokenizer.ggml.tokens"]?.stringArray else {
            throw ModelError.unsupportedConfig(source: file.path, reason: "metadata has no tokenizer.ggml.model / tokenizer.ggml.tokens")
        }
        self.init(
            model: model, pre: md["tokenizer.ggml.pre"]?.string, tokens: tokens,
            tokenTypes: md["tokenizer.ggml.token_type"]?.intArray,
            merges: md["tokenizer.ggml.merges"]?.stringArray ?? [],
            scores: md["tokenizer.ggml.scores"]?.floatArray,
            bosTokenId: md["tokenizer.ggml.bos_token_id"]?.int, eosTokenId: md["tokenizer.ggml.eos_token_id"]?.int,
            unknownTokenId: md["tokenizer.ggml.unknown_token_id"]?.int,
            paddingTokenId: md["tokenizer.ggml.padding_token_id"]?.int,
            addBosToken: md["tokenizer.ggml.add_bos_token"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } },
            chatTemplate: md["tokenizer.chat_template"]?.string)
    }
}

/// Loads a HF folder or a `.gguf` file.
///
/// The config (config.json or GGUF metadata) is validated (`BertConfig.validate`, `LlamaConfig.validate`,
/// `GPT2Config.validate`) and checked against the checkpoint's tensor names and shapes before the model is
/// built, so that a config that parses either loads or throws, and allocates about what the file holds.
///
/// - Throws: `ModelError` naming the file and the key or tensor; `FormatError` for unreadable files.
public func loadPretrained(path: String) throws -> PretrainedModel {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw ModelError.notAModel(path: path, reason: "no such file or folder")
    }
    if !isDir.boolValue {
        guard path.hasSuffix(".gguf") else {
            throw ModelError.notAModel(path: path, reason: "expected a HF folder (config.json, *.safetensors) or a .gguf file")
        }
        return try loadGGUF(path: path)
    }
    return try loadHFFolder(path: path)
}

private func loadGGUF(path: String) throws -> PretrainedModel {
    let file = try GGUFFile(path: path)
    let weights = try GGUFLlamaWeights(file)
    try weights.config.preflight(weights, fields: FieldCheck(source: path, names: weights.keyNames))
    var rng = RandomGenerator(seed: 0)
    let model = try LlamaForCausalLM(weights.config, source: path, rng: &rng)
    try model.loadParameters(from: weights)
    model.eval()
    let md = file.metadata
    let tokenizer = md["tokenizer.ggml.tokens"] == nil ? nil : try Tokenizer.fromGGUFVocabulary(try GGUFVocabulary(metadataOf: file))
    var dtypes: [String: String] = [:]
    for info in file.tensorInfos { dtypes[hfName(forGGUF: info.name) ?? info.name] = "\(info.type)".uppercased() }
    return PretrainedModel(architecture: .llama(model), tokenizer: tokenizer, path: path, dtypes: dtypes)
}

private func loadHFFolder(path: String) throws -> PretrainedModel {
    let configPath = path + "/config.json"
    guard let data = try readRegularFileIfPresent(path: configPath),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else {
        throw ModelError.notAModel(path: path, reason: "config.json is missing or is not a JSON object")
    }
    let modelType = json["model_type"] as? String ?? ""
    // a `*ForSequenceClassification` folder (a reward model): its head is loaded by RewardModel.load
    let isClassifier = (json["architectures"] as? [String] ?? []).contains { $0.hasSuffix("ForSequenceClassification") }
    let weights = try SafetensorsCheckpoint(directory: path)
    var rng = RandomGenerator(seed: 0)
    let arch: Architecture
    switch modelType {
    case "bert":
        let hasPooler = weights.tensorNames.contains { $0.hasSuffix("pooler.dense.weight") }
        let config = try decodeConfig(BertConfig.self, from: configPath)
        try config.validate(source: configPath)
        try config.preflight(weights, candidates: { [$0, "bert." + $0] }, fields: FieldCheck(source: configPath))
        let m = try BertModel(config, pooler: hasPooler, source: configPath, rng: &rng)
        try m.loadParameters(
            from: weights, candidates: { [$0, "bert." + $0] },
            ignoring: { $0.hasSuffix("position_ids") || $0.hasPrefix("classifier.") || $0.hasPrefix("cls.") })
        arch = .bert(m)
    case "distilbert":
        let config = try decodeConfig(DistilBertConfig.self, from: configPath).bertConfig(source: configPath)
        let candidates = { (k: String) in [distilBertName(forBertKey: k), "distilbert." + distilBertName(forBertKey: k)] }
        try config.preflight(weights, candidates: candidates, fields: FieldCheck(source: configPath, names: DistilBertConfig.keyNames))
        let m = try BertModel(config, pooler: false, source: configPath, rng: &rng)
        try m.loadParameters(
            from: weights, candidates: candidates,
            ignoring: { !$0.hasPrefix("embeddings.") && !$0.hasPrefix("transformer.") && !$0.hasPrefix("distilbert.") })
        arch = .bert(m)
    case "llama":
        var config = try decodeConfig(LlamaConfig.self, from: configPath)
        if isClassifier { config.tieWordEmbeddings = true }   // a classifier has a score head, no lm_head
        try config.validate(source: configPath)
        try config.preflight(weights, fields: FieldCheck(source: configPath))
        let m = try LlamaForCausalLM(config, source: configPath, rng: &rng)
        try m.loadParameters(
            from: weights,
            ignoring: {
                $0.hasSuffix("rotary_emb.inv_freq") || ($0 == "lm_head.weight" && m.lmHead == nil)
                    || (isClassifier && $0.hasPrefix("score."))
            })
        arch = .llama(m)
    case "gpt2":
        let config = try decodeConfig(GPT2Config.self, from: configPath)
        // the original Hub `gpt2` file has no "transformer." prefix
        let candidates = { (k: String) in [k, String(k.dropFirst("transformer.".count))] }
        try config.validate(source: configPath)
        try config.preflight(weights, candidates: candidates, source: configPath)
        let m = try GPT2LMHeadModel(config, source: configPath, rng: &rng)
        try m.loadParameters(
            from: weights, candidates: candidates,
            ignoring: {
                $0.hasSuffix(".attn.bias") || $0.hasSuffix(".attn.masked_bias") || $0 == "lm_head.weight"
                    || (isClassifier && $0.hasPrefix("score."))
            })
        arch = .gpt2(m)
    default:
        throw ModelError.unsupportedConfig(source: configPath, reason: "model_type '\(modelType)' is not supported (bert, distilbert, llama, gpt2)")
    }
    arch.module.eval()
    let tokPath = path + "/tokenizer.json"
    let tokenizer = FileManager.default.fileExists(atPath: tokPath) ? try Tokenizer.load(tokenizerJSON: tokPath) : nil
    var dtypes: [String: String] = [:]
    for n in weights.tensorNames { dtypes[n] = weights.info(n)?.dtype ?? "?" }
    return PretrainedModel(architecture: arch, tokenizer: tokenizer, path: path, dtypes: dtypes)
}
