// Fused row and pointwise kernels — softmax, logSoftmax, logSigmoid, softplus, gelu (both forms), silu,
// layerNorm, rmsNorm — against Double references, with gradients against central finite differences
// (tolerances in GradCheck.swift). Widths 5, 16, 37 cover the SIMD body, the tail, and both together.

import Foundation
import XCTest
@testable import RLHFTensor

final class FusedKernelTests: XCTestCase {
    // MARK: softmax / logSoftmax

    func testSoftmaxLastAxis() {
        for width in [5, 16, 37] {
            let x = randn([3, width], seed: UInt64(width), scale: 2)
            gradCheck("softmax width \(width)", [x], { softmax($0[0]) }, ref: { refSoftmaxRows($0[0], width: width) })
            gradCheck(
                "logSoftmax width \(width)", [x], { logSoftmax($0[0]) },
                ref: { refLogSoftmaxRows($0[0], width: width) })
        }
        // rank 3, and a transposed view input
        let x3 = randn([2, 3, 4], seed: 1)
        gradCheck("softmax rank 3", [x3], { softmax($0[0], axis: -1) }, ref: { refSoftmaxRows($0[0], width: 4) })
        let v = randn([6, 3], seed: 2).transposed()
        gradCheck("logSoftmax of a transposed view", [v], { logSoftmax($0[0]) }, ref: { refLogSoftmaxRows($0[0], width: 6) })
    }

    func testSoftmaxAxis1() {
        let shape = [2, 5, 3]
        let x = randn(shape, seed: 3, scale: 2)
        let order = lastAxisOrder(3, 1), inverse = inversePermutation(order)
        func along(_ f: @escaping ([Double], Int) -> [Double]) -> ([[Double]]) -> [Double] {
            { v in refPermute(f(refPermute(v[0], shape, order), 5), order.map { shape[$0] }, inverse) }
        }
        gradCheck("softmax axis 1", [x], { softmax($0[0], axis: 1) }, ref: along(refSoftmaxRows))
        gradCheck("logSoftmax axis 1", [x], { logSoftmax($0[0], axis: 1) }, ref: along(refLogSoftmaxRows))
        gradCheck(
            "softmax axis 0", [randn([4, 3], seed: 4)], { softmax($0[0], axis: 0) },
            ref: { v in
                refPermute(refSoftmaxRows(refPermute(v[0], [4, 3], [1, 0]), width: 4), [3, 4], [1, 0])
            })
    }

    func testSoftmaxExtremeValues() {
        // large logits do not overflow; masked (−inf) entries get exactly zero probability
        let x = Tensor([1000, 999, -1000, -.infinity, 0], shape: [1, 5])
        let p = softmax(x).scalars
        XCTAssertEqual(Double(p[0]), 1 / (1 + Foundation.exp(-1.0)), accuracy: 1e-6)
        XCTAssertEqual(Double(p[1]), Foundation.exp(-1.0) / (1 + Foundation.exp(-1.0)), accuracy: 1e-6)
        XCTAssertEqual(p[2], 0)
        XCTAssertEqual(p[3], 0, "exp(−inf) is exactly 0")
        let lp = logSoftmax(x).scalars
        XCTAssertEqual(lp[3], -.infinity)
        XCTAssertTrue(lp.allSatisfy { !$0.isNaN })
        // a masked row backpropagates zero to the masked entry
        let xl = Tensor([0.5, -.infinity, 1.0, -.infinity], shape: [1, 4]).requiringGrad()
        softmax(xl).backward(Tensor([1, 2, 3, 4], shape: [1, 4]))
        XCTAssertEqual(xl.grad!.scalars[1], 0)
        XCTAssertEqual(xl.grad!.scalars[3], 0)
    }

    // MARK: logSigmoid / softplus

