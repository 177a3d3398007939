// Every fused kernel against the same function written with primitives: values and input gradients agree
// within |fused − composed| ≤ 1e-5 + 1e-5·|composed| (GradCheck.swift). gelu's erf form has no
// primitive composition (there is no erf primitive): it is compared with a Double libm erf reference.
// Attention's composition test lives in AttentionTests.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFTensor

/// Primitive compositions of the fused kernels (also used by ParallelKernelTests).
enum Composed {
    static func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
        let e = (x - x.max(axis: axis, keepDim: true)).exp()
        return e / e.sum(axis: axis, keepDim: true)
    }

    static func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
        let d = x - x.max(axis: axis, keepDim: true)
        return d - d.exp().sum(axis: axis, keepDim: true).log()
    }

    static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let mean = x.mean(axis: -1, keepDim: true)
        let v = x.variance(axes: [-1], unbiased: false, keepDim: true)
        var y = (x - mean) * (v + eps).rsqrt()
        if let weight { y = y * weight }
        if let bias { y = y + bias }
        return y
    }

    static func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float = 1e-6) -> Tensor {
        let y = x * ((x * x).mean(axis: -1, keepDim: true) + eps).rsqrt()
        return weight.map { y * $0 } ?? y
    }

    static func geluTanh(_ x: Tensor) -> Tensor {
        let inner = (x + x * x * x * 0.044715) * Float((2 / Double.pi).squareRoot())
        return x * 0.5 * (inner.tanh() + 1)
    }

    static func silu(_ x: Tensor) -> Tensor { x * x.sigmoid() }

    static func crossEntropy(_ logits: Tensor, targets: [Int], ignoreIndex: Int = -100) -> Tensor {
        let v = logits.shape.last!
        let rows = logits.reshaped([-1, v])
        let kept = targets.indices.filter { targets[$0] != ignoreIndex }
        let lsm = logSoftmax(rows.indexSelect(axis: 0, kept))
        let picked = lsm.gather(axis: 1, index: Tensor(kept.map { Float(targets[$0]) }, shape: [kept.count, 1]))
        return -picked.mean()
    }

    static func selectiveLogSoftmax(_ logits: Tensor, ids: [Int]) -> Tensor {
        let lead = Array(logits.shape.dropLast())
        let index = Tensor(ids.map(Float.init), shape: lead + [1])
        return logSoftmax(logits).gather(axis: -1, index: index).reshaped(lead)
    }

    static func entropy(_ logits: Tensor) -> Tensor {
        -(softmax(logits) * logSoftmax(logits)).sum(axis: -1)
    }

    /// x·cos + rotate_half(x)·sin with rotate_half([x1, x2]) = [−x2, x1]; tables broadcast over heads.
    static func rope(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor {
        let hs = x.shape[3], half = hs / 2
        let rotated = Tensor.concat([-x.sliced(axis: 3, half, hs), x.sliced(axis: 3, 0, half)], axis: 3)
        let (c, s) = cos.rank == 3 ? (cos.unsqueezed(1), sin.unsqueezed(1)) : (cos, sin)
        return x * c + rotated * s
    }
}

final class CompositionTests: XCTestCase {
    func testSoftmaxAndLogSoftmax() {
        for (shape, axis) in [([3, 37], -1), ([2, 5, 3], 1), ([4, 16], 0), ([2, 3, 64], 2)] {
            let x = randn(shape, seed: 1, scale: 3)
            compareComposition(
                "softmax \(shape) axis \(axis)", [x], fused: { softmax($0[0], axis: axis) },
                composed: { Composed.softmax($0[0], axis: axis) })
            compareComposition(
                "logSoftmax \(shape) axis \(axis)", [x], fused: { logSoftmax($0[0], axis: axis) },
                composed: { Composed.logSoftmax($0[0], axis: axis) })
        }
        // masked (−inf) entries as attention and top-k filtering produce them
        let x = randn([3, 20], seed: 2).maskedFill(Tensor((0..<20).map { $0 % 3 == 0 ? 1 : 0 }), -.infinity)
        compareComposition("softmax with −inf entries", [x], fused: { softmax($0[0]) }, composed: { Composed.softmax($0[0]) })
    }

    func testLayerNorm() {
        for c in [6, 37, 64] {
            let x = randn([3, 4, c], seed: UInt64(c), scale: 2)
            let w = randn([c], seed: 3), b = randn([c], seed: 4)
            compareComposition(
                "layerNorm C=\(c) weight and bias", [x, w, b],
                fused: { layerNorm($0[0], weight: $0[1], bias: $0[2]) },
                composed: { Composed.layerNorm($0[0], weight: $0[1], bias: $0[2]) })
            compareComposition(
                "layerNorm C=\(c) plain", [x], fused: { layerNorm($0[0], weight: nil, bias: nil) },
                composed: { Composed.layerNorm($0[0], weight: nil, bias: nil) })
        }
    }

    func testRMSNorm() {
        for c in [6, 37, 64] {
            let x = randn([3, 4, c], seed: UInt64(10 + c), scale: 2), w = randn([c], seed: 5)
            compareComposition(
                "rmsNorm C=\(c) weight", [x, w], fused: { rmsNorm($0[0], weight: $0[1]) },
                composed: { Composed.rmsNorm($0[0], weight: $0[1]) })
            compareComposition(
                "rmsNorm C=\(c) plain", [x], fused: { rmsNorm($0[0], weight: nil, eps: 1e-5) },
                composed: { Composed.rmsNorm($0[0], weight: nil, eps: 1e-5) })
        }
    }

