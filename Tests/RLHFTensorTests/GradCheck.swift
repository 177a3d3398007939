// Test helpers: gradient checks against central finite differences of a Double reference, fused-kernel
// versus primitive-composition checks, and small Double reference implementations (row-major, flat). The
// elementwise comparison, `assertClose`, is RLHFTestSupport's.
//
// Tolerances (stated once, used by every test unless a test says otherwise):
//   forward vs Double reference:        |ours − ref| ≤ 1e-5 + 1e-5·|ref|
//   gradient vs central differences:    |ours − fd|  ≤ 1e-4 + 1e-3·|fd|, fd with h = 1e-6 on the Double reference
//   fused vs composition (value, grad): |fused − composed| ≤ 1e-5 + 1e-5·|composed|

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFTensor

/// The tolerances listed at the top of this file.
enum Tolerance {
    static let forwardAbs = 1e-5, forwardRel = 1e-5
    static let gradAbs = 1e-4, gradRel = 1e-3
    static let fdStep = 1e-6
    static let compositionAbs = 1e-5, compositionRel = 1e-5
}

extension Tensor {
    /// The elements in row-major order as Double.
    var doubles: [Double] { scalars.map(Double.init) }
}

/// A fixed set of weights w for the objective L = Σ wᵢ·outᵢ, exactly representable in Float.
func objectiveWeights(_ n: Int, seed: UInt64 = 0xC0FFEE) -> [Double] {
    var rng = RandomGenerator(seed: seed)
    return (0..<n).map { _ in Double(rng.nextNormal()) }
}

/// Checks `f` against a Double reference: the forward values, then the gradient of L = Σ wᵢ·outᵢ for each
/// input (not in `noGrad`) computed by `backward()` against central finite differences of L on `ref`.
///
/// - Parameters:
///   - name: the op, named in every failure message.
///   - inputs: the input tensors (views allowed: the leaf keeps the view's strides).
///   - noGrad: inputs that are constants (masks, tables): neither leaves nor checked.
///   - f: the op under test on the leaves.
///   - ref: the same forward in Double on the row-major flattened inputs, output flattened row-major.
@discardableResult
func gradCheck(
    _ name: String, _ inputs: [Tensor], noGrad: Set<Int> = [],
    forwardAbs: Double = Tolerance.forwardAbs, forwardRel: Double = Tolerance.forwardRel,
    gradAbs: Double = Tolerance.gradAbs, gradRel: Double = Tolerance.gradRel,
    h: Double = Tolerance.fdStep,
    _ f: ([Tensor]) -> Tensor, ref: ([[Double]]) -> [Double],
    file: StaticString = #filePath, line: UInt = #line
) -> Tensor {
    let leaves = inputs.enumerated().map { i, t in noGrad.contains(i) ? t.detached() : t.requiringGrad() }
    let out = f(leaves)
    let xs = inputs.map(\.doubles)
    let expected = ref(xs)
    assertClose(
        out.doubles, expected, abs: forwardAbs, rel: forwardRel, "\(name) forward",
        file: file, line: line)
    guard inputs.indices.contains(where: { !noGrad.contains($0) }) else { return out }
    guard out.requiresGrad else {
        XCTFail("\(name): output does not require a gradient", file: file, line: line)
        return out
    }
    let w = objectiveWeights(out.count)
    out.backward(Tensor(w.map(Float.init), shape: out.shape))
    func objective(_ x: [[Double]]) -> Double {
        let y = ref(x)
        var s = 0.0
        for i in 0..<y.count { s += w[i] * y[i] }
        return s
    }
    for i in inputs.indices where !noGrad.contains(i) {
        let ours = leaves[i].grad?.doubles ?? [Double](repeating: 0, count: inputs[i].count)
        if let g = leaves[i].grad, g.shape != inputs[i].shape {
            XCTFail(
                "\(name): input \(i) gradient shape \(g.shape) vs input shape \(inputs[i].shape)",
                file: file, line: line)
            continue
        }
        var fd = [Double](repeating: 0, count: xs[i].count)
        var x = xs
        for j in 0..<xs[i].count {
            x[i][j] = xs[i][j] + h
            let lp = objective(x)
            x[i][j] = xs[i][j] - h
            let lm = objective(x)
            x[i][j] = xs[i][j]
            fd[j] = (lp - lm) / (2 * h)
        }
        assertClose(
            ours, fd, abs: gradAbs, rel: gradRel, "\(name) gradient of input \(i)",
            bName: "finite difference", file: file, line: line)
    }
    return out
}

