// Llama decoder, ported from transformers' modeling_llama.py (LlamaForCausalLM, eager attention).
//
// Shapes: B batch, T new tokens, S = cached + T keys, C hidden, NH query heads, NKV key/value heads,
// hs head size, I intermediate, V vocabulary.
//   x = embed_tokens(ids) [B, T, C]
//   layer: h = RMSNorm(x); q = q_proj(h) [B, NH, T, hs], k, v = k_proj/v_proj(h) [B, NKV, T, hs]
//          q, k = RoPE(q, k) at each token's position (θ = rope_theta, HF's rotate-half layout)
//          x += o_proj(softmax(q kᵀ/√hs + causal + padding) v)      (each KV head serves NH/NKV queries)
//          x += down_proj(silu(gate_proj(RMSNorm(x))) ⊙ up_proj(RMSNorm(x)))
//   logits = lm_head(RMSNorm(x)) [B, T, V]   (lm_head = embed_tokensᵀ when tie_word_embeddings)

import RLHFNN
import RLHFTensor

/// `config.json` of a Llama-architecture model (fields are the camelCase of HF's keys).
public struct LlamaConfig: Codable, Sendable, Equatable {
    /// transformers ≥ 5 nests the RoPE settings.
    public struct RopeParameters: Codable, Sendable, Equatable {
        public var ropeTheta: Float?
        public var ropeType: String?
    }
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int?
    public var headDim: Int?
    public var rmsNormEps: Float?
    public var ropeTheta: Float?
    public var ropeParameters: RopeParameters?
    public var maxPositionEmbeddings: Int?
    public var tieWordEmbeddings: Bool?
    public var attentionBias: Bool?
    public var mlpBias: Bool?
    public var hiddenAct: String?
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    public var padTokenId: Int?

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int, rmsNormEps: Float = 1e-5,
                ropeTheta: Float = 10_000, tieWordEmbeddings: Bool = true, maxPositionEmbeddings: Int = 2048) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers; self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads; self.rmsNormEps = rmsNormEps; self.ropeTheta = ropeTheta
        self.tieWordEmbeddings = tieWordEmbeddings; self.maxPositionEmbeddings = maxPositionEmbeddings
    }

    /// Key/value heads (defaults to the query heads).
    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    /// Head size (defaults to hidden / heads).
    public var headSize: Int { headDim ?? hiddenSize / max(numAttentionHeads, 1) }
    /// RoPE base θ.
    public var theta: Float { ropeTheta ?? ropeParameters?.ropeTheta ?? 10_000 }
    /// Whether lm_head shares the embedding matrix.
    public var tied: Bool { tieWordEmbeddings ?? true }
}

/// Keys and values of past tokens, per layer, in preallocated buffers [B, NKV, capacity, hs] that grow by
/// doubling; attention reads the filled part in place (no copy per step).
public final class KVCache: @unchecked Sendable {
    private var keyBuffers: [Tensor?]
    private var valueBuffers: [Tensor?]
    private var filled: [Int]
    private let initialCapacity: Int

    /// Number of cached positions.
    public var length: Int { filled.first ?? 0 }

    /// A cache for `layers` layers that first reserves `capacity` positions.
    public init(layers: Int, capacity: Int = 256) {
        keyBuffers = Array(repeating: nil, count: layers)
        valueBuffers = Array(repeating: nil, count: layers)
        filled = Array(repeating: 0, count: layers)
        initialCapacity = max(capacity, 1)
    }

    /// Appends this step's k, v [B, NKV, T, hs] of `layer`; returns views of all keys and values so far.
    func append(layer: Int, k: Tensor, v: Tensor) -> (Tensor, Tensor) {
        let (b, h, t, hs) = (k.shape[0], k.shape[1], k.shape[2], k.shape[3])
        let used = filled[layer], need = used + t
        func ensure(_ buffer: Tensor?) -> Tensor {
            if let buffer, buffer.shape[2] >= need { return buffer }
            let grown = Tensor(zeros: [b, h, max(need, max(initialCapacity, 2 * (buffer?.shape[2] ?? 0))), hs])
            if let buffer, used > 0 { grown.sliced(axis: 2, 0, used).assign(buffer.sliced(axis: 2, 0, used)) }
            return grown
        }
        let kb = ensure(keyBuffers[layer]), vb = ensure(valueBuffers[layer])
        keyBuffers[layer] = kb; valueBuffers[layer] = vb
        kb.sliced(axis: 2, used, need).assign(k.detached())
        vb.sliced(axis: 2, used, need).assign(v.detached())
        filled[layer] = need
        return (kb.sliced(axis: 2, 0, need), vb.sliced(axis: 2, 0, need))
    }
}

public final class LlamaAttention: Module, @unchecked Sendable {
    public let qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear
    let heads: Int, kvHeads: Int

    init(_ c: LlamaConfig, rng: inout RandomGenerator) {
        let hs = c.headSize, bias = c.attentionBias ?? false
        qProj = Linear(c.hiddenSize, c.numAttentionHeads * hs, bias: bias, rng: &rng)
        kProj = Linear(c.hiddenSize, c.kvHeads * hs, bias: bias, rng: &rng)
        vProj = Linear(c.hiddenSize, c.kvHeads * hs, bias: bias, rng: &rng)
        oProj = Linear(c.numAttentionHeads * hs, c.hiddenSize, bias: bias, rng: &rng)
        heads = c.numAttentionHeads; kvHeads = c.kvHeads
        super.init()
    }

