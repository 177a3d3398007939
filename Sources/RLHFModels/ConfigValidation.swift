// Validation of the architecture fields of BERT, DistilBERT, Llama and GPT-2 configs (from config.json or
// GGUF metadata), run before anything is allocated: every size positive, divisible where the shapes need
// it, within a sane bound, every epsilon and rotary base a usable number, and the whole model within the
// machine's memory. Each model's initialiser calls its config's `validate`, so a config that parses either
// builds or throws; `loadPretrained` also checks the config against the checkpoint's tensors
// (WeightPreflight.swift) before it builds anything.
//
// Bounds (far above any released model, low enough that no product of them overflows Int):
//   vocab_size                                 1 … 16,777,216 (2²⁴; the largest vocabularies are ~256k)
//   hidden_size / n_embd / dim                 1 … 131,072 (2¹⁷; Llama 3.1 405B has 16,384)
//   intermediate_size / n_inner / hidden_dim   1 … 1,048,576 (2²⁰; 405B: 53,248)
//   num_hidden_layers / n_layer / n_layers     1 … 1,024 (405B: 126)
//   num_attention_heads                        1 … 16,384 (encoders, GPT-2: at most the hidden size, dividing it)
//   num_key_value_heads                        1 … num_attention_heads, dividing it
//   head size (head_dim or hidden / heads)     2 … 16,384 and even (rotary embeddings rotate pairs);
//                                              heads × head size ≤ 1,048,576
//   max_position_embeddings / n_positions      1 … 16,777,216 (2²⁴; learned tables count in the memory bound too)
//   type_vocab_size                            0 … 65,536
//   layer_norm_eps / rms_norm_eps / …          finite, above 0 and below 1 (0, ∞ and NaN are refused)
//   rope_theta / rope.freq_base                finite and above 1 (the inverse frequencies θ^(−2i/d) fall from 1)
//   all parameters as Float32                  ≤ ModelLimits.maxParameterBytes (default: the machine's memory)

import Foundation

/// Bounds a config must respect beyond the ranges of its fields (see the table at the top of
/// ConfigValidation.swift).
public struct ModelLimits: Sendable, Equatable {
    /// Most bytes the model's parameters may take as Float32 (default: the machine's physical memory).
    public var maxParameterBytes: Int

    /// Limits with `maxParameterBytes` (default: the machine's physical memory). A fuzzing harness passes a
    /// small value so that no accepted config allocates more than it can afford.
    public init(maxParameterBytes: Int = Int(clamping: ProcessInfo.processInfo.physicalMemory)) {
        self.maxParameterBytes = maxParameterBytes
    }
}

/// The bounds of the table above.
enum FieldBounds {
    static let vocabulary = 1 << 24
    static let hidden = 1 << 17
    static let intermediate = 1 << 20
    static let layers = 1024
    static let heads = 1 << 14
    static let headSize = 1 << 14
    static let projection = 1 << 20
    static let positions = 1 << 24
    static let tokenTypes = 1 << 16
}

/// Checks the fields of one config, naming each key as its source spells it.
struct FieldCheck {
    /// The config file (or GGUF file) the fields come from.
    let source: String
    /// HF key → the key as the source spells it (GGUF metadata, DistilBERT's names); others are HF's.
    var names: [String: String] = [:]

    /// The key as the source spells it.
    func key(_ hfKey: String) -> String { names[hfKey] ?? hfKey }

    /// An `invalidConfig` error about `hfKey` whose message is the key followed by `rest`.
    func error(_ hfKey: String, _ rest: String) -> ModelError {
        .invalidConfig(source: source, key: key(hfKey), reason: "\(key(hfKey)) \(rest)")
    }

    /// `value` must be in `low…high`.
    func range(_ value: Int, _ hfKey: String, _ low: Int, _ high: Int) throws {
        guard value >= low && value <= high else { throw error(hfKey, "is \(value); it must be in \(low)…\(high)") }
    }

    /// A normalisation epsilon, when given: finite, above 0, below 1.
    func epsilon(_ value: Float?, _ hfKey: String) throws {
        guard let value else { return }
        guard value.isFinite, value > 0, value < 1 else {
            throw error(hfKey, "is \(value); it must be a finite number above 0 and below 1")
        }
    }

    /// A rotary base θ: finite and above 1.
    func ropeBase(_ value: Float, _ hfKey: String) throws {
        guard value.isFinite, value > 1 else {
            throw error(hfKey, "is \(value); the rotary base must be a finite number above 1")
        }
    }

