// BERT encoder (BERT, MiniLM), ported from transformers' modeling_bert.py (BertModel, eager attention).
//
// Shapes: B batch, T tokens, C hidden size, NH heads, hs = C / NH head size, I intermediate size.
//   embeddings: word [V, C] + position [P, C] + token type [2, C] → LayerNorm → x [B, T, C]
//   layer: q, k, v = Linear(x) → [B, NH, T, hs]; ctx = softmax(q kᵀ/√hs + padding mask) v
//          a = LayerNorm(x + dense(ctx)); x = LayerNorm(a + dense(gelu(dense(a))))
//   pooler: tanh(dense(x[:, 0]))
// Keys: embeddings.word_embeddings.weight, encoder.layer.N.attention.self.query.weight, …, pooler.dense.weight.

import Foundation
import RLHFNN
import RLHFTensor

/// `config.json` of a BERT-family encoder (fields are the camelCase of HF's keys).
public struct BertConfig: Codable, Sendable, Equatable {
    /// Rows of the word-embedding table: token ids are below it (`vocab_size`).
    public var vocabSize: Int
    /// Width C of the hidden states (`hidden_size`).
    public var hiddenSize: Int
    /// Number of encoder layers (`num_hidden_layers`).
    public var numHiddenLayers: Int
    /// Attention heads per layer (`num_attention_heads`); divides `hiddenSize`.
    public var numAttentionHeads: Int
    /// Width I of each layer's feed-forward block (`intermediate_size`).
    public var intermediateSize: Int
    /// The feed-forward activation (`hidden_act`): "gelu" (erf; also when nil), or "gelu_new" /
    /// "gelu_pytorch_tanh" (tanh approximation); others are refused by `validate`.
    public var hiddenAct: String?
    /// Rows of the learned position table, so the longest input in tokens (`max_position_embeddings`).
    public var maxPositionEmbeddings: Int
    /// Rows of the token-type (segment) table (`type_vocab_size`; nil: 2; 0: no table, as DistilBERT).
    public var typeVocabSize: Int?
    /// The LayerNorm epsilon (`layer_norm_eps`; nil: 1e-12).
    public var layerNormEps: Float?
    /// The padding id (`pad_token_id`; nil: 0): its word-embedding row starts at zero and gets no gradient.
    public var padTokenId: Int?
    /// `model_type` as read ("bert", …); only carried into exported config.json files ("bert" when nil).
    public var modelType: String?
    /// `position_embedding_type`: only "absolute" (or nil) is supported; `validate` refuses the others.
    public var positionEmbeddingType: String?

    /// A config from explicit sizes, with BERT's defaults for the rest; `padTokenId`, `modelType` and
    /// `positionEmbeddingType` stay nil. Nothing is validated here (`BertModel.init` validates).
    public init(
        vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
        intermediateSize: Int, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2,
        layerNormEps: Float = 1e-12, hiddenAct: String = "gelu"
    ) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps; self.hiddenAct = hiddenAct
    }

    /// The activation of the intermediate layer (`key`: the field's name in the source).
    func activation(source: String, key: String = "hidden_act") throws -> GeluApproximation {
        switch hiddenAct ?? "gelu" {
        case "gelu": return .none
        case "gelu_new", "gelu_pytorch_tanh": return .tanh
        case let other: throw ModelError.unsupportedConfig(source: source, reason: "\(key) '\(other)' is not supported (gelu, gelu_new)")
        }
    }
}

/// Word, position and token-type embeddings, summed and normalised.
public final class BertEmbeddings: Module, @unchecked Sendable {
    /// Token embeddings [V, C] (`word_embeddings`).
    public let wordEmbeddings: Embedding
    /// Learned absolute positions [P, C], P = `max_position_embeddings`.
    public let positionEmbeddings: Embedding
    /// Absent when `type_vocab_size` is 0 (DistilBERT).
    public let tokenTypeEmbeddings: Embedding?
    /// Normalises the sum of the embeddings (key `LayerNorm`).
    public let layerNorm: LayerNorm
    /// `layerNorm` has the key `LayerNorm`, as in HF checkpoints.
    override public var keyRenames: [String: String] { ["layerNorm": "LayerNorm"] }

