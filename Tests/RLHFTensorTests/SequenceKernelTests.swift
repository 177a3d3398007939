// Fused token-level kernels — embedding, dropout, RoPE, crossEntropy, selectiveLogSoftmax, entropy —
// against Double references with gradients against central finite differences (tolerances in
// GradCheck.swift). Vocabulary widths 37 (SIMD body plus tail) and 64 (body only).

import Foundation
import XCTest
@testable import RLHFTensor

final class SequenceKernelTests: XCTestCase {
    // MARK: embedding

    func testEmbeddingWithRepeatedIds() {
        let (v, c) = (6, 5)
        let w = randn([v, c], seed: 1)
        let ids = [3, 1, 3, 0, 5, 3]   // id 3 three times: the backward scatter-adds
        let out = gradCheck(
            "embedding", [w], { embedding($0[0], ids: ids, idsShape: [2, 3]) },
            ref: { x in
                ids.flatMap { id in Array(x[0][(id * c)..<(id * c + c)]) }
            })
        XCTAssertEqual(out.shape, [2, 3, c])
        // unused rows get zero gradient; the repeated row gets the sum of its three output gradients
        let wl = w.requiringGrad()
        embedding(wl, ids: ids).sum().backward()
        let g = wl.grad!.scalars
        XCTAssertEqual(Array(g[(2 * c)..<(3 * c)]), [Float](repeating: 0, count: c))
        XCTAssertEqual(Array(g[(3 * c)..<(4 * c)]), [Float](repeating: 3, count: c))
        XCTAssertEqual(embedding(w, ids: [2, 2]).shape, [2, c])
    }

    /// With `paddingIndex` (nn.Embedding's padding_idx), that row gets no gradient; every other row gets
    /// exactly the gradient of the plain embedding (itself checked against finite differences above).
    func testEmbeddingPaddingIndexGetsNoGradient() {
        let (v, c) = (6, 5)
        let w = randn([v, c], seed: 2)
        let ids = [0, 2, 0, 4, 2]
        let weights = Tensor(objectiveWeights(ids.count * c).map(Float.init), shape: [ids.count, c])
        func grad(_ padding: Int?) -> [Float] {
            let wl = w.requiringGrad()
            (embedding(wl, ids: ids, paddingIndex: padding) * weights).sum().backward()
            return wl.grad!.scalars
        }
        let plain = grad(nil), padded = grad(0)
        XCTAssertEqual(Array(padded[0..<c]), [Float](repeating: 0, count: c))
        XCTAssertNotEqual(Array(plain[0..<c]), [Float](repeating: 0, count: c))
        XCTAssertEqual(Array(padded[c...]), Array(plain[c...]))
        XCTAssertEqual(embedding(w, ids: ids, paddingIndex: 0).scalars, embedding(w, ids: ids).scalars)
    }

    // MARK: dropout

    func testDropoutMaskAndGradient() {
        let p: Float = 0.3, scale = 1 / (1 - p)
        let x = randn([4, 9], seed: 2)
        // the mask this seed draws, read off dropout of ones
        var r0 = RandomGenerator(seed: 99)
        let mask = dropout(Tensor.ones([4, 9]), p: p, using: &r0).doubles
        XCTAssertTrue(mask.allSatisfy { $0 == 0 || Swift.abs($0 - Double(scale)) < 1e-6 }, "mask holds 0 or 1/(1 − p)")
        XCTAssertTrue(mask.contains(0) && mask.contains { $0 != 0 })
        gradCheck(
            "dropout p 0.3 (seeded)", [x],
            { t in
                var r = RandomGenerator(seed: 99)
                return dropout(t[0], p: p, using: &r)
            }, ref: { v in zip(v[0], mask).map { $0 * $1 } })
        // the gradient is exactly mask·scale
        let xl = x.requiringGrad()
        var r1 = RandomGenerator(seed: 99)
        dropout(xl, p: p, using: &r1).sum().backward()
        XCTAssertEqual(xl.grad!.doubles, mask)
        // same seed, same mask; another seed, another mask
        var r2 = RandomGenerator(seed: 99), r3 = RandomGenerator(seed: 99), r4 = RandomGenerator(seed: 100)
        let y2 = dropout(x, p: p, using: &r2).scalars
        XCTAssertEqual(y2, dropout(x, p: p, using: &r3).scalars)
        XCTAssertNotEqual(y2, dropout(x, p: p, using: &r4).scalars)
    }

