// GPT-2 decoder, ported from transformers' modeling_gpt2.py (GPT2LMHeadModel, eager attention).
//
// Shapes: B batch, T tokens, C = n_embd, NH = n_head, hs = C / NH, V vocabulary.
//   x = wte(ids) + wpe(positions) [B, T, C]
//   block: x += c_proj(causal attention(split(c_attn(ln_1(x)))))   c_attn: C → 3C
//          x += mlp.c_proj(gelu_tanh(mlp.c_fc(ln_2(x))))            c_fc: C → 4C
//   logits = ln_f(x) wteᵀ [B, T, V]
// Conv1D weights are stored transposed relative to nn.Linear: [in, out], y = x W + b.

import RLHFNN
import RLHFTensor

/// `config.json` of GPT-2 (fields are the camelCase of HF's keys).
public struct GPT2Config: Codable, Sendable, Equatable {
    /// Rows of the token-embedding table `wte`: token ids are below it (`vocab_size`).
    public var vocabSize: Int
    /// Hidden width C (`n_embd`).
    public var nEmbd: Int
    /// Number of blocks (`n_layer`).
    public var nLayer: Int
    /// Attention heads per block (`n_head`); divides `nEmbd`.
    public var nHead: Int
    /// Rows of the learned position table `wpe`: the longest sequence, prompt and generated tokens together
    /// (`n_positions`).
    public var nPositions: Int
    /// Width of the MLP (`n_inner`; nil: 4·`nEmbd`).
    public var nInner: Int?
    /// The MLP activation (`activation_function`): "gelu_new" / "gelu_pytorch_tanh" (tanh approximation;
    /// also when nil) or "gelu" (erf); others are refused by `validate`.
    public var activationFunction: String?
    /// The LayerNorm epsilon (`layer_norm_epsilon`; nil: 1e-5).
    public var layerNormEpsilon: Float?
    /// The beginning-of-sequence id (`bos_token_id`), when given.
    public var bosTokenId: Int?
    /// The end-of-sequence id (`eos_token_id`), when given.
    public var eosTokenId: Int?

    /// A config from explicit sizes; the optional fields stay nil, so their defaults apply. Nothing is
    /// validated here (`GPT2LMHeadModel.init` validates).
    public init(vocabSize: Int, nEmbd: Int, nLayer: Int, nHead: Int, nPositions: Int) {
        self.vocabSize = vocabSize; self.nEmbd = nEmbd; self.nLayer = nLayer; self.nHead = nHead
        self.nPositions = nPositions
    }

    func activation(source: String) throws -> GeluApproximation {
        switch activationFunction ?? "gelu_new" {
        case "gelu_new", "gelu_pytorch_tanh": return .tanh
        case "gelu": return .none
        case let other: throw ModelError.unsupportedConfig(source: source, reason: "activation_function '\(other)' is not supported (gelu_new, gelu)")
        }
    }
}

/// transformers' Conv1D: a linear map with its weight stored [in, out], `y = x W + b` (+ its LoRA update).
public final class Conv1D: Module, LoRAAdaptable, @unchecked Sendable {
    /// [in, out]
    public let weight: Parameter
    /// [out]
    public let bias: Parameter
    /// A LoRA update added to the output when present and enabled (PEFT's `fan_in_fan_out`: A [r, in],
    /// B [out, r] as for a Linear); outside the reflected parameters.
    public var adapter: LoRAAdapter?
    /// true: the weight is [in, out].
    public var weightIsTransposed: Bool { true }

    init(_ inDim: Int, _ outDim: Int, rng: inout RandomGenerator) {
        weight = Parameter(Tensor.normal([inDim, outDim], std: 0.02, using: &rng))
        bias = Parameter(Tensor.zeros([outDim]))
        super.init()
    }

    /// x [..., in] → [..., out].
    func callAsFunction(_ x: Tensor) -> Tensor {
        let y = matmul(x, weight.value) + bias.value
        guard let adapter, adapter.enabled else { return y }
        return adapter.added(to: y, input: x, training: training)
    }
}

/// Causal self-attention (key "attn" of a block): `c_attn` makes q, k and v in one map, `c_proj` maps the
/// merged heads back.
public final class GPT2Attention: Module, @unchecked Sendable {
    /// `c_attn`, C → 3C (q, k, v side by side), and `c_proj`, C → C.
    public let cAttn: Conv1D, cProj: Conv1D
    let heads: Int
    init(_ c: GPT2Config, rng: inout RandomGenerator) {
        cAttn = Conv1D(c.nEmbd, 3 * c.nEmbd, rng: &rng)
        cProj = Conv1D(c.nEmbd, c.nEmbd, rng: &rng)
        heads = c.nHead
        super.init()
    }
    func callAsFunction(_ x: Tensor, mask: Tensor?, cache: KVCache?, layer: Int) -> Tensor {
        let qkv = cAttn(x), c = x.shape[2]
        let q = splitHeads(qkv.sliced(axis: 2, 0, c), heads: heads)
        var k = splitHeads(qkv.sliced(axis: 2, c, 2 * c), heads: heads)
        var v = splitHeads(qkv.sliced(axis: 2, 2 * c, 3 * c), heads: heads)
        if let cache { (k, v) = cache.append(layer: layer, k: k, v: v) }
        return cProj(mergeHeads(scaledDotProductAttention(q, k, v, causal: true, keyPaddingMask: mask)))
    }
}