/// Checks a fused kernel against the same function written with primitives: values, and the gradient of
/// L = Σ wᵢ·outᵢ with respect to every input not in `noGrad`.
func compareComposition(
    _ name: String, _ inputs: [Tensor], noGrad: Set<Int> = [],
    abs: Double = Tolerance.compositionAbs, rel: Double = Tolerance.compositionRel,
    fused: ([Tensor]) -> Tensor, composed: ([Tensor]) -> Tensor,
    file: StaticString = #filePath, line: UInt = #line
) {
    func run(_ g: ([Tensor]) -> Tensor) -> (Tensor, [Tensor?]) {
        let leaves = inputs.enumerated().map { i, t in noGrad.contains(i) ? t.detached() : t.requiringGrad() }
        let out = g(leaves)
        if out.requiresGrad {
            out.backward(Tensor(objectiveWeights(out.count).map(Float.init), shape: out.shape))
        }
        return (out, leaves.map(\.grad))
    }
    let (yf, gf) = run(fused), (yc, gc) = run(composed)
    XCTAssertEqual(yf.shape, yc.shape, "\(name): fused shape vs composed shape", file: file, line: line)
    assertClose(
        yf.doubles, yc.doubles, abs: abs, rel: rel, "\(name) forward",
        aName: "fused", bName: "composed", file: file, line: line)
    for i in inputs.indices where !noGrad.contains(i) {
        guard let a = gf[i], let b = gc[i] else {
            XCTFail(
                "\(name): input \(i) has no gradient (fused \(gf[i] != nil), composed \(gc[i] != nil))",
                file: file, line: line)
            continue
        }
        XCTAssertEqual(a.shape, b.shape, "\(name): input \(i) gradient shapes", file: file, line: line)
        assertClose(
            a.doubles, b.doubles, abs: abs, rel: rel, "\(name) gradient of input \(i)",
            aName: "fused", bName: "composed", file: file, line: line)
    }
}

// MARK: - Random inputs

/// Normal samples from a seeded generator.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.normal(shape, std: scale, using: &rng)
}

/// Uniform samples in [low, high) from a seeded generator.
func randu(_ shape: [Int], seed: UInt64, _ low: Float, _ high: Float) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, using: &rng)
}

/// Normal samples kept at least `gap` away from each of `kinks` (for non-smooth ops).
func randnAvoiding(_ shape: [Int], seed: UInt64, kinks: [Float], gap: Float = 1e-2) -> Tensor {
    let t = randn(shape, seed: seed)
    let p = t.pointer
    for i in 0..<t.count {
        for k in kinks where Swift.abs(p[i] - k) < gap { p[i] = k + (p[i] >= k ? gap : -gap) * 2 }
    }
    return t
}

// MARK: - Double references (row-major, flat)

/// Row-major strides.
func refStrides(_ shape: [Int]) -> [Int] { Tensor.contiguousStrides(shape) }

/// Multi-index of a flat row-major position.
func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
    var idx = [Int](repeating: 0, count: shape.count)
    var r = flat
    for k in stride(from: shape.count - 1, through: 0, by: -1) { idx[k] = r % shape[k]; r /= shape[k] }
    return idx
}