    /// The parameters, 4 bytes each, must fit `limits`; `sizes` are the keys that set the count.
    func memory(parameters: Int, _ limits: ModelLimits, sizes: [String]) throws {
        let (bytes, overflow) = parameters.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard overflow || bytes > limits.maxParameterBytes else { return }
        func gb(_ b: Int) -> String { String(format: "%.1f", Double(b) / 1e9) }
        throw ModelError.invalidConfig(
            source: source, key: key(sizes[0]),
            reason: "\(sizes.map(key).joined(separator: ", ")) give \(parameters) parameters (\(overflow ? "more than Int holds" : gb(bytes)) GB "
                + "as Float32), more than the \(gb(limits.maxParameterBytes)) GB allowed (this machine's memory)")
    }
}

// MARK: BERT and DistilBERT

extension BertConfig {
    /// Throws `ModelError.invalidConfig` naming the first key (as written in config.json) that is out of
    /// range, inconsistent with another, or makes the model larger than `limits`; `.unsupportedConfig` for
    /// an activation or position-embedding type we do not implement. Allocates nothing.
    public func validate(source: String, limits: ModelLimits = ModelLimits()) throws {
        try check(FieldCheck(source: source), limits)
    }

    func check(_ c: FieldCheck, _ limits: ModelLimits) throws {
        try c.range(vocabSize, "vocab_size", 1, FieldBounds.vocabulary)
        try c.range(hiddenSize, "hidden_size", 1, FieldBounds.hidden)
        try c.range(numHiddenLayers, "num_hidden_layers", 1, FieldBounds.layers)
        try c.range(numAttentionHeads, "num_attention_heads", 1, min(hiddenSize, FieldBounds.heads))
        guard hiddenSize % numAttentionHeads == 0 else {
            throw c.error("hidden_size", "\(hiddenSize) is not divisible by \(c.key("num_attention_heads")) \(numAttentionHeads)")
        }
        try c.range(intermediateSize, "intermediate_size", 1, FieldBounds.intermediate)
        try c.range(maxPositionEmbeddings, "max_position_embeddings", 1, FieldBounds.positions)
        if let t = typeVocabSize { try c.range(t, "type_vocab_size", 0, FieldBounds.tokenTypes) }
        try c.epsilon(layerNormEps, "layer_norm_eps")
        _ = try activation(source: c.source, key: c.key("hidden_act"))
        if let p = positionEmbeddingType, p != "absolute" {
            throw ModelError.unsupportedConfig(source: c.source, reason: "position_embedding_type '\(p)' is not supported (absolute)")
        }
        try c.memory(
            parameters: parameterCount, limits,
            sizes: ["vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size", "max_position_embeddings"])
    }

    /// Parameters of the model with its pooler (fields already in range).
    var parameterCount: Int {
        let (v, h, i, p, t) = (vocabSize, hiddenSize, intermediateSize, maxPositionEmbeddings, typeVocabSize ?? 2)
        let layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h
        return (v + p + t) * h + 2 * h + numHiddenLayers * layer + h * h + h
    }
}

extension DistilBertConfig {
    /// DistilBERT's names of BERT's keys.
    static let keyNames = [
        "hidden_size": "dim", "num_hidden_layers": "n_layers", "num_attention_heads": "n_heads",
        "intermediate_size": "hidden_dim", "hidden_act": "activation"
    ]

    /// Throws `ModelError.invalidConfig` naming the first key (as DistilBERT's config.json spells it) that
    /// is out of range or inconsistent; see `BertConfig.validate`.
    public func validate(source: String, limits: ModelLimits = ModelLimits()) throws {
        _ = try bertConfig(source: source, limits: limits)
    }
}

// MARK: Llama

extension LlamaConfig {
    /// The GGUF metadata keys of the fields `llamaConfig(fromGGUF:)` reads.
    static let ggufKeyNames = [
        "vocab_size": "llama.vocab_size", "hidden_size": "llama.embedding_length",
        "intermediate_size": "llama.feed_forward_length", "num_hidden_layers": "llama.block_count",
        "num_attention_heads": "llama.attention.head_count", "num_key_value_heads": "llama.attention.head_count_kv",
        "head_dim": "llama.rope.dimension_count", "rms_norm_eps": "llama.attention.layer_norm_rms_epsilon",
        "rope_theta": "llama.rope.freq_base", "max_position_embeddings": "llama.context_length"
    ]

    /// Throws `ModelError.invalidConfig` naming the first key (as written in config.json) that is out of
    /// range (see ConfigValidation.swift), inconsistent with another (heads and KV heads, an odd head
    /// size), or makes the model larger than `limits`; `.unsupportedConfig` for a RoPE type or activation
    /// we do not implement. Allocates nothing.
    public func validate(source: String, limits: ModelLimits = ModelLimits()) throws {
        try check(FieldCheck(source: source), limits)
    }

