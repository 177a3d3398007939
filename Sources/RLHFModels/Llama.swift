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
        /// The rotary base θ (`rope_parameters.rope_theta`).
        public var ropeTheta: Float?
        /// The RoPE variant (`rope_type`); only "default" (or nil) is supported.
        public var ropeType: String?
    }
    /// Rows of the embedding table: token ids are below it (`vocab_size`).
    public var vocabSize: Int
    /// Hidden width C (`hidden_size`).
    public var hiddenSize: Int
    /// Width I of the gated MLP (`intermediate_size`).
    public var intermediateSize: Int
    /// Number of decoder layers (`num_hidden_layers`).
    public var numHiddenLayers: Int
    /// Query heads NH (`num_attention_heads`).
    public var numAttentionHeads: Int
    /// Key/value heads NKV (`num_key_value_heads`), dividing NH (grouped-query attention); nil: NH. See `kvHeads`.
    public var numKeyValueHeads: Int?
    /// Head size hs (`head_dim`; nil: `hiddenSize / numAttentionHeads`). See `headSize`.
    public var headDim: Int?
    /// The RMSNorm epsilon (`rms_norm_eps`; nil: 1e-6).
    public var rmsNormEps: Float?
    /// The rotary base θ (`rope_theta`, transformers < 5); wins over `ropeParameters`. See `theta`.
    public var ropeTheta: Float?
    /// The RoPE settings of transformers ≥ 5 (`rope_parameters`), read when `ropeTheta` is absent.
    public var ropeParameters: RopeParameters?
    /// The context length (`max_position_embeddings`; nil: 2048). Rotary positions run past it (see
    /// `positionLimit`).
    public var maxPositionEmbeddings: Int?
    /// Whether the LM head is the embedding matrix (`tie_word_embeddings`; nil: true). See `tied`.
    public var tieWordEmbeddings: Bool?
    /// Whether the attention projections have biases (`attention_bias`; nil: false).
    public var attentionBias: Bool?
    /// Whether the MLP's projections have biases (`mlp_bias`; nil: false).
    public var mlpBias: Bool?
    /// The MLP activation (`hidden_act`); only "silu" (or nil) is supported.
    public var hiddenAct: String?
    /// The beginning-of-sequence id (`bos_token_id`), when given.
    public var bosTokenId: Int?
    /// The end-of-sequence id (`eos_token_id`), when given as one number.
    public var eosTokenId: Int?
    /// The padding id (`pad_token_id`), when given.
    public var padTokenId: Int?

    /// A config from explicit sizes; the fields not given (head size, biases, activation, token ids, RoPE
    /// parameters) stay nil, so their defaults apply. Nothing is validated here (`LlamaForCausalLM.init`
    /// validates).
    public init(
        vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
        numAttentionHeads: Int, numKeyValueHeads: Int, rmsNormEps: Float = 1e-5,
        ropeTheta: Float = 10_000, tieWordEmbeddings: Bool = true, maxPositionEmbeddings: Int = 2048
    ) {
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

/// Grouped-query self-attention with rotary positions (key `self_attn` of a layer); each KV head serves NH/NKV
/// query heads.
public final class LlamaAttention: Module, @unchecked Sendable {
    /// `q_proj`, C → NH·hs; `k_proj` and `v_proj`, C → NKV·hs; `o_proj`, NH·hs → C (biases when
    /// `attention_bias`).
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

/// The gated MLP (key `mlp` of a layer): `down_proj(silu(gate_proj(x)) ⊙ up_proj(x))`.
public final class LlamaMLP: Module, @unchecked Sendable {
    /// `gate_proj` and `up_proj`, C → I; `down_proj`, I → C (biases when `mlp_bias`).
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

/// One pre-norm decoder layer (`model.layers.N`): `x += self_attn(input_layernorm(x))`, then
/// `x += mlp(post_attention_layernorm(x))`.
public final class LlamaDecoderLayer: Module, @unchecked Sendable {
    /// The attention block.
    public let selfAttn: LlamaAttention
    /// The gated MLP.
    public let mlp: LlamaMLP
    /// The RMSNorm before attention (key `input_layernorm`).
    public let inputLayernorm: RMSNorm
    /// The RMSNorm before the MLP (key `post_attention_layernorm`).
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
    /// Token embeddings [V, C] (also the LM head when tied).
    public let embedTokens: Embedding
    /// The decoder layers in order (keys `layers.0`, `layers.1`, …).
    public let layers: [LlamaDecoderLayer]
    /// The final RMSNorm.
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
    /// The config the model was built from.
    public let config: LlamaConfig
    /// The trunk (key "model").
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
    public func hiddenStates(
        ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
        cache: KVCache? = nil
    ) -> Tensor {
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
            x =
                x
                + layer.selfAttn(
                    layer.inputLayernorm(x), cos: tables.cos, sin: tables.sin, mask: attentionMask,
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
    public func callAsFunction(
        ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
        cache: KVCache? = nil
    ) -> Tensor {
        logits(fromHidden: hiddenStates(ids: ids, batch: b, attentionMask: attentionMask, positions: positions, cache: cache))
    }

    /// A cache for this model reserving `capacity` positions.
    public func makeCache(capacity: Int) -> KVCache { KVCache(layers: config.numHiddenLayers, capacity: capacity) }
}