    func testDropoutKeepsTheRightFraction() {
        var rng = RandomGenerator(seed: 5)
        let y = dropout(Tensor.ones([200_000]), p: 0.25, using: &rng)
        let kept = Double(y.scalars.filter { $0 != 0 }.count) / 200_000
        XCTAssertEqual(kept, 0.75, accuracy: 0.005)
        XCTAssertEqual(y.mean().item, 1, accuracy: 0.01, "inverted dropout keeps the mean")
    }

    func testDropoutIdentityWhenOffOrZero() {
        let x = randn([3, 4], seed: 3)
        var rng = RandomGenerator(seed: 1)
        let before = rng
        gradCheck(
            "dropout p = 0", [x],
            { t in
                var r = RandomGenerator(seed: 1); return dropout(t[0], p: 0, using: &r)
            },
            ref: { $0[0] })
        gradCheck(
            "dropout training false", [x],
            { t in
                var r = RandomGenerator(seed: 1); return dropout(t[0], p: 0.5, training: false, using: &r)
            }, ref: { $0[0] })
        _ = dropout(x, p: 0.5, training: false, using: &rng)
        XCTAssertEqual(rng, before, "no random numbers are drawn when dropout is off")
    }

    // MARK: RoPE

    private func refRope(_ x: [Double], _ cos: [Double], _ sin: [Double], _ s: [Int], perBatch: Bool) -> [Double] {
        let (b, nh, t, hs) = (s[0], s[1], s[2], s[3]), half = hs / 2
        var out = x
        for bi in 0..<b {
            for h in 0..<nh {
                for ti in 0..<t {
                    let row = ((bi * nh + h) * t + ti) * hs, tab = ((perBatch ? bi * t : 0) + ti) * hs
                    for i in 0..<hs {
                        let rot = i < half ? -x[row + i + half] : x[row + i - half]
                        out[row + i] = x[row + i] * cos[tab + i] + rot * sin[tab + i]
                    }
                }
            }
        }
        return out
    }

    func testRopeTables() {
        let (cosT, sinT) = ropeTables(positions: [0, 1, 5, 100], headDim: 8, theta: 10_000)
        XCTAssertEqual(cosT.shape, [4, 8])
        for (t, pos) in [0, 1, 5, 100].enumerated() {
            for i in 0..<8 {
                let angle = Double(pos) * Foundation.pow(10_000, -Double(2 * (i % 4)) / 8)
                XCTAssertEqual(Double(cosT[t, i]), Foundation.cos(angle), accuracy: 5e-5, "cos t \(t) i \(i)")
                XCTAssertEqual(Double(sinT[t, i]), Foundation.sin(angle), accuracy: 5e-5, "sin t \(t) i \(i)")
            }
        }
    }

    func testRopeSharedTables() {
        let shape = [2, 3, 4, 8]
        let x = randn(shape, seed: 4)
        let (c, s) = ropeTables(positions: [0, 1, 2, 7], headDim: 8)
        gradCheck(
            "rope with shared [T, hs] tables", [x, c, s], noGrad: [1, 2], { rope($0[0], cos: $0[1], sin: $0[2]) },
            ref: { self.refRope($0[0], $0[1], $0[2], shape, perBatch: false) })
        // a permuted view input ([B, T, NH, hs] → [B, NH, T, hs])
        let xv = randn([2, 4, 3, 8], seed: 5)
        gradCheck(
            "rope of a permuted view", [xv, c, s], noGrad: [1, 2],
            { rope($0[0].permuted([0, 2, 1, 3]), cos: $0[1], sin: $0[2]) },
            ref: { v in self.refRope(refPermute(v[0], [2, 4, 3, 8], [0, 2, 1, 3]), v[1], v[2], shape, perBatch: false) })
        // position 0 is the identity
        let y = rope(x, cos: c, sin: s)
        XCTAssertEqual(y.sliced(axis: 2, 0, 1).scalars, x.sliced(axis: 2, 0, 1).scalars)
    }

    func testRopePerBatchTables() {
        let shape = [2, 2, 3, 6]
        let x = randn(shape, seed: 6)
        // left padding: sequence 0 starts at position 0, sequence 1 has one pad (positions 0, 0, 1)
        let t0 = ropeTables(positions: [0, 1, 2], headDim: 6), t1 = ropeTables(positions: [0, 0, 1], headDim: 6)
        let c = Tensor.stack([t0.cos, t1.cos]), s = Tensor.stack([t0.sin, t1.sin])
        XCTAssertEqual(c.shape, [2, 3, 6])
        gradCheck(
            "rope with per-batch [B, T, hs] tables", [x, c, s], noGrad: [1, 2],
            { rope($0[0], cos: $0[1], sin: $0[2]) },
            ref: { self.refRope($0[0], $0[1], $0[2], shape, perBatch: true) })
    }