    func testLogSigmoid() {
        let x = randn([3, 7], seed: 5, scale: 4)
        gradCheck(
            "logSigmoid", [x], { logSigmoid($0[0]) },
            ref: { v in
                v[0].map { Swift.min($0, 0) - Foundation.log1p(Foundation.exp(-Swift.abs($0))) }
            })
        // exact and finite at the extremes: logSigmoid(100) ≈ −e^{−100} ≈ 0, logSigmoid(−100) = −100
        let xe = Tensor([100, -100, 30, -30, 0]).requiringGrad()
        let y = logSigmoid(xe)
        let ys = y.scalars
        XCTAssertTrue(ys.allSatisfy(\.isFinite))
        XCTAssertEqual(ys[0], 0, accuracy: 1e-30)
        XCTAssertEqual(ys[1], -100, "logSigmoid(−100) is −100 to the last bit")
        XCTAssertEqual(Double(ys[2]), -Foundation.log1p(Foundation.exp(-30.0)), accuracy: 1e-18)
        XCTAssertEqual(ys[3], -30)
        XCTAssertEqual(Double(ys[4]), -Foundation.log(2.0), accuracy: 1e-7)
        y.sum().backward()
        let g = xe.grad!.scalars
        XCTAssertTrue(g.allSatisfy(\.isFinite))
        XCTAssertEqual(g[0], 0, accuracy: 1e-37)   // σ(−100)
        XCTAssertEqual(g[1], 1)   // σ(100)
        XCTAssertEqual(g[4], 0.5)
    }

    func testLog1mexp() {
        // both branches (the split is at −ln 2) and a point near 0, where log(1 − e^x) ≈ log(−x)
        let x = Tensor([-40, -5, -1.2, -0.7, -0.69, -0.3, -0.05])
        gradCheck("log1mexp", [x], { log1mexp($0[0]) }, ref: { $0[0].map { Foundation.log(-Foundation.expm1($0)) } })
        let y = log1mexp(Tensor([-40, -1e-4])).scalars
        XCTAssertEqual(Double(y[0]), -Foundation.exp(-40.0), accuracy: 1e-6 * Foundation.exp(-40.0), "no cancellation far below 0")
        XCTAssertEqual(Double(y[1]), Foundation.log(-Foundation.expm1(-1e-4)), accuracy: 1e-6, "no cancellation near 0")
    }

    func testSoftplus() {
        // β = 1 with values on both sides of the threshold (20), and β = 2
        let x = Tensor([-30, -5, -1, -0.1, 0.3, 2, 8, 19.5, 21, 40])
        let ref: (Double, Double, Double) -> Double = { v, beta, thr in
            beta * v > thr ? v : Foundation.log1p(Foundation.exp(beta * v)) / beta
        }
        gradCheck("softplus β=1", [x], { softplus($0[0]) }, ref: { $0[0].map { ref($0, 1, 20) } })
        let y = randn([3, 5], seed: 6, scale: 5)
        gradCheck(
            "softplus β=2 threshold 10", [y], { softplus($0[0], beta: 2, threshold: 10) },
            ref: { $0[0].map { ref($0, 2, 10) } })
    }

    // MARK: gelu / silu

    func testGeluErf() {
        for n in [7, 16, 37] {
            let x = randn([n], seed: UInt64(7 + n), scale: 2)
            gradCheck(
                "gelu erf (n=\(n))", [x], { gelu($0[0]) },
                ref: { v in
                    v[0].map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
                })
        }
        let big = gelu(Tensor([-12, -6, 6, 12])).scalars
        XCTAssertEqual(big[0], 0, accuracy: 1e-6); XCTAssertEqual(big[1], 0, accuracy: 1e-6)
        XCTAssertEqual(big[2], 6, accuracy: 1e-5); XCTAssertEqual(big[3], 12, accuracy: 1e-5)
    }

    func testGeluTanh() {
        let c = (2 / Double.pi).squareRoot()
        for n in [7, 37] {
            let x = randn([n], seed: UInt64(9 + n), scale: 2)
            gradCheck(
                "gelu tanh (n=\(n))", [x], { gelu($0[0], approximate: .tanh) },
                ref: { v in
                    v[0].map { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }
                })
        }
    }

    func testSilu() {
        for n in [7, 37] {
            let x = randn([n], seed: UInt64(11 + n), scale: 3)
            gradCheck("silu (n=\(n))", [x], { silu($0[0]) }, ref: { v in v[0].map { $0 / (1 + Foundation.exp(-$0)) } })
        }
        let v = randn([5, 3], seed: 12).transposed()
        gradCheck("silu of a transposed view", [v], { silu($0[0]) }, ref: { v in v[0].map { $0 / (1 + Foundation.exp(-$0)) } })
    }

