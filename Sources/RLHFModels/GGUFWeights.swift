// A GGUF llama file seen as HF-named weights: `blk.N.attn_q.weight` → `model.layers.N.self_attn.q_proj.weight`,
// with the rotary row permutation that convert_hf_to_gguf applies to Q and K undone, and the llama
// hyper-parameters of its metadata as a LlamaConfig.

import RLHFFormats
import RLHFTensor

/// GGUF tensor name → HF name (llama), for one block's or the model's tensors.
func hfName(forGGUF name: String) -> String? {
    let top: [String: String] = [
        "token_embd.weight": "model.embed_tokens.weight",
        "output_norm.weight": "model.norm.weight",
        "output.weight": "lm_head.weight"
    ]
    if let n = top[name] { return n }
    let parts = name.split(separator: ".")
    guard parts.count == 4, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
    let inner: [Substring: String] = [
        "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"
    ]
    guard let mapped = inner[parts[2]] else { return nil }
    return "model.layers.\(layer).\(mapped).\(parts[3])"
}

/// The weights of a GGUF llama file under HF names, dequantised on demand.
public struct GGUFLlamaWeights: WeightSource {
    /// The opened GGUF file.
    public let file: GGUFFile
    /// The llama hyper-parameters of its metadata, validated (see `llamaConfig(fromGGUF:)`).
    public let config: LlamaConfig
    /// The metadata keys the config's fields came from (HF key → GGUF key), for messages.
    let keyNames: [String: String]
    private let hfToGGUF: [String: String]

    /// Reads the llama config of `file`'s metadata and maps each of its tensors to its HF name.
    ///
    /// - Throws: what `llamaConfig(fromGGUF:)` throws; `ModelError.unsupportedConfig` naming tensors that have
    ///   no llama mapping.
    public init(_ file: GGUFFile) throws {
        self.file = file
        (config, keyNames) = try llamaConfigAndKeys(fromGGUF: file)
        var map: [String: String] = [:]
        var unknown: [String] = []
        for info in file.tensorInfos {
            if let hf = hfName(forGGUF: info.name) { map[hf] = info.name } else { unknown.append(info.name) }
        }
        if !unknown.isEmpty {
            throw ModelError.unsupportedConfig(
                source: file.path, reason: "tensors with no llama mapping: \(unknown.prefix(8).joined(separator: ", "))")
        }
        hfToGGUF = map
    }

    /// The file's path.
    public var sourceDescription: String { file.path }
    /// The HF names of the file's tensors, sorted.
    public var tensorNames: [String] { hfToGGUF.keys.sorted() }

    /// The PyTorch-order shape of the tensor with HF name `name`, without reading it; nil when there is none.
    public func shape(of name: String) -> [Int]? {
        guard let g = hfToGGUF[name] else { return nil }
        return file.info(g)?.shape
    }

    /// The tensor with HF name `name`, dequantised to Float32, with the Q/K row permutation undone.
    ///
    /// - Throws: `ModelError.weightsMismatch` naming `name` as missing when the file has no such tensor; the
    ///   `FormatError` of `GGUFFile.tensor(_:)` for a type it cannot dequantise.
    public func tensor(_ name: String) throws -> Tensor {
        guard let g = hfToGGUF[name] else {
            throw ModelError.weightsMismatch(source: file.path, missing: [name], unexpected: [], wrongShape: [])
        }
        let t = try file.tensor(g)
        if let heads = rotaryHeads(name) { return unpermuteLlamaRotary(t, heads: heads) }
        return t
    }

    /// The matrix's Q4_0/Q4_1/Q8_0 blocks as stored, Q and K rows un-permuted; nil for other types, for
    /// vectors and for rows that are not whole blocks.
    public func quantized(_ name: String) throws -> QuantizedMatrix? {
        guard let g = hfToGGUF[name], let info = file.info(g), info.dims.count == 2 else { return nil }
        let format: QuantizedFormat
        switch info.type {
        case .q4_0: format = .q4_0
        case .q4_1: format = .q4_1
        case .q8_0: format = .q8_0
        default: return nil
        }
        let (rows, cols) = (info.dims[1], info.dims[0])
        guard cols > 0, rows > 0, cols % 32 == 0, info.byteCount == rows * cols / 32 * format.blockBytes else { return nil }
        var order: [Int]? = nil
        if let heads = rotaryHeads(name) {
            // the permutation applied to a column of row numbers gives, for each HF row, its stored row
            let ids = Tensor((0..<rows).map { Float($0) })
            order = unpermuteLlamaRotary(ids, heads: heads).scalars.map { Int($0) }
        }
        return try file.withRawBytes(g) { QuantizedMatrix(format: format, rows: rows, cols: cols, bytes: $0, rowOrder: order) }
    }