    func check(_ c: FieldCheck, _ limits: ModelLimits) throws {
        if let t = ropeParameters?.ropeType, t != "default" {
            throw ModelError.unsupportedConfig(source: c.source, reason: "rope_type '\(t)' is not supported (default)")
        }
        if let act = hiddenAct, act != "silu" {
            throw ModelError.unsupportedConfig(source: c.source, reason: "hidden_act '\(act)' is not supported (silu)")
        }
        try c.range(vocabSize, "vocab_size", 1, FieldBounds.vocabulary)
        try c.range(hiddenSize, "hidden_size", 1, FieldBounds.hidden)
        try c.range(intermediateSize, "intermediate_size", 1, FieldBounds.intermediate)
        try c.range(numHiddenLayers, "num_hidden_layers", 1, FieldBounds.layers)
        try c.range(numAttentionHeads, "num_attention_heads", 1, FieldBounds.heads)
        if let kv = numKeyValueHeads {
            try c.range(kv, "num_key_value_heads", 1, numAttentionHeads)
            guard numAttentionHeads % kv == 0 else {
                throw c.error("num_attention_heads", "\(numAttentionHeads) is not a multiple of \(c.key("num_key_value_heads")) \(kv)")
            }
        }
        if let d = headDim {
            try c.range(d, "head_dim", 2, FieldBounds.headSize)
            guard d % 2 == 0 else { throw c.error("head_dim", "is \(d); it must be even for rotary embeddings") }
        } else {
            let hs = hiddenSize / numAttentionHeads
            guard hs >= 2, hs % 2 == 0, hs <= FieldBounds.headSize else {
                throw c.error(
                    "num_attention_heads",
                    "\(numAttentionHeads) gives a head size of \(c.key("hidden_size")) \(hiddenSize) / "
                        + "\(numAttentionHeads) = \(hs); it must be even and in 2…\(FieldBounds.headSize) for rotary embeddings")
            }
        }
        guard numAttentionHeads * headSize <= FieldBounds.projection else {
            throw c.error(
                "num_attention_heads",
                "\(numAttentionHeads) × head size \(headSize) is \(numAttentionHeads * headSize); "
                    + "it must be at most \(FieldBounds.projection)")
        }
        try c.epsilon(rmsNormEps, "rms_norm_eps")
        if let t = ropeTheta {
            try c.ropeBase(t, "rope_theta")
        } else if let t = ropeParameters?.ropeTheta {
            try c.ropeBase(t, "rope_parameters.rope_theta")
        }
        if let p = maxPositionEmbeddings { try c.range(p, "max_position_embeddings", 1, FieldBounds.positions) }
        try c.memory(
            parameters: parameterCount, limits,
            sizes: ["vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size"])
    }

    /// Parameters of the causal LM (fields already in range).
    var parameterCount: Int {
        let (v, h, i) = (vocabSize, hiddenSize, intermediateSize)
        let q = numAttentionHeads * headSize, kv = kvHeads * headSize
        let attention = h * q + 2 * h * kv + q * h + (attentionBias == true ? q + 2 * kv + h : 0)
        let mlp = 3 * h * i + (mlpBias == true ? 2 * i + h : 0)
        return v * h + numHiddenLayers * (attention + mlp + 2 * h) + h + (tied ? 0 : v * h)
    }
}

// MARK: GPT-2

extension GPT2Config {
    /// Throws `ModelError.invalidConfig` naming the first key (as written in config.json) that is out of
    /// range (see ConfigValidation.swift), not divisible (n_embd by n_head), or makes the model larger than
    /// `limits`; `.unsupportedConfig` for an activation we do not implement. Allocates nothing.
    public func validate(source: String, limits: ModelLimits = ModelLimits()) throws {
        let c = FieldCheck(source: source)
        try c.range(vocabSize, "vocab_size", 1, FieldBounds.vocabulary)
        try c.range(nEmbd, "n_embd", 1, FieldBounds.hidden)
        try c.range(nLayer, "n_layer", 1, FieldBounds.layers)
        try c.range(nHead, "n_head", 1, min(nEmbd, FieldBounds.heads))
        guard nEmbd % nHead == 0 else { throw c.error("n_embd", "\(nEmbd) is not divisible by n_head \(nHead)") }
        try c.range(nPositions, "n_positions", 1, FieldBounds.positions)
        if let i = nInner { try c.range(i, "n_inner", 1, FieldBounds.intermediate) }
        try c.epsilon(layerNormEpsilon, "layer_norm_epsilon")
        _ = try activation(source: source)
        try c.memory(parameters: parameterCount, limits, sizes: ["vocab_size", "n_embd", "n_layer", "n_positions"])
    }

    /// Parameters of the LM (fields already in range).
    var parameterCount: Int {
        let (v, c, p) = (vocabSize, nEmbd, nPositions)
        let i = nInner ?? 4 * c
        let block = (3 * c * c + 3 * c) + (c * c + c) + (c * i + i) + (i * c + c) + 4 * c
        return v * c + p * c + nLayer * block + 2 * c
    }
}