    func testGeluTanhSiluAgainstPrimitives() {
        let x = randn([5, 37], seed: 6, scale: 3)
        compareComposition("gelu tanh", [x], fused: { gelu($0[0], approximate: .tanh) }, composed: { Composed.geluTanh($0[0]) })
        compareComposition("silu", [x], fused: { silu($0[0]) }, composed: { Composed.silu($0[0]) })
    }

    /// gelu (erf form) and its derivative over [−8, 8] against Double libm erf.
    func testGeluErfAgainstLibm() {
        let xs = (0..<1601).map { Float(-8 + Double($0) * 0.01) }
        let x = Tensor(xs).requiringGrad()
        let y = gelu(x)
        y.sum().backward()
        let ref = xs.map { v -> Double in
            let d = Double(v); return 0.5 * d * (1 + Foundation.erf(d / 2.0.squareRoot()))
        }
        let dref = xs.map { v -> Double in
            let d = Double(v)
            return 0.5 * (1 + Foundation.erf(d / 2.0.squareRoot())) + d * Foundation.exp(-d * d / 2) / (2 * Double.pi).squareRoot()
        }
        assertClose(y.doubles, ref, abs: 1e-5, rel: 1e-5, "gelu erf vs libm", bName: "libm")
        assertClose(x.grad!.doubles, dref, abs: 1e-5, rel: 1e-5, "gelu erf derivative vs libm", bName: "libm")
    }

    func testLogSigmoidAndSoftplus() {
        let x = randn([4, 9], seed: 7, scale: 4)
        compareComposition(
            "logSigmoid vs log(sigmoid)", [x], fused: { logSigmoid($0[0]) },
            composed: { $0[0].sigmoid().log() })
        compareComposition(
            "softplus vs log(1 + exp)", [x], fused: { softplus($0[0]) },
            composed: { ($0[0].exp() + 1).log() })
        compareComposition(
            "softplus β 2 vs log(1 + exp(2x))/2", [x], fused: { softplus($0[0], beta: 2) },
            composed: { (($0[0] * 2).exp() + 1).log() / 2 })
    }

    func testCrossEntropy() {
        for v in [37, 64] {
            let x = randn([2, 4, v], seed: UInt64(v), scale: 2)
            let targets = [3, -100, 0, v - 1, -100, 5, 5, 1]
            compareComposition(
                "crossEntropy V=\(v)", [x], fused: { crossEntropy($0[0], targets: targets) },
                composed: { Composed.crossEntropy($0[0], targets: targets) })
        }
    }

    func testSelectiveLogSoftmaxAndEntropy() {
        for v in [37, 64] {
            let x = randn([2, 3, v], seed: UInt64(20 + v), scale: 2)
            let ids = [0, v - 1, 3, 3, 11, 2]
            compareComposition(
                "selectiveLogSoftmax V=\(v)", [x], fused: { selectiveLogSoftmax($0[0], ids: ids) },
                composed: { Composed.selectiveLogSoftmax($0[0], ids: ids) })
            compareComposition("entropy V=\(v)", [x], fused: { entropy($0[0]) }, composed: { Composed.entropy($0[0]) })
        }
    }

    func testEmbeddingAgainstIndexSelect() {
        let w = randn([7, 5], seed: 8)
        let ids = [6, 0, 6, 2, 2, 2]
        compareComposition(
            "embedding vs indexSelect", [w], fused: { embedding($0[0], ids: ids, idsShape: [3, 2]) },
            composed: { $0[0].indexSelect(axis: 0, ids).reshaped([3, 2, 5]) })
    }

    func testRopeAgainstRotateHalf() {
        let x = randn([2, 3, 5, 8], seed: 9)
        let (c, s) = ropeTables(positions: [3, 4, 5, 6, 7], headDim: 8)
        compareComposition(
            "rope shared tables", [x, c, s], noGrad: [1, 2], fused: { rope($0[0], cos: $0[1], sin: $0[2]) },
            composed: { Composed.rope($0[0], cos: $0[1], sin: $0[2]) })
        let t2 = ropeTables(positions: [0, 0, 0, 1, 2], headDim: 8)
        let cb = Tensor.stack([c, t2.cos]), sb = Tensor.stack([s, t2.sin])
        compareComposition(
            "rope per-batch tables", [x, cb, sb], noGrad: [1, 2],
            fused: { rope($0[0], cos: $0[1], sin: $0[2]) },
            composed: { Composed.rope($0[0], cos: $0[1], sin: $0[2]) })
    }

    func testDropoutAgainstMaskMultiply() {
        let x = randn([6, 7], seed: 10)
        var r0 = RandomGenerator(seed: 11)
        let mask = dropout(Tensor.ones([6, 7]), p: 0.4, using: &r0)
        compareComposition(
            "dropout vs x·mask", [x],
            fused: { t in
                var r = RandomGenerator(seed: 11); return dropout(t[0], p: 0.4, using: &r)
            }, composed: { $0[0] * mask })
    }
}