    func callAsFunction(_ h: Tensor, cos: Tensor, sin: Tensor, mask: Tensor?, cache: KVCache?, layer: Int) -> Tensor {
        let q = rope(splitHeads(qProj(h), heads: heads), cos: cos, sin: sin)
        var k = rope(splitHeads(kProj(h), heads: kvHeads), cos: cos, sin: sin)
        var v = splitHeads(vProj(h), heads: kvHeads)
        if let cache { (k, v) = cache.append(layer: layer, k: k, v: v) }
        return oProj(mergeHeads(scaledDotProductAttention(q, k, v, causal: true, keyPaddingMask: mask)))
    }
}

public final class LlamaMLP: Module, @unchecked Sendable {
    public let gateProj: Linear, upProj: Linear, downProj: Linear
    init(_ c: LlamaConfig, rng: inout RandomGenerator) {
        let bias = c.mlpBias ?? false
        gateProj = Linear(c.hiddenSize, c.intermediateSize, bias: bias, rng: &rng)
        upProj = Linear(c.hiddenSize, c.intermediateSize, bias: bias, rng: &rng)
        downProj = Linear(c.intermediateSize, c.hiddenSize, bias: bias, rng: &rng)
        super.init()
    }
    func callAsFunction(_ h: Tensor) -> Tensor { downProj(silu(gateProj(h)) * upProj(h)) }
}

public final class LlamaDecoderLayer: Module, @unchecked Sendable {
    public let selfAttn: LlamaAttention
    public let mlp: LlamaMLP
    public let inputLayernorm: RMSNorm
    public let postAttentionLayernorm: RMSNorm

    init(_ c: LlamaConfig, rng: inout RandomGenerator) {
        selfAttn = LlamaAttention(c, rng: &rng)
        mlp = LlamaMLP(c, rng: &rng)
        inputLayernorm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps ?? 1e-6)
        postAttentionLayernorm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps ?? 1e-6)
        super.init()
    }
}

/// The trunk (`LlamaModel`, key "model").
public final class LlamaModel: Module, @unchecked Sendable {
    public let embedTokens: Embedding
    public let layers: [LlamaDecoderLayer]
    public let norm: RMSNorm
    init(_ c: LlamaConfig, rng: inout RandomGenerator) {
        embedTokens = Embedding(c.vocabSize, c.hiddenSize, rng: &rng)
        layers = (0..<c.numHiddenLayers).map { _ in LlamaDecoderLayer(c, rng: &rng) }
        norm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps ?? 1e-6)
        super.init()
    }
}

/// A Llama causal language model (`LlamaForCausalLM`).
public final class LlamaForCausalLM: Module, @unchecked Sendable {
    public let config: LlamaConfig
    public let model: LlamaModel
    /// Absent when the embeddings are tied.
    public let lmHead: Linear?
    /// The key of the context length in the source (`llama.context_length` for a GGUF file), for messages.
    let contextKey: String

    /// A randomly initialised model (weights are normally loaded afterwards).
    ///
    /// - Throws: what `config.validate(source:)` throws, before anything is allocated.
    public init(_ config: LlamaConfig, source: String = "config", rng: inout RandomGenerator) throws {
        try config.validate(source: source)
        self.config = config
        contextKey = source.hasSuffix(".gguf") ? "llama.context_length" : "max_position_embeddings"
        model = LlamaModel(config, rng: &rng)
        lmHead = config.tied ? nil : Linear(config.hiddenSize, config.vocabSize, bias: false, rng: &rng)
        super.init()
    }

    /// The final normalised hidden states [B, T, C].
    ///
    /// - Parameters:
    ///   - ids: B·T new token ids, row-major.
    ///   - attentionMask: [B, S] over cached + new positions (1 real, 0 padding); nil: all real.
    ///   - positions: B·T position ids (nil: cache length + 0..<T for every row).
    ///   - cache: past keys and values, extended in place.
    public func hiddenStates(ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
                             cache: KVCache? = nil) -> Tensor {
        precondition(b > 0 && ids.count % b == 0, "LlamaForCausalLM: \(ids.count) ids for batch \(b)")
        let t = ids.count / b, past = cache?.length ?? 0
        let tables: (cos: Tensor, sin: Tensor)
        if let positions {
            precondition(positions.count == ids.count, "LlamaForCausalLM: \(positions.count) positions for \(ids.count) ids")
            let (c, s) = ropeTables(positions: positions, headDim: config.headSize, theta: config.theta)
            tables = (c.reshaped([b, t, config.headSize]), s.reshaped([b, t, config.headSize]))
        } else {
            tables = ropeTables(positions: Array(past..<(past + t)), headDim: config.headSize, theta: config.theta)
        }
        var x = model.embedTokens(ids, shape: [b, t])
        for (i, layer) in model.layers.enumerated() {
            x = x + layer.selfAttn(layer.inputLayernorm(x), cos: tables.cos, sin: tables.sin, mask: attentionMask,
                                   cache: cache, layer: i)
            x = x + layer.mlp(layer.postAttentionLayernorm(x))
        }
        return model.norm(x)
    }

    /// Logits [B, T, V] of the hidden states.
    public func logits(fromHidden h: Tensor) -> Tensor {
        lmHead.map { $0(h) } ?? linearMap(h, model.embedTokens.weight)
    }

    /// Logits [B, T, V]; see `hiddenStates` for the arguments.
    public func callAsFunction(ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
                               cache: KVCache? = nil) -> Tensor {
        logits(fromHidden: hiddenStates(ids: ids, batch: b, attentionMask: attentionMask, positions: positions, cache: cache))
    }

    /// A cache for this model reserving `capacity` positions.
    public func makeCache(capacity: Int) -> KVCache { KVCache(layers: config.numHiddenLayers, capacity: capacity) }
}