    // MARK: layerNorm / rmsNorm

    private func refLayerNorm(_ x: [Double], _ w: [Double]?, _ b: [Double]?, width c: Int, eps: Double) -> [Double] {
        var out = x
        for r in 0..<(x.count / c) {
            let row = Array(x[(r * c)..<(r * c + c)])
            let mean = row.reduce(0, +) / Double(c)
            let v = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(c)
            for j in 0..<c {
                out[r * c + j] = (row[j] - mean) / (v + eps).squareRoot() * (w?[j] ?? 1) + (b?[j] ?? 0)
            }
        }
        return out
    }

    func testLayerNorm() {
        for c in [5, 16, 37] {
            let x = randn([2, 3, c], seed: UInt64(c)), w = randn([c], seed: 13), b = randn([c], seed: 14)
            gradCheck(
                "layerNorm width \(c) with weight and bias", [x, w, b],
                { layerNorm($0[0], weight: $0[1], bias: $0[2]) },
                ref: { self.refLayerNorm($0[0], $0[1], $0[2], width: c, eps: 1e-5) })
            gradCheck(
                "layerNorm width \(c) without weight and bias", [x], { layerNorm($0[0], weight: nil, bias: nil) },
                ref: { self.refLayerNorm($0[0], nil, nil, width: c, eps: 1e-5) })
        }
        let x = randn([4, 6], seed: 15, scale: 3), w = randn([6], seed: 16)
        gradCheck(
            "layerNorm weight only, eps 1e-3", [x, w], { layerNorm($0[0], weight: $0[1], bias: nil, eps: 1e-3) },
            ref: { self.refLayerNorm($0[0], $0[1], nil, width: 6, eps: 1e-3) })
        gradCheck(
            "layerNorm bias only", [x, w], { layerNorm($0[0], weight: nil, bias: $0[1]) },
            ref: { self.refLayerNorm($0[0], nil, $0[1], width: 6, eps: 1e-5) })
        gradCheck(
            "layerNorm of a transposed view", [randn([6, 4], seed: 17).transposed(), w],
            { layerNorm($0[0], weight: $0[1], bias: nil) },
            ref: { self.refLayerNorm($0[0], $0[1], nil, width: 6, eps: 1e-5) })
        // only the weight requires a gradient
        gradCheck(
            "layerNorm, x constant", [x, w, randn([6], seed: 18)], noGrad: [0],
            { layerNorm($0[0], weight: $0[1], bias: $0[2]) },
            ref: { self.refLayerNorm($0[0], $0[1], $0[2], width: 6, eps: 1e-5) })
    }

    private func refRMSNorm(_ x: [Double], _ w: [Double]?, width c: Int, eps: Double) -> [Double] {
        var out = x
        for r in 0..<(x.count / c) {
            let row = Array(x[(r * c)..<(r * c + c)])
            let rstd = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(c) + eps).squareRoot()
            for j in 0..<c { out[r * c + j] = row[j] * rstd * (w?[j] ?? 1) }
        }
        return out
    }

    func testRMSNorm() {
        for c in [5, 16, 37] {
            let x = randn([2, 3, c], seed: UInt64(20 + c)), w = randn([c], seed: 19)
            gradCheck(
                "rmsNorm width \(c) with weight", [x, w], { rmsNorm($0[0], weight: $0[1]) },
                ref: { self.refRMSNorm($0[0], $0[1], width: c, eps: 1e-6) })
            gradCheck(
                "rmsNorm width \(c) without weight", [x], { rmsNorm($0[0], weight: nil, eps: 1e-5) },
                ref: { self.refRMSNorm($0[0], nil, width: c, eps: 1e-5) })
        }
        gradCheck(
            "rmsNorm of a transposed view", [randn([6, 4], seed: 21).transposed(), randn([6], seed: 22)],
            { rmsNorm($0[0], weight: $0[1]) }, ref: { self.refRMSNorm($0[0], $0[1], width: 6, eps: 1e-6) })
    }
}
