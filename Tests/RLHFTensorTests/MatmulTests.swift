// Matrix products: 2-D and batched, every transposeA/transposeB combination, transposed and sliced views
// handed to BLAS as they are, a batch against a shared 2-D weight, and degenerate sizes. Forward against
// a Double reference, gradients against central finite differences (tolerances in GradCheck.swift).

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFTensor

final class MatmulTests: XCTestCase {
    /// The stored shape of an operand of logical shape [rows, cols] given a transpose flag.
    private func stored(_ batch: [Int], _ rows: Int, _ cols: Int, _ t: Bool) -> [Int] {
        batch + (t ? [cols, rows] : [rows, cols])
    }

    func test2DAllTransposeCombinations() {
        let (m, k, n) = (3, 4, 5)
        for tA in [false, true] {
            for tB in [false, true] {
                let sa = stored([], m, k, tA), sb = stored([], k, n, tB)
                let a = randn(sa, seed: 1), b = randn(sb, seed: 2)
                let out = gradCheck(
                    "matmul 2-D tA \(tA) tB \(tB)", [a, b],
                    { matmul($0[0], $0[1], transposeA: tA, transposeB: tB) },
                    ref: { refMatmul($0[0], sa, $0[1], sb, tA: tA, tB: tB) })
                XCTAssertEqual(out.shape, [m, n])
            }
        }
    }

    func testBatchedAllTransposeCombinations() {
        let (m, k, n) = (3, 4, 2)
        for batch in [[2], [2, 3]] {
            for tA in [false, true] {
                for tB in [false, true] {
                    let sa = stored(batch, m, k, tA), sb = stored(batch, k, n, tB)
                    let a = randn(sa, seed: 3), b = randn(sb, seed: 4)
                    let out = gradCheck(
                        "matmul batch \(batch) tA \(tA) tB \(tB)", [a, b],
                        { matmul($0[0], $0[1], transposeA: tA, transposeB: tB) },
                        ref: { refMatmul($0[0], sa, $0[1], sb, tA: tA, tB: tB) })
                    XCTAssertEqual(out.shape, batch + [m, n])
                }
            }
        }
    }

    /// `x.transposed()` views go to BLAS with a flipped flag; checked with every flag combination.
    func testTransposedViewInputs() {
        let (m, k, n) = (3, 4, 5)
        for tA in [false, true] {
            for tB in [false, true] {
                // the view has the stored shape; its storage is the other way round
                let sa = stored([], m, k, tA), sb = stored([], k, n, tB)
                let aStore = randn([sa[1], sa[0]], seed: 5), bStore = randn([sb[1], sb[0]], seed: 6)
                gradCheck(
                    "matmul of transposed views tA \(tA) tB \(tB)", [aStore, bStore],
                    { matmul($0[0].transposed(), $0[1].transposed(), transposeA: tA, transposeB: tB) },
                    ref: { v in
                        refMatmul(
                            refPermute(v[0], [sa[1], sa[0]], [1, 0]), sa,
                            refPermute(v[1], [sb[1], sb[0]], [1, 0]), sb, tA: tA, tB: tB)
                    })
                // a view leaf (the leaf itself is non-contiguous)
                gradCheck(
                    "matmul with a view leaf tA \(tA) tB \(tB)", [aStore.transposed(), randn(sb, seed: 7)],
                    { matmul($0[0], $0[1], transposeA: tA, transposeB: tB) },
                    ref: { refMatmul($0[0], sa, $0[1], sb, tA: tA, tB: tB) })
            }
        }
        // batched transposed view: [B, K, M] storage seen as [B, M, K]
        let store = randn([2, 4, 3], seed: 8), b = randn([2, 4, 5], seed: 9)
        gradCheck(
            "batched matmul of a transposed view", [store, b], { matmul($0[0].transposed(), $0[1]) },
            ref: { refMatmul(refPermute($0[0], [2, 4, 3], [0, 2, 1]), [2, 3, 4], $0[1], [2, 4, 5]) })
        // a 4-D permuted view (as attention's [B, T, NH, hs] → [B, NH, T, hs])
        let q = randn([2, 3, 2, 4], seed: 10), kk = randn([2, 2, 5, 4], seed: 11)
        gradCheck(
            "matmul of a permuted 4-D view", [q, kk], { matmul($0[0].permuted([0, 2, 1, 3]), $0[1], transposeB: true) },
            ref: { refMatmul(refPermute($0[0], [2, 3, 2, 4], [0, 2, 1, 3]), [2, 2, 3, 4], $0[1], [2, 2, 5, 4], tB: true) })
    }