    init(_ c: BertConfig, rng: inout RandomGenerator) {
        wordEmbeddings = Embedding(c.vocabSize, c.hiddenSize, paddingIndex: c.padTokenId ?? 0, rng: &rng)
        positionEmbeddings = Embedding(c.maxPositionEmbeddings, c.hiddenSize, rng: &rng)
        let types = c.typeVocabSize ?? 2
        tokenTypeEmbeddings = types > 0 ? Embedding(types, c.hiddenSize, rng: &rng) : nil
        layerNorm = LayerNorm(c.hiddenSize, eps: c.layerNormEps ?? 1e-12)
        super.init()
    }

    /// ids, typeIds: B·T row-major → [B, T, C].
    func callAsFunction(ids: [Int], typeIds: [Int], batch b: Int, length t: Int) -> Tensor {
        let positions = (0..<b).flatMap { _ in 0..<t }
        var x = wordEmbeddings(ids, shape: [b, t]) + positionEmbeddings(positions, shape: [b, t])
        if let tokenTypeEmbeddings { x = x + tokenTypeEmbeddings(typeIds, shape: [b, t]) }
        return layerNorm(x)
    }
}

/// Query, key and value projections (key "attention.self").
public final class BertSelfAttention: Module, @unchecked Sendable {
    /// The query, key and value projections, each C → C (keys `query`, `key`, `value`).
    public let query: Linear, key: Linear, value: Linear
    init(_ c: BertConfig, rng: inout RandomGenerator) {
        query = Linear(c.hiddenSize, c.hiddenSize, rng: &rng)
        key = Linear(c.hiddenSize, c.hiddenSize, rng: &rng)
        value = Linear(c.hiddenSize, c.hiddenSize, rng: &rng)
        super.init()
    }
}

/// A dense map, then LayerNorm of the residual sum (keys "attention.output", "output").
public final class BertResidualOutput: Module, @unchecked Sendable {
    /// Maps the sublayer's output to C: C → C after attention, I → C after the feed-forward block.
    public let dense: Linear
    /// Normalises `dense(h) + residual` (key `LayerNorm`).
    public let layerNorm: LayerNorm
    /// `layerNorm` has the key `LayerNorm`, as in HF checkpoints.
    override public var keyRenames: [String: String] { ["layerNorm": "LayerNorm"] }
    init(_ inDim: Int, _ c: BertConfig, rng: inout RandomGenerator) {
        dense = Linear(inDim, c.hiddenSize, rng: &rng)
        layerNorm = LayerNorm(c.hiddenSize, eps: c.layerNormEps ?? 1e-12)
        super.init()
    }
    func callAsFunction(_ h: Tensor, residual: Tensor) -> Tensor { layerNorm(dense(h) + residual) }
}

/// Self-attention and its output projection (key "attention" of a layer).
public final class BertAttention: Module, @unchecked Sendable {
    /// The query, key and value projections (key `self`).
    public let selfAttention: BertSelfAttention
    /// The output projection, residual sum and LayerNorm (key "output").
    public let output: BertResidualOutput
    /// `selfAttention` has the key `self`, as in HF checkpoints.
    override public var keyRenames: [String: String] { ["selfAttention": "self"] }
    init(_ c: BertConfig, rng: inout RandomGenerator) {
        selfAttention = BertSelfAttention(c, rng: &rng)
        output = BertResidualOutput(c.hiddenSize, c, rng: &rng)
        super.init()
    }
}

/// The first map of a layer's feed-forward block (key "intermediate"); the layer applies the activation.
public final class BertIntermediate: Module, @unchecked Sendable {
    /// C → I.
    public let dense: Linear
    init(_ c: BertConfig, rng: inout RandomGenerator) {
        dense = Linear(c.hiddenSize, c.intermediateSize, rng: &rng)
        super.init()
    }
}

/// One transformer block.
public final class BertLayer: Module, @unchecked Sendable {
    /// Self-attention with its residual output.
    public let attention: BertAttention
    /// The feed-forward block's first map, C → I.
    public let intermediate: BertIntermediate
    /// The feed-forward block's second map, I → C, with the residual sum and LayerNorm.
    public let output: BertResidualOutput
    let heads: Int
    let act: GeluApproximation