/// `op(a, b)` broadcast together (NumPy rules).
func refBinary(
    _ a: [Double], _ sa: [Int], _ b: [Double], _ sb: [Int],
    _ op: (Double, Double) -> Double
) -> [Double] {
    let out = Tensor.broadcastShape(sa, sb)
    let n = out.reduce(1, *)
    func at(_ x: [Double], _ s: [Int], _ idx: [Int]) -> Double {
        let lead = idx.count - s.count
        var p = 0
        for (k, st) in refStrides(s).enumerated() where s[k] != 1 { p += idx[k + lead] * st }
        return x[p]
    }
    return (0..<n).map { i in
        let idx = unravel(i, out); return op(at(a, sa, idx), at(b, sb, idx))
    }
}

/// Batched `op(a) @ op(b)` with equal batch dimensions; shapes [..., r, c] as stored.
func refMatmul(_ a: [Double], _ sa: [Int], _ b: [Double], _ sb: [Int], tA: Bool = false, tB: Bool = false) -> [Double] {
    let r = sa.count
    let (ar, ac) = (sa[r - 2], sa[r - 1]), (br, bc) = (sb[sb.count - 2], sb[sb.count - 1])
    let (m, k) = tA ? (ac, ar) : (ar, ac)
    let n = tB ? br : bc
    let batch = sa.dropLast(2).reduce(1, *)
    let bBatch = sb.count == 2 ? 0 : br * bc
    var out = [Double](repeating: 0, count: batch * m * n)
    for bi in 0..<batch {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for kk in 0..<k {
                    let av = tA ? a[bi * ar * ac + kk * ac + i] : a[bi * ar * ac + i * ac + kk]
                    let bv = tB ? b[bi * bBatch + j * bc + kk] : b[bi * bBatch + kk * bc + j]
                    s += av * bv
                }
                out[(bi * m + i) * n + j] = s
            }
        }
    }
    return out
}

/// `x` with dimensions reordered (result dimension i is `order[i]`).
func refPermute(_ x: [Double], _ shape: [Int], _ order: [Int]) -> [Double] {
    let outShape = order.map { shape[$0] }
    let st = refStrides(shape)
    return (0..<x.count).map { i in
        let idx = unravel(i, outShape)
        var p = 0
        for (k, a) in order.enumerated() { p += idx[k] * st[a] }
        return x[p]
    }
}

/// Reduces `axes` of `x` with `combine` (output in kept-dimension order, row-major).
func refReduce(
    _ x: [Double], _ shape: [Int], axes: Set<Int>, initial: Double,
    _ combine: (Double, Double) -> Double
) -> [Double] {
    let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    var out = [Double](repeating: initial, count: kept.reduce(1, *))
    let ks = refStrides(kept)
    for i in 0..<x.count {
        let idx = unravel(i, shape)
        var p = 0
        for k in 0..<shape.count where !axes.contains(k) { p += idx[k] * ks[k] }
        out[p] = combine(out[p], x[i])
    }
    return out
}

/// Softmax over consecutive rows of `width`.
func refSoftmaxRows(_ x: [Double], width n: Int) -> [Double] {
    var out = x
    for r in 0..<(x.count / n) {
        let row = x[(r * n)..<(r * n + n)]
        let m = row.max()!
        let s = row.reduce(0) { $0 + Foundation.exp($1 - m) }
        for j in 0..<n { out[r * n + j] = Foundation.exp(x[r * n + j] - m) / s }
    }
    return out
}

/// Log-softmax over consecutive rows of `width`.
func refLogSoftmaxRows(_ x: [Double], width n: Int) -> [Double] {
    var out = x
    for r in 0..<(x.count / n) {
        let row = x[(r * n)..<(r * n + n)]
        let m = row.max()!
        let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
        for j in 0..<n { out[r * n + j] = x[r * n + j] - lse }
    }
    return out
}

/// Moves axis `axis` of `shape` last (the permutation), as the row kernels do.
func lastAxisOrder(_ rank: Int, _ axis: Int) -> [Int] {
    var order = Array(0..<rank); order.remove(at: axis); order.append(axis)
    return order
}

/// The inverse of a permutation.
func inversePermutation(_ order: [Int]) -> [Int] {
    var inv = [Int](repeating: 0, count: order.count)
    for (i, a) in order.enumerated() { inv[a] = i }
    return inv
}