    /// A column-sliced operand has a leading dimension larger than its width.
    func testSlicedViewInputs() {
        let aStore = randn([3, 7], seed: 12), b = randn([4, 5], seed: 13)
        gradCheck(
            "matmul of a column slice", [aStore, b], { matmul($0[0].sliced(axis: 1, 2, 6), $0[1]) },
            ref: { v in
                let a: [Double] = (0..<12).map { (i: Int) -> Double in v[0][(i / 4) * 7 + 2 + i % 4] }
                return refMatmul(a, [3, 4], v[1], [4, 5])
            })
        let bStore = randn([6, 5], seed: 14)
        gradCheck(
            "matmul of a row slice, transposed", [randn([3, 4], seed: 15), bStore],
            { matmul($0[0], $0[1].sliced(axis: 0, 1, 5).transposed(), transposeB: true) },
            ref: { v in
                refMatmul(v[0], [3, 4], Array(v[1][5..<25]), [4, 5])
            })
    }

    /// [..., M, K] @ [K, N] (or [N, K] with transposeB): the batch is folded into M.
    func testBatchedWith2DWeight() {
        let x = randn([2, 3, 4], seed: 16)
        for tB in [false, true] {
            let sw = tB ? [5, 4] : [4, 5]
            let w = randn(sw, seed: 17)
            let out = gradCheck(
                "matmul [2,3,4] @ 2-D weight tB \(tB)", [x, w],
                { matmul($0[0], $0[1], transposeB: tB) },
                ref: { refMatmul($0[0], [6, 4], $0[1], sw, tB: tB) })
            XCTAssertEqual(out.shape, [2, 3, 5])
        }
        // transposeA with a 2-D weight: the weight is shared by every batch entry
        let xt = randn([2, 4, 3], seed: 18), w = randn([4, 5], seed: 19)
        gradCheck(
            "matmul [2,4,3]ᵀ @ [4,5]", [xt, w], { matmul($0[0], $0[1], transposeA: true) },
            ref: { refMatmul($0[0], [2, 4, 3], $0[1], [4, 5], tA: true) })
        // 2-D on the left of a batch
        let a = randn([3, 4], seed: 20), bb = randn([2, 4, 5], seed: 21)
        gradCheck(
            "matmul [3,4] @ [2,4,5]", [a, bb], { matmul($0[0], $0[1]) },
            ref: { v in
                refMatmul(v[0] + v[0], [2, 3, 4], v[1], [2, 4, 5])
            })
        // a transposed view as the batched input, 2-D weight
        let store = randn([2, 4, 3], seed: 22)
        gradCheck(
            "matmul view [2,3,4] @ [4,5]", [store, w], { matmul($0[0].transposed(), $0[1]) },
            ref: { refMatmul(refPermute($0[0], [2, 4, 3], [0, 2, 1]), [6, 4], $0[1], [4, 5]) })
    }

