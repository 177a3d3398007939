// Fused activations with their own backward: gelu (erf and tanh forms), silu, logSigmoid, softplus.
// Forward and backward are single SIMD passes (no intermediate tensors).

import Foundation

/// Which formula `gelu` uses.
public enum GeluApproximation: String, Sendable, Codable {
    /// `0.5·x·(1 + erf(x/√2))` (BERT, `nn.GELU()`).
    case none
    /// `0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))` (GPT-2, `approximate="tanh"`).
    case tanh
}

private let sqrt2OverPi: Float = 0.797_884_560_802_865_4
private let invSqrt2: Float = 0.707_106_781_186_547_5
private let invSqrt2Pi: Float = 0.398_942_280_401_432_7

/// Φ(x) = ½(1 + erf(x/√2)).
@inline(__always)
private func normalCDF(_ x: Vec) -> Vec { 0.5 * (1 + verf(x * invSqrt2)) }

private enum GeluErfForward: VecMap {
    @inline(__always) static func apply(_ x: Vec) -> Vec { x * normalCDF(x) }
}
private enum GeluErfBackward: VecZip {
    // d/dx x·Φ(x) = Φ(x) + x·φ(x)
    @inline(__always) static func apply(_ x: Vec, _ g: Vec) -> Vec {
        return g * (normalCDF(x) + x * (invSqrt2Pi * vexp(-0.5 * x * x)))
    }
}
private enum GeluTanhForward: VecMap {
    @inline(__always) static func apply(_ x: Vec) -> Vec {
        0.5 * x * (1 + vtanh(sqrt2OverPi * (x + 0.044715 * x * x * x)))
    }
}
private enum GeluTanhBackward: VecZip {
    // d/dx = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²)
    @inline(__always) static func apply(_ x: Vec, _ g: Vec) -> Vec {
        let x2 = x * x
        let t = vtanh(sqrt2OverPi * (x + 0.044715 * x2 * x))
        let du = sqrt2OverPi * (1 + 0.134145 * x2)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
    }
}
private enum SiluForward: VecMap {
    @inline(__always) static func apply(_ x: Vec) -> Vec { x * vsigmoid(x) }
}
private enum SiluBackward: VecZip {
    // d/dx x·σ(x) = σ(x)(1 + x(1 − σ(x)))
    @inline(__always) static func apply(_ x: Vec, _ g: Vec) -> Vec {
        let s = vsigmoid(x)
        return g * s * (1 + x * (1 - s))
    }
}

/// Gaussian error linear unit.
public func gelu(_ x: Tensor, approximate: GeluApproximation = .none) -> Tensor {
    let xd = x.detached()
    switch approximate {
    case .none:
        let y = xd.mapVec(GeluErfForward.self)
        return Tensor.record("gelu", y, [x]) { g in [Tensor.zipMapVec(xd, g, GeluErfBackward.self)] }
    case .tanh:
        let y = xd.mapVec(GeluTanhForward.self)
        return Tensor.record("gelu_tanh", y, [x]) { g in [Tensor.zipMapVec(xd, g, GeluTanhBackward.self)] }
    }
}

/// x·σ(x) (SiLU / swish).
public func silu(_ x: Tensor) -> Tensor {
    let xd = x.detached()
    let y = xd.mapVec(SiluForward.self)
    return Tensor.record("silu", y, [x]) { g in [Tensor.zipMapVec(xd, g, SiluBackward.self)] }
}

/// log σ(x) = min(x, 0) − log1p(e^{−|x|}); exact for large |x| of either sign.
public func logSigmoid(_ x: Tensor) -> Tensor {
    let xd = x.detached()
    let y = xd.map { v in Swift.min(v, 0) - Foundation.log1p(Foundation.exp(-Swift.abs(v))) }
    return Tensor.record("logSigmoid", y, [x]) { g in
        // d/dx = σ(−x) = e^{min(−x,0)} / (1 + e^{−|x|})
        [g * xd.map { v in Foundation.exp(Swift.min(-v, 0)) / (1 + Foundation.exp(-Swift.abs(v))) }]
    }
}

/// log(1 − e^x) for x < 0 (the log-probability of not seeing an event of log-probability x), computed as
/// log1p(−e^x) below −ln 2 and log(−expm1(x)) above, so that neither side cancels (ORPO's odds).
public func log1mexp(_ x: Tensor) -> Tensor {
    let xd = x.detached()
    let y = xd.map { v in v < -0.693_147_2 ? Foundation.log1p(-Foundation.exp(v)) : Foundation.log(-Foundation.expm1(v)) }
    return Tensor.record("log1mexp", y, [x]) { g in
        // d/dx = −e^x / (1 − e^x) = −1 / expm1(−x)
        [g * xd.map { v in -1 / Foundation.expm1(-v) }]
    }
}

/// log(1 + e^{βx})/β, linear above `threshold` (PyTorch's defaults β = 1, threshold = 20).
public func softplus(_ x: Tensor, beta: Float = 1, threshold: Float = 20) -> Tensor {
    let xd = x.detached()
    let y = xd.map { v in
        let bx = beta * v
        return bx > threshold ? v : (Swift.max(bx, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(bx)))) / beta
    }
    return Tensor.record("softplus", y, [x]) { g in
        [
            g
                * xd.map { v in
                    let bx = beta * v
                    if bx > threshold { return 1 }
                    return bx >= 0 ? 1 / (1 + Foundation.exp(-bx)) : Foundation.exp(bx) / (1 + Foundation.exp(bx))
                }
        ]
    }
}
