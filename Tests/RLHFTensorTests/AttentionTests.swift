// Fused scaled-dot-product attention: against a Double reference with gradients against central finite
// differences (tolerances in GradCheck.swift), and against its composition from primitives
// (matmul → maskedFill(−inf) → softmax → matmul, kv heads repeated with indexSelect) at 1e-5.
// Cases: no mask, causal, key padding, causal + padding, grouped-query heads (NH 4, NKV 2),
// T ≠ S with the causal offset, rows with every key masked, and a custom scale.

import Foundation
import XCTest
@testable import RLHFTensor

final class AttentionTests: XCTestCase {
    /// One attention configuration.
    private struct Case {
        var b = 2, nh = 2, nkv = 2, t = 4, s = 4, hs = 8
        var causal = false
        var padding: [[Float]]? = nil   // [B][S], 1 keep, 0 pad
        var scale: Float? = nil
        var name: String
    }

    /// Whether query i of batch bi may look at key j.
    private func visible(_ c: Case, _ bi: Int, _ i: Int, _ j: Int) -> Bool {
        if c.causal && j > i + c.s - c.t { return false }
        if let p = c.padding, p[bi][j] == 0 { return false }
        return true
    }

    private func refAttention(_ c: Case, _ q: [Double], _ k: [Double], _ v: [Double]) -> [Double] {
        let group = c.nh / c.nkv
        let sc = Double(c.scale ?? 1 / Float(c.hs).squareRoot())
        var out = [Double](repeating: 0, count: c.b * c.nh * c.t * c.hs)
        for bi in 0..<c.b {
            for h in 0..<c.nh {
                let kvh = bi * c.nkv + h / group, qh = bi * c.nh + h
                for i in 0..<c.t {
                    let keys = (0..<c.s).filter { visible(c, bi, i, $0) }
                    if keys.isEmpty { continue }   // every key masked: zeros
                    let scores = keys.map { j in
                        (0..<c.hs).reduce(0.0) { $0 + q[(qh * c.t + i) * c.hs + $1] * k[(kvh * c.s + j) * c.hs + $1] } * sc
                    }
                    let m = scores.max()!
                    let e = scores.map { Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for d in 0..<c.hs {
                        var acc = 0.0
                        for (n, j) in keys.enumerated() { acc += e[n] / z * v[(kvh * c.s + j) * c.hs + d] }
                        out[(qh * c.t + i) * c.hs + d] = acc
                    }
                }
            }
        }
        return out
    }

    private func inputs(_ c: Case, seed: UInt64) -> [Tensor] {
        [
            randn([c.b, c.nh, c.t, c.hs], seed: seed), randn([c.b, c.nkv, c.s, c.hs], seed: seed + 1),
            randn([c.b, c.nkv, c.s, c.hs], seed: seed + 2)
        ]
    }

    private func fused(_ c: Case) -> ([Tensor]) -> Tensor {
        let mask = c.padding.map { Tensor($0.flatMap { $0 }, shape: [c.b, c.s]) }
        return { x in scaledDotProductAttention(x[0], x[1], x[2], causal: c.causal, keyPaddingMask: mask, scale: c.scale) }
    }

    /// The same attention from primitives.
    private func composed(_ c: Case) -> ([Tensor]) -> Tensor {
        var masked = [Float](repeating: 0, count: c.b * c.t * c.s)
        for bi in 0..<c.b {
            for i in 0..<c.t {
                for j in 0..<c.s where !visible(c, bi, i, j) {
                    masked[(bi * c.t + i) * c.s + j] = 1
                }
            }
        }
        let maskT = Tensor(masked, shape: [c.b, 1, c.t, c.s])
        let group = c.nh / c.nkv
        let sc = c.scale ?? 1 / Float(c.hs).squareRoot()
        return { x in
            let heads = (0..<c.nh).map { $0 / group }
            let k = group > 1 ? x[1].indexSelect(axis: 1, heads) : x[1]
            let v = group > 1 ? x[2].indexSelect(axis: 1, heads) : x[2]
            let scores = (matmul(x[0], k, transposeB: true) * sc).maskedFill(maskT, -.infinity)
            return matmul(softmax(scores, axis: -1), v)
        }
    }

    private func check(_ c: Case, seed: UInt64 = 1, composition: Bool = true, line: UInt = #line) {
        let x = inputs(c, seed: seed)
        let out = gradCheck(
            "attention \(c.name)", x, fused(c), ref: { self.refAttention(c, $0[0], $0[1], $0[2]) },
            line: line)
        XCTAssertEqual(out.shape, [c.b, c.nh, c.t, c.hs], line: line)
        if composition {
            compareComposition("attention \(c.name) vs composition", x, fused: fused(c), composed: composed(c), line: line)
        }
    }

    func testNoMask() { check(Case(name: "no mask")) }

    func testCausal() { check(Case(causal: true, name: "causal")) }

    func testKeyPadding() {
        check(Case(padding: [[1, 1, 1, 0], [1, 0, 1, 1]], name: "key padding"))
    }

    func testCausalWithPadding() {
        // right padding: key 0 is always real, so no query row is fully masked
        check(Case(causal: true, padding: [[1, 1, 1, 1], [1, 1, 0, 0]], name: "causal + padding"))
    }

    func testGroupedQueryHeads() {
        check(Case(nh: 4, nkv: 2, name: "grouped-query NH 4 NKV 2"))
        check(Case(nh: 4, nkv: 2, causal: true, padding: [[1, 1, 1, 0], [1, 1, 1, 1]], name: "grouped-query, causal + padding"))
        check(Case(nh: 4, nkv: 1, causal: true, name: "multi-query NH 4 NKV 1"))
    }

    func testQueryBlockShorterThanKeys() {
        // T = 3 queries at the end of S = 7 keys: query i sees keys 0...i + 4
        check(Case(t: 3, s: 7, causal: true, name: "T 3 S 7 causal"))
        check(
            Case(
                nh: 4, nkv: 2, t: 2, s: 5, causal: true, padding: [[0, 1, 1, 1, 1], [1, 1, 1, 1, 1]],
                name: "T 2 S 5 causal + left padding, grouped"))
        check(Case(t: 1, s: 6, causal: true, name: "one query (decoding step)"))
        check(Case(t: 3, s: 7, name: "T 3 S 7 no mask"))
    }

    func testCustomScaleAndOddHeadSize() {
        check(Case(t: 5, s: 5, hs: 19, causal: true, scale: 0.3, name: "hs 19, scale 0.3"))
        check(
            Case(
                t: 3, s: 37, hs: 4, padding: [[Float]](repeating: (0..<37).map { $0 % 5 == 4 ? 0 : 1 }, count: 2),
                name: "S 37 with padding"), composition: true)
    }

    /// Rows whose every key is masked give zeros and pass no gradient (PyTorch would give NaN).
    func testFullyMaskedRows() {
        // left padding with causal: query 0 of batch 1 sees only key 0, which is padding
        let c = Case(causal: true, padding: [[1, 1, 1, 1], [0, 0, 1, 1]], name: "fully masked rows")
        check(c, composition: false)
        // more queries than keys with a causal mask: the first T − S queries see nothing
        check(Case(t: 5, s: 3, causal: true, name: "T 5 S 3 causal"), composition: false)
        check(
            Case(t: 5, s: 3, causal: true, padding: [[1, 1, 0], [1, 1, 1]], name: "T 5 S 3 causal + padding"),
            composition: false)
        let x = inputs(c, seed: 3).map { $0.requiringGrad() }
        let out = fused(c)(x)
        XCTAssertEqual(out.sliced(axis: 0, 1, 2).sliced(axis: 2, 0, 2).scalars, [Float](repeating: 0, count: 2 * 2 * 8))
        out.sum().backward()
        let dq = x[0].grad!.sliced(axis: 0, 1, 2).sliced(axis: 2, 0, 2).scalars
        XCTAssertEqual(dq, [Float](repeating: 0, count: 2 * 2 * 8), "fully masked query rows get zero gradient")
    }

    /// Padded keys get exactly zero weight: their values and keys receive exactly zero gradient, and
    /// changing them changes nothing.
    func testPaddedKeysAreInvisible() {
        let c = Case(padding: [[1, 1, 0, 0], [1, 1, 1, 0]], name: "padding")
        let x = inputs(c, seed: 4).map { $0.requiringGrad() }
        let out = fused(c)(x)
        out.backward(Tensor(objectiveWeights(out.count).map(Float.init), shape: out.shape))
        let dk = x[1].grad!, dv = x[2].grad!
        XCTAssertEqual(dk.sliced(axis: 0, 0, 1).sliced(axis: 2, 2, 4).scalars, [Float](repeating: 0, count: 2 * 2 * 8))
        XCTAssertEqual(dv.sliced(axis: 0, 0, 1).sliced(axis: 2, 2, 4).scalars, [Float](repeating: 0, count: 2 * 2 * 8))
        XCTAssertEqual(dv.sliced(axis: 0, 1, 2).sliced(axis: 2, 3, 4).scalars, [Float](repeating: 0, count: 2 * 8))
        // new values at padded keys: same output
        let v2 = x[2].detached().contiguous().scalars
        var changed = v2
        for i in (2 * 8)..<(4 * 8) { changed[i] = 1000 }   // batch 0, head 0, keys 2..3
        let out2 = fused(c)([x[0].detached(), x[1].detached(), Tensor(changed, shape: x[2].shape)])
        XCTAssertEqual(out2.scalars, out.scalars)
    }

    /// Keys and values read in place from a larger buffer (a preallocated KV cache: rows of hs back to back,
    /// other strides arbitrary) give the same values and gradients as contiguous copies.
    func testKeysAndValuesViewedInsideALargerBuffer() {
        let (b, nh, nkv, t, s, hs, cap) = (2, 4, 2, 3, 5, 8, 9)
        let q = randn([b, nh, t, hs], seed: 41)
        let kBuf = randn([b, nkv, cap, hs], seed: 42), vBuf = randn([b, nkv, cap, hs], seed: 43)
        let qa = q.requiringGrad(), kb = kBuf.requiringGrad(), vb = vBuf.requiringGrad()
        let kView = kb.sliced(axis: 2, 0, s), vView = vb.sliced(axis: 2, 0, s)
        XCTAssertFalse(kView.isContiguous)
        let w = Tensor(objectiveWeights(b * nh * t * hs).map(Float.init), shape: [b, nh, t, hs])
        let outView = scaledDotProductAttention(qa, kView, vView, causal: true)
        (outView * w).sum().backward()
        let qc = q.requiringGrad(), kc = kBuf.sliced(axis: 2, 0, s).contiguous().requiringGrad()
        let vc = vBuf.sliced(axis: 2, 0, s).contiguous().requiringGrad()
        let outCopy = scaledDotProductAttention(qc, kc, vc, causal: true)
        (outCopy * w).sum().backward()
        XCTAssertEqual(outView.scalars, outCopy.scalars)
        XCTAssertEqual(qa.grad!.scalars, qc.grad!.scalars)
        XCTAssertEqual(kb.grad!.sliced(axis: 2, 0, s).scalars, kc.grad!.scalars)
        XCTAssertEqual(vb.grad!.sliced(axis: 2, 0, s).scalars, vc.grad!.scalars)
        XCTAssertEqual(kb.grad!.sliced(axis: 2, s, cap).scalars, [Float](repeating: 0, count: b * nkv * (cap - s) * hs))
    }

    /// Many (batch, head) pairs so that several workers share the forward and the backward.
    func testLargerAgainstComposition() {
        let c = Case(
            b: 3, nh: 8, nkv: 4, t: 33, s: 33, hs: 16, causal: true,
            padding: [[Float]](repeating: [Float](repeating: 1, count: 33), count: 2) + [(0..<33).map { $0 < 20 ? 1 : 0 }], name: "larger")
        compareComposition("attention larger vs composition", inputs(c, seed: 5), fused: fused(c), composed: composed(c))
    }
}