    init(_ c: BertConfig, act: GeluApproximation, rng: inout RandomGenerator) {
        attention = BertAttention(c, rng: &rng)
        intermediate = BertIntermediate(c, rng: &rng)
        output = BertResidualOutput(c.intermediateSize, c, rng: &rng)
        heads = c.numAttentionHeads
        self.act = act
        super.init()
    }

    /// x [B, T, C], mask [B, T] (1 real, 0 padding) → [B, T, C], or [B, 1, C] with `firstPositionOnly`
    /// (only position 0 queries: its output is exactly that row of the full one, for a fraction of the work).
    func callAsFunction(_ x: Tensor, mask: Tensor?, firstPositionOnly: Bool = false) -> Tensor {
        let sa = attention.selfAttention
        let xq = firstPositionOnly ? x.sliced(axis: 1, 0, 1) : x
        let q = splitHeads(sa.query(xq), heads: heads)
        let k = splitHeads(sa.key(x), heads: heads)
        let v = splitHeads(sa.value(x), heads: heads)
        let ctx = mergeHeads(scaledDotProductAttention(q, k, v, causal: false, keyPaddingMask: mask))
        let a = attention.output(ctx, residual: xq)
        return output(gelu(intermediate.dense(a), approximate: act), residual: a)
    }
}

/// The stack of layers (key "encoder").
public final class BertEncoder: Module, @unchecked Sendable {
    /// The layers in order (keys `layer.0`, `layer.1`, …).
    public let layers: [BertLayer]
    /// `layers` has the key `layer`, as in HF checkpoints.
    override public var keyRenames: [String: String] { ["layers": "layer"] }
    init(_ c: BertConfig, act: GeluApproximation, rng: inout RandomGenerator) {
        layers = (0..<c.numHiddenLayers).map { _ in BertLayer(c, act: act, rng: &rng) }
        super.init()
    }
}

/// The pooler (key "pooler"): `tanh(dense(x[:, 0]))`, the [CLS] feature of BERT's classification heads.
public final class BertPooler: Module, @unchecked Sendable {
    /// C → C.
    public let dense: Linear
    init(_ c: BertConfig, rng: inout RandomGenerator) {
        dense = Linear(c.hiddenSize, c.hiddenSize, rng: &rng)
        super.init()
    }
    /// tanh(dense(x[:, 0])): [B, T, C] → [B, C].
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        dense(hidden.sliced(axis: 1, 0, 1).squeezed(1)).tanh()
    }
}

/// DistilBERT's `config.json` (`dim`, `n_layers`, …) as a BertConfig with no token types.
public struct DistilBertConfig: Codable, Sendable {
    /// Rows of the word-embedding table (`vocab_size`).
    public var vocabSize: Int
    /// Hidden width C (`dim`; BERT's `hidden_size`).
    public var dim: Int
    /// Number of layers (`n_layers`).
    public var nLayers: Int
    /// Attention heads per layer (`n_heads`); divides `dim`.
    public var nHeads: Int
    /// Width of the feed-forward block (`hidden_dim`; BERT's `intermediate_size`).
    public var hiddenDim: Int
    /// The feed-forward activation (`activation`; nil: "gelu"), with the values of `BertConfig.hiddenAct`.
    public var activation: String?
    /// Rows of the learned position table (`max_position_embeddings`).
    public var maxPositionEmbeddings: Int
    /// `sinusoidal_pos_embds`: fixed sinusoidal positions, which are not supported (`bertConfig` refuses true).
    public var sinusoidalPosEmbds: Bool?
    /// The padding id (`pad_token_id`), as `BertConfig.padTokenId`.
    public var padTokenId: Int?