    // MARK: crossEntropy / selectiveLogSoftmax / entropy

    private func refCrossEntropy(_ x: [Double], width v: Int, targets: [Int], ignore: Int) -> [Double] {
        let lsm = refLogSoftmaxRows(x, width: v)
        var total = 0.0, n = 0
        for (i, t) in targets.enumerated() where t != ignore { total -= lsm[i * v + t]; n += 1 }
        return [n > 0 ? total / Double(n) : 0]
    }

    func testCrossEntropy() {
        for v in [37, 64, 5] {
            let x = randn([6, v], seed: UInt64(v), scale: 2)
            let targets = [0, v - 1, 3, v / 2, 1, 2]
            gradCheck(
                "crossEntropy V=\(v)", [x], { crossEntropy($0[0], targets: targets) },
                ref: { self.refCrossEntropy($0[0], width: v, targets: targets, ignore: -100) })
            let withIgnored = [4, -100, 0, -100, v - 1, 2]
            gradCheck(
                "crossEntropy V=\(v) with ignored rows", [x], { crossEntropy($0[0], targets: withIgnored) },
                ref: { self.refCrossEntropy($0[0], width: v, targets: withIgnored, ignore: -100) })
        }
        // rank 3 logits, a custom ignore index, and a transposed view
        let x3 = randn([2, 3, 37], seed: 7)
        let t3 = [1, 36, 0, 7, 0, 2]
        gradCheck(
            "crossEntropy rank 3, ignoreIndex 0", [x3], { crossEntropy($0[0], targets: t3, ignoreIndex: 0) },
            ref: { self.refCrossEntropy($0[0], width: 37, targets: t3, ignore: 0) })
        gradCheck(
            "crossEntropy of a transposed view", [randn([37, 3], seed: 8).transposed()],
            { crossEntropy($0[0], targets: [5, 0, 36]) },
            ref: { self.refCrossEntropy($0[0], width: 37, targets: [5, 0, 36], ignore: -100) })
    }

    func testCrossEntropyAllIgnored() {
        let x = randn([3, 37], seed: 9).requiringGrad()
        let loss = crossEntropy(x, targets: [-100, -100, -100])
        XCTAssertEqual(loss.item, 0)
        loss.backward()
        XCTAssertEqual(x.grad!.scalars, [Float](repeating: 0, count: 3 * 37))
    }

    func testSelectiveLogSoftmax() {
        for v in [37, 64] {
            let x = randn([2, 3, v], seed: UInt64(10 + v), scale: 2)
            let ids = [0, v - 1, 5, 5, 17, 1]
            let out = gradCheck(
                "selectiveLogSoftmax V=\(v)", [x], { selectiveLogSoftmax($0[0], ids: ids) },
                ref: { a in
                    let lsm = refLogSoftmaxRows(a[0], width: v)
                    return ids.enumerated().map { lsm[$0.offset * v + $0.element] }
                })
            XCTAssertEqual(out.shape, [2, 3])
        }
        gradCheck(
            "selectiveLogSoftmax of a transposed view", [randn([37, 2], seed: 11).transposed()],
            { selectiveLogSoftmax($0[0], ids: [3, 30]) },
            ref: { a in
                let lsm = refLogSoftmaxRows(a[0], width: 37)
                return [lsm[3], lsm[37 + 30]]
            })
    }

    func testEntropy() {
        for v in [37, 64, 3] {
            let x = randn([2, 3, v], seed: UInt64(20 + v), scale: 2)
            let out = gradCheck(
                "entropy V=\(v)", [x], { entropy($0[0]) },
                ref: { a in
                    let p = refSoftmaxRows(a[0], width: v), lp = refLogSoftmaxRows(a[0], width: v)
                    return (0..<6).map { r in -(0..<v).reduce(0.0) { $0 + p[r * v + $1] * lp[r * v + $1] } }
                })
            XCTAssertEqual(out.shape, [2, 3])
        }
        // uniform logits: entropy log V; one dominant logit: entropy ≈ 0
        let e = entropy(Tensor([0, 0, 0, 0, 50, 0, 0, 0], shape: [2, 4])).scalars
        XCTAssertEqual(Double(e[0]), Foundation.log(4.0), accuracy: 1e-6)
        XCTAssertEqual(e[1], 0, accuracy: 1e-6)
    }
}
