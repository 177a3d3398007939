// Basic layers with PyTorch's initialisation and HF checkpoint keys: Linear, Embedding, LayerNorm,
// RMSNorm, Dropout.

import Foundation
import RLHFTensor

/// `y = x Wᵀ + b` (as `nn.Linear`). Shapes: weight [out, in], bias [out]; x [..., in] → [..., out].
public final class Linear: Module, LoRAAdaptable, @unchecked Sendable {
    /// [out, in]
    public let weight: Parameter
    /// [out]
    public let bias: Parameter?
    /// A LoRA update added to the output when present and enabled (see `Module.addLoRA`); not part of
    /// the reflected parameters, so checkpoint keys stay those of the base layer.
    public var adapter: LoRAAdapter?
    /// false: the weight is [out, in].
    public var weightIsTransposed: Bool { false }

    /// PyTorch's default init: weight and bias uniform in ±1/√in.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: inout RandomGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(Tensor.uniform([outFeatures, inFeatures], low: -bound, high: bound, using: &rng))
        self.bias = bias ? Parameter(Tensor.uniform([outFeatures], low: -bound, high: bound, using: &rng)) : nil
        super.init()
    }

    /// Applies the map to the last axis.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y: Tensor
        if let bias, weight.quantized == nil {
            y = linear(x, weight: weight.value, bias: bias.value)
        } else {
            let xw = linearMap(x, weight)
            y = bias.map { xw + $0.value } ?? xw
        }
        guard let adapter, adapter.enabled else { return y }
        return adapter.added(to: y, input: x, training: training)
    }
}

/// Rows of x at or below which a frozen quantised weight is multiplied block by block (decoding); above it
/// the product is compute-bound and the Float32 GEMM is faster.
let quantizedRowLimit = 16

/// `x Wᵀ` for a weight parameter [out, in]: from its quantised blocks when it has them, is frozen, x needs
/// no gradient and x has few rows (the weights then equal `value` bit for bit); else the Float32 matmul.
public func linearMap(_ x: Tensor, _ weight: Parameter) -> Tensor {
    if let q = weight.quantized, !(GradMode.isEnabled && x.requiresGrad), x.count / max(x.shape.last ?? 1, 1) <= quantizedRowLimit {
        return quantizedMatmul(x, q)
    }
    return matmul(x, weight.value, transposeB: true)
}

/// A lookup table (as `nn.Embedding`). Shapes: weight [count, dim]; ids → ids.shape + [dim].
public final class Embedding: Module, @unchecked Sendable {
    /// [count, dim]
    public let weight: Parameter
    /// The row that gets no gradient (`padding_idx`), if any.
    public let paddingIndex: Int?

    /// Weights drawn from N(0, 1) (PyTorch's default; the padding row is zero, as PyTorch makes it).
    public init(_ count: Int, _ dim: Int, paddingIndex: Int? = nil, rng: inout RandomGenerator) {
        let w = Tensor.normal([count, dim], using: &rng)
        if let p = paddingIndex, p >= 0, p < count { (w.pointer + p * dim).update(repeating: 0, count: dim) }
        weight = Parameter(w)
        self.paddingIndex = paddingIndex
        super.init()
    }

    /// Rows for `ids`, shaped `shape + [dim]` (default `[ids.count]`).
    public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Tensor {
        embedding(weight.value, ids: ids, idsShape: shape, paddingIndex: paddingIndex)
    }
}

/// Layer normalisation over the last axis (as `nn.LayerNorm`), weight 1 and bias 0 at init.
public final class LayerNorm: Module, @unchecked Sendable {
    /// [dim]
    public let weight: Parameter?
    /// [dim]
    public let bias: Parameter?
    /// Added to the variance.
    public let eps: Float

    /// Normalises vectors of width `dim`; without `affine`, no weight or bias (pure normalisation).
    public init(_ dim: Int, eps: Float = 1e-5, affine: Bool = true) {
        weight = affine ? Parameter(Tensor.ones([dim])) : nil
        bias = affine ? Parameter(Tensor.zeros([dim])) : nil
        self.eps = eps
        super.init()
    }

    /// `(x − mean) / √(var + eps) · weight + bias` over the last axis: x [..., dim] → [..., dim].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, weight: weight?.value, bias: bias?.value, eps: eps)
    }
}

/// Root-mean-square normalisation over the last axis (as `LlamaRMSNorm`), weight 1 at init.
public final class RMSNorm: Module, @unchecked Sendable {
    /// [dim]
    public let weight: Parameter
    /// Added to the mean square.
    public let eps: Float

    /// Normalises vectors of width `dim`.
    public init(_ dim: Int, eps: Float = 1e-6) {
        weight = Parameter(Tensor.ones([dim]))
        self.eps = eps
        super.init()
    }

    /// `x / √(mean(x²) + eps) · weight` over the last axis: x [..., dim] → [..., dim].
    public func callAsFunction(_ x: Tensor) -> Tensor { rmsNorm(x, weight: weight.value, eps: eps) }
}

/// Inverted dropout, active only in training mode.
public final class Dropout: Module, @unchecked Sendable {
    /// Probability of zeroing an element.
    public let p: Float

    /// Zeroes elements with probability `p`, which must be in [0, 1) (a precondition).
    public init(_ p: Float) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        super.init()
    }

    /// In training mode, each element zeroed with probability `p` and the rest scaled by 1/(1 − p), the mask
    /// drawn from `rng`; in evaluation mode (or with `p` 0), `x` unchanged. Same shape as `x`.
    public func callAsFunction(_ x: Tensor, rng: inout RandomGenerator) -> Tensor {
        dropout(x, p: p, training: training, using: &rng)
    }
}
