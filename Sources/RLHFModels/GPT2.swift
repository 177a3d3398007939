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
    public var vocabSize: Int
    public var nEmbd: Int
    public var nLayer: Int
    public var nHead: Int
    public var nPositions: Int
    public var nInner: Int?
    public var activationFunction: String?
    public var layerNormEpsilon: Float?
    public var bosTokenId: Int?
    public var eosTokenId: Int?

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

public final class GPT2Attention: Module, @unchecked Sendable {
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

public final class GPT2MLP: Module, @unchecked Sendable {
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

public final class GPT2Block: Module, @unchecked Sendable {
    public let ln1: LayerNorm, attn: GPT2Attention, ln2: LayerNorm, mlp: GPT2MLP
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
    public let wte: Embedding, wpe: Embedding
    public let h: [GPT2Block]
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
    public let config: GPT2Config
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
    public func hiddenStates(ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
                             cache: KVCache? = nil) -> Tensor {
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
    public func callAsFunction(ids: [Int], batch b: Int, attentionMask: Tensor? = nil, positions: [Int]? = nil,
                               cache: KVCache? = nil) -> Tensor {
        logits(fromHidden: hiddenStates(ids: ids, batch: b, attentionMask: attentionMask, positions: positions, cache: cache))
    }

    /// A cache for this model reserving `capacity` positions.
    public func makeCache(capacity: Int) -> KVCache { KVCache(layers: config.nLayer, capacity: capacity) }
}