    func testDegenerateSizes() {
        // M = 1, N = 1, K = 1 (BLAS leading dimensions of 1-wide matrices)
        for (m, k, n) in [(1, 4, 3), (3, 4, 1), (3, 1, 4), (1, 1, 1)] {
            for tA in [false, true] {
                for tB in [false, true] {
                    let sa = stored([], m, k, tA), sb = stored([], k, n, tB)
                    gradCheck(
                        "matmul \(m)x\(k)x\(n) tA \(tA) tB \(tB)", [randn(sa, seed: 23), randn(sb, seed: 24)],
                        { matmul($0[0], $0[1], transposeA: tA, transposeB: tB) },
                        ref: { refMatmul($0[0], sa, $0[1], sb, tA: tA, tB: tB) })
                }
            }
        }
        // a [1, K] row seen through a transpose of a [K, 1] column, and a K = 0 product
        let col = randn([4, 1], seed: 25)
        gradCheck(
            "matmul of a transposed column", [col, randn([4, 2], seed: 26)], { matmul($0[0].transposed(), $0[1]) },
            ref: { refMatmul($0[0], [1, 4], $0[1], [4, 2]) })
        XCTAssertEqual(matmul(Tensor.zeros([2, 0]), Tensor.zeros([0, 3])).scalars, [0, 0, 0, 0, 0, 0])
    }

    /// Large products (the single-call path and the one-product-per-worker path), forward only.
    func testLargerProductsForward() {
        for (batch, m, k, n) in [(1, 130, 70, 90), (2, 128, 128, 128), (8, 16, 32, 24)] {
            let a = randn([batch, m, k], seed: 27), b = randn([batch, n, k], seed: 28)
            let out = matmul(a, b, transposeB: true)
            let ref = refMatmul(a.doubles, [batch, m, k], b.doubles, [batch, n, k], tB: true)
            assertClose(out.doubles, ref, abs: 1e-4, rel: 1e-5, "matmul \(batch)x\(m)x\(k)x\(n)")
        }
    }
}

final class LinearOpTests: XCTestCase {
    /// x [2, 40, 6] (80 rows: the fused bias-in-GEMM path), weight [5, 6], bias [5].
    func testLinearMatchesReferenceAndFiniteDifferences() {
        let (b, t, k, n) = (2, 40, 6, 5)
        let x = randn([b, t, k], seed: 3), w = randn([n, k], seed: 4), bias = randn([n], seed: 5)
        let out = gradCheck(
            "linear", [x, w, bias], { linear($0[0], weight: $0[1], bias: $0[2]) },
            ref: { xs in
                var y = [Double](repeating: 0, count: b * t * n)
                for r in 0..<(b * t) {
                    for j in 0..<n {
                        var s = xs[2][j]
                        for c in 0..<k { s += xs[0][r * k + c] * xs[1][j * k + c] }
                        y[r * n + j] = s
                    }
                }
                return y
            })
        XCTAssertEqual(out.shape, [b, t, n])
    }

    func testLinearEqualsMatmulPlusBiasOnBothPaths() {
        for rows in [3, 130] {   // below and above the fused path's row threshold
            compareComposition(
                "linear rows \(rows)", [randn([rows, 8], seed: 6), randn([7, 8], seed: 7), randn([7], seed: 8)],
                fused: { linear($0[0], weight: $0[1], bias: $0[2]) },
                composed: { matmul($0[0], $0[1], transposeB: true) + $0[2] })
        }
    }

    func testAddMatmulAddsIntoItsTarget() {
        for (m, k, n) in [(3, 4, 5), (70, 33, 40), (300, 128, 96)] {   // below and above the split-GEMM size
            for tB in [false, true] {
                let a = randn([m, k], seed: 9), b = randn(tB ? [n, k] : [k, n], seed: 10), y0 = randn([m, n], seed: 11)
                let y = Tensor(y0.scalars, shape: [m, n])
                addMatmul(into: y, a, b, transposeB: tB, alpha: 0.5)
                let want = y0 + matmul(a, b, transposeB: tB) * 0.5
                for (g, w) in zip(y.scalars, want.scalars) { XCTAssertEqual(g, w, accuracy: 1e-4, "m \(m) k \(k) n \(n) tB \(tB)") }
            }
        }
    }
}