    /// The same network in BERT's terms (DistilBERT's LayerNorm eps is fixed at 1e-12), validated (see
    /// `validate(source:limits:)`; errors name DistilBERT's keys).
    public func bertConfig(source: String, limits: ModelLimits = ModelLimits()) throws -> BertConfig {
        if sinusoidalPosEmbds == true {
            throw ModelError.unsupportedConfig(source: source, reason: "sinusoidal_pos_embds is not supported")
        }
        var c = BertConfig(
            vocabSize: vocabSize, hiddenSize: dim, numHiddenLayers: nLayers, numAttentionHeads: nHeads,
            intermediateSize: hiddenDim, maxPositionEmbeddings: maxPositionEmbeddings, typeVocabSize: 0,
            layerNormEps: 1e-12, hiddenAct: activation ?? "gelu")
        c.padTokenId = padTokenId
        try c.check(FieldCheck(source: source, names: DistilBertConfig.keyNames), limits)
        return c
    }
}

/// The DistilBERT checkpoint name of one of our BERT keys (e.g. `encoder.layer.3.attention.self.query.weight`
/// → `transformer.layer.3.attention.q_lin.weight`).
package func distilBertName(forBertKey key: String) -> String {
    let pairs = [
        (".attention.self.query.", ".attention.q_lin."), (".attention.self.key.", ".attention.k_lin."),
        (".attention.self.value.", ".attention.v_lin."), (".attention.output.dense.", ".attention.out_lin."),
        (".attention.output.LayerNorm.", ".sa_layer_norm."), (".intermediate.dense.", ".ffn.lin1."),
        (".output.dense.", ".ffn.lin2."), (".output.LayerNorm.", ".output_layer_norm.")
    ]
    guard key.hasPrefix("encoder.layer.") else { return key }
    var name = "transformer.layer." + key.dropFirst("encoder.layer.".count)
    for (ours, theirs) in pairs where name.contains(ours) {
        name = name.replacingOccurrences(of: ours, with: theirs)
        break
    }
    return name
}

/// The BERT encoder (`BertModel`): embeddings, encoder and an optional pooler.
public final class BertModel: Module, @unchecked Sendable {
    /// The config the model was built from.
    public let config: BertConfig
    /// Word, position and token-type embeddings (key "embeddings").
    public let embeddings: BertEmbeddings
    /// The layers (key "encoder").
    public let encoder: BertEncoder
    /// The pooler; nil when built with `pooler: false` (a checkpoint without one, DistilBERT). The forward pass
    /// does not apply it: heads do.
    public let pooler: BertPooler?

    /// A randomly initialised model (weights are normally loaded afterwards).
    ///
    /// - Throws: what `config.validate(source:)` throws, before anything is allocated.
    public init(_ config: BertConfig, pooler: Bool = true, source: String = "config", rng: inout RandomGenerator) throws {
        try config.validate(source: source)
        let act = try config.activation(source: source)
        self.config = config
        embeddings = BertEmbeddings(config, rng: &rng)
        encoder = BertEncoder(config, act: act, rng: &rng)
        self.pooler = pooler ? BertPooler(config, rng: &rng) : nil
        super.init()
    }

    /// The last hidden state [B, T, C] of a batch.
    ///
    /// - Precondition: T ≤ `max_position_embeddings` and every id below `vocab_size`; entry points check
    ///   user input first with `Architecture.checkInput` (or cut it to `positionLimit`).
    /// - Parameters:
    ///   - ids: B·T token ids, row-major.
    ///   - attentionMask: [B, T], 1 for real tokens, 0 for padding (nil: all real).
    ///   - tokenTypeIds: B·T segment ids (nil: all 0).
    ///   - firstPositionOnly: return only position 0 of the last layer, [B, 1, C] (what a [CLS] head reads),
    ///     skipping the last layer's work for every other position.
    public func callAsFunction(
        ids: [Int], batch b: Int, attentionMask: Tensor? = nil, tokenTypeIds: [Int]? = nil,
        firstPositionOnly: Bool = false
    ) -> Tensor {
        precondition(b > 0 && ids.count % b == 0, "BertModel: \(ids.count) ids for batch \(b)")
        let t = ids.count / b
        var x = embeddings(ids: ids, typeIds: tokenTypeIds ?? Array(repeating: 0, count: ids.count), batch: b, length: t)
        for (i, layer) in encoder.layers.enumerated() {
            x = layer(x, mask: attentionMask, firstPositionOnly: firstPositionOnly && i == encoder.layers.count - 1)
        }
        return x
    }
}