/// The feed-forward block (key "mlp" of a block): `c_proj(gelu(c_fc(x)))`.
public final class GPT2MLP: Module, @unchecked Sendable {
    /// `c_fc`, C → I, and `c_proj`, I → C, where I = `n_inner` (default 4C).
    public let cFc: Conv1D, cProj: Conv1D
    let act: GeluApproximation
    init(_ c: GPT2Config, act: GeluApproximation, rng: inout RandomGenerator) {
        cFc = Conv1D(c.nEmbd, c.nInner ?? 4 * c.nEmbd, rng: &rng)
        cProj = Conv1D(c.nInner ?? 4 * c.nEmbd, c.nEmbd, rng: &rng)
        self.act = act
        super.init()
    }
    func callAsFunction(_ x: Tensor) -> Tensor { cProj(gelu(cFc(x), approximate: act)) }
}

/// One pre-norm block (`transformer.h.N`): `x += attn(ln_1(x))`, then `x += mlp(ln_2(x))`.
public final class GPT2Block: Module, @unchecked Sendable {
    /// The LayerNorm before attention (key `ln_1`), the attention, the LayerNorm before the MLP (key `ln_2`),
    /// and the MLP.
    public let ln1: LayerNorm, attn: GPT2Attention, ln2: LayerNorm, mlp: GPT2MLP
    /// `ln1` and `ln2` have the keys `ln_1` and `ln_2`, as in HF checkpoints.
    override public var keyRenames: [String: String] { ["ln1": "ln_1", "ln2": "ln_2"] }
    init(_ c: GPT2Config, act: GeluApproximation, rng: inout RandomGenerator) {
        ln1 = LayerNorm(c.nEmbd, eps: c.layerNormEpsilon ?? 1e-5)
        attn = GPT2Attention(c, rng: &rng)
        ln2 = LayerNorm(c.nEmbd, eps: c.layerNormEpsilon ?? 1e-5)
        mlp = GPT2MLP(c, act: act, rng: &rng)
        super.init()
    }
}

/// The trunk (`GPT2Model`, key "transformer").
public final class GPT2Model: Module, @unchecked Sendable {
    /// Token embeddings [V, C] (also the tied LM head) and learned positions [`n_positions`, C].
    public let wte: Embedding, wpe: Embedding
    /// The blocks in order (keys `h.0`, `h.1`, …).
    public let h: [GPT2Block]
    /// The final LayerNorm (key `ln_f`).
    public let lnF: LayerNorm
    init(_ c: GPT2Config, act: GeluApproximation, rng: inout RandomGenerator) {
        wte = Embedding(c.vocabSize, c.nEmbd, rng: &rng)
        wpe = Embedding(c.nPositions, c.nEmbd, rng: &rng)
        h = (0..<c.nLayer).map { _ in GPT2Block(c, act: act, rng: &rng) }
        lnF = LayerNorm(c.nEmbd, eps: c.layerNormEpsilon ?? 1e-5)
        super.init()
    }
}

/// GPT-2 with its tied language-model head (`GPT2LMHeadModel`).
public final class GPT2LMHeadModel: Module, @unchecked Sendable {
    /// The config the model was built from.
    public let config: GPT2Config
    /// The trunk (key "transformer").
    public let transformer: GPT2Model

    /// A randomly initialised model (weights are normally loaded afterwards).
    ///
    /// - Throws: what `config.validate(source:)` throws, before anything is allocated.
    public init(_ config: GPT2Config, source: String = "config", rng: inout RandomGenerator) throws {
        try config.validate(source: source)
        let act = try config.activation(source: source)
        self.config = config
        transformer = GPT2Model(config, act: act, rng: &rng)
        super.init()
    }

    /// Final hidden states [B, T, C]; positions are B·T ids (nil: cache length + 0..<T).
    ///
    /// - Precondition: every position below `n_positions` and every id below `vocab_size`; entry points
    ///   check user input first with `Architecture.checkInput` (`generate` stops at the table).
    public func hiddenStates(
        ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
        cache: KVCache? = nil
    ) -> Tensor {
        precondition(b > 0 && ids.count % b == 0, "GPT2LMHeadModel: \(ids.count) ids for batch \(b)")
        let t = ids.count / b, past = cache?.length ?? 0
        let pos = positions ?? (0..<b).flatMap { _ in past..<(past + t) }
        var x = transformer.wte(ids, shape: [b, t]) + transformer.wpe(pos, shape: [b, t])
        for (i, block) in transformer.h.enumerated() {
            x = x + block.attn(block.ln1(x), mask: attentionMask, cache: cache, layer: i)
            x = x + block.mlp(block.ln2(x))
        }
        return transformer.lnF(x)
    }

    /// Logits [B, T, V] of hidden states (the head is tied to `wte`).
    public func logits(fromHidden h: Tensor) -> Tensor { linearMap(h, transformer.wte.weight) }

    /// Logits [B, T, V].
    public func callAsFunction(
        ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
        cache: KVCache? = nil
    ) -> Tensor {
        logits(fromHidden: hiddenStates(ids: ids, batch: b, attentionMask: attentionMask, positions: positions, cache: cache))
    }

    /// A cache for this model reserving `capacity` positions.
    public func makeCache(capacity: Int) -> KVCache { KVCache(layers: config.nLayer, capacity: capacity) }
}