    /// The head count whose rotary row permutation `name` carries (Q: attention heads, K: KV heads).
    private func rotaryHeads(_ name: String) -> Int? {
        if name.hasSuffix("self_attn.q_proj.weight") { return config.numAttentionHeads }
        if name.hasSuffix("self_attn.k_proj.weight") { return config.kvHeads }
        return nil
    }
}

/// The llama hyper-parameters of a GGUF file's metadata (`llama.*` keys; vocabulary from the tokenizer),
/// validated as `LlamaConfig.validate` does, with errors that name the metadata keys
/// (`llama.attention.head_count`, `llama.rope.freq_base`, …).
///
/// - Throws: `ModelError.unsupportedConfig` for another architecture, a missing key or a value of the wrong
///   type; `.invalidConfig` for a value out of range (see ConfigValidation.swift).
public func llamaConfig(fromGGUF file: GGUFFile) throws -> LlamaConfig {
    try llamaConfigAndKeys(fromGGUF: file).config
}

/// `llamaConfig(fromGGUF:)` and the metadata key of each field (HF key → GGUF key).
func llamaConfigAndKeys(fromGGUF file: GGUFFile) throws -> (config: LlamaConfig, keys: [String: String]) {
    let md = file.metadata
    guard let arch = md["general.architecture"]?.string else {
        throw ModelError.unsupportedConfig(source: file.path, reason: "metadata has no general.architecture")
    }
    guard arch == "llama" else {
        throw ModelError.unsupportedConfig(source: file.path, reason: "architecture '\(arch)' is not supported (llama)")
    }
    /// The integer at `llama.<key>`: nil when absent, an error when present with another type.
    func optionalInt(_ key: String) throws -> Int? {
        guard let v = md["llama." + key] else { return nil }
        guard let i = v.int else {
            throw ModelError.unsupportedConfig(source: file.path, reason: "metadata key 'llama.\(key)' is not an integer (found \(v.typeName))")
        }
        return i
    }
    func int(_ key: String) throws -> Int {
        guard let v = try optionalInt(key) else {
            throw ModelError.unsupportedConfig(source: file.path, reason: "metadata key 'llama.\(key)' is missing or not an integer")
        }
        return v
    }
    /// The number at `llama.<key>` as a Float (nil when absent; NaN and out-of-range values stay for the
    /// validation to name).
    func optionalFloat(_ key: String) throws -> Float? {
        guard let v = md["llama." + key] else { return nil }
        guard let d = v.double ?? v.int.map(Double.init) else {
            throw ModelError.unsupportedConfig(source: file.path, reason: "metadata key 'llama.\(key)' is not a number (found \(v.typeName))")
        }
        return Float(d)
    }
    let vocab: Int
    var names = LlamaConfig.ggufKeyNames
    if let v = try optionalInt("vocab_size") {
        vocab = v
    } else if let tokens = md["tokenizer.ggml.tokens"]?.array {
        vocab = tokens.count; names["vocab_size"] = "tokenizer.ggml.tokens (its count)"
    } else {
        vocab = file.info("token_embd.weight")?.shape.first ?? 0
        names["vocab_size"] = "token_embd.weight (its rows)"
    }
    let heads = try int("attention.head_count")
    var c = LlamaConfig(
        vocabSize: vocab, hiddenSize: try int("embedding_length"),
        intermediateSize: try int("feed_forward_length"), numHiddenLayers: try int("block_count"),
        numAttentionHeads: heads, numKeyValueHeads: try optionalInt("attention.head_count_kv") ?? heads,
        rmsNormEps: try optionalFloat("attention.layer_norm_rms_epsilon") ?? 1e-5,
        ropeTheta: try optionalFloat("rope.freq_base") ?? 10_000,
        tieWordEmbeddings: file.info("output.weight") == nil,
        maxPositionEmbeddings: try optionalInt("context_length") ?? 2048)
    if let rotDim = try optionalInt("rope.dimension_count"), heads > 0, rotDim != c.hiddenSize / heads { c.headDim = rotDim }
    c.bosTokenId = md["tokenizer.ggml.bos_token_id"]?.int
    c.eosTokenId = md["tokenizer.ggml.eos_token_id"]?.int
    c.padTokenId = md["tokenizer.ggml.padding_token_id"]?.int
    try c.check(FieldCheck(source: file.path, names: names), ModelLimits())
    return (c, names)
}
