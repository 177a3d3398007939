// Reductions (sum, mean, max, variance, argmax) and shape primitives (reshape, permute, transpose, slice,
// concat, stack, gather, indexSelect, broadcast, contiguous): forward against Double references and
// gradients against central finite differences (tolerances in GradCheck.swift).

import Foundation
import XCTest
@testable import RLHFTensor

final class ReduceShapeGradTests: XCTestCase {
    private let shape = [2, 3, 4]

    // MARK: Reductions

    func testSumOverEachAxisAndAll() {
        let x = randn(shape, seed: 1)
        for axis in [0, 1, 2, -1] {
            let a = axis < 0 ? axis + 3 : axis
            for keep in [false, true] {
                let out = gradCheck(
                    "sum axis \(axis) keepDim \(keep)", [x], { $0[0].sum(axis: axis, keepDim: keep) },
                    ref: { refReduce($0[0], self.shape, axes: [a], initial: 0, +) })
                var expected = shape; if keep { expected[a] = 1 } else { expected.remove(at: a) }
                XCTAssertEqual(out.shape, expected)
            }
        }
        for keep in [false, true] {
            let out = gradCheck(
                "sum all keepDim \(keep)", [x], { $0[0].sum(keepDim: keep) },
                ref: { [$0[0].reduce(0, +)] })
            XCTAssertEqual(out.shape, keep ? [1, 1, 1] : [])
            gradCheck(
                "sum axes [0, 2] keepDim \(keep)", [x], { $0[0].sum(axes: [0, 2], keepDim: keep) },
                ref: { refReduce($0[0], self.shape, axes: [0, 2], initial: 0, +) })
        }
        // a long row (SIMD body and tail) and a transposed view
        gradCheck(
            "sum of rows of 37", [randn([3, 37], seed: 2)], { $0[0].sum(axis: 1) },
            ref: { refReduce($0[0], [3, 37], axes: [1], initial: 0, +) })
        gradCheck(
            "sum of a transposed view", [randn([4, 3], seed: 3).transposed()], { $0[0].sum(axis: 1) },
            ref: { refReduce($0[0], [3, 4], axes: [1], initial: 0, +) })
    }

    func testMean() {
        let x = randn(shape, seed: 4)
        for keep in [false, true] {
            gradCheck(
                "mean axis 1 keepDim \(keep)", [x], { $0[0].mean(axis: 1, keepDim: keep) },
                ref: { refReduce($0[0], self.shape, axes: [1], initial: 0, +).map { $0 / 3 } })
            gradCheck(
                "mean all keepDim \(keep)", [x], { $0[0].mean(keepDim: keep) },
                ref: { [$0[0].reduce(0, +) / 24] })
            gradCheck(
                "mean axes [0, 2]", [x], { $0[0].mean(axes: [0, -1], keepDim: keep) },
                ref: { refReduce($0[0], self.shape, axes: [0, 2], initial: 0, +).map { $0 / 8 } })
        }
    }

    func testMaxOverAxis() {
        let x = randn(shape, seed: 5)
        for axis in [0, 1, 2] {
            for keep in [false, true] {
                gradCheck(
                    "max axis \(axis) keepDim \(keep)", [x], { $0[0].max(axis: axis, keepDim: keep) },
                    ref: { refReduce($0[0], self.shape, axes: [axis], initial: -.infinity, Swift.max) })
            }
        }
        gradCheck("max of all", [x], { $0[0].max() }, ref: { [$0[0].max()!] })
        // ties: the gradient goes to the first maximum only
        let t = Tensor([1, 3, 3, 2], shape: [1, 4]).requiringGrad()
        t.max(axis: 1).sum().backward()
        XCTAssertEqual(t.grad?.scalars, [0, 1, 0, 0])
    }

    func testRowMeansAndArgmax() {
        // rows longer than a SIMD vector with a tail, a tie (the first index wins), a max in the tail
        var x = randn([5, 37], seed: 9, scale: 3).scalars
        x[1 * 37 + 4] = 50; x[1 * 37 + 20] = 50
        x[2 * 37 + 36] = 60
        let (means, argmax) = Tensor(x, shape: [5, 37]).rowMeansAndArgmax()
        for r in 0..<5 {
            let row = Array(x[(r * 37)..<((r + 1) * 37)])
            XCTAssertEqual(means[r], row.reduce(0.0) { $0 + Double($1) } / 37, accuracy: 1e-6)
            XCTAssertEqual(argmax[r], row.firstIndex(of: row.max()!)!)
        }
        XCTAssertEqual(argmax[1], 4, "first maximum wins ties")
        XCTAssertEqual(argmax[2], 36)
    }

    func testArgmax() {
        let x = Tensor([1, 5, 2, 7, 0, 7, 3, 3, -1], shape: [3, 3])
        XCTAssertEqual(x.argmax(axis: 1).scalars, [1, 0, 0], "first maximum wins ties")
        XCTAssertEqual(x.argmax(axis: 0).scalars, [1, 0, 1])
        XCTAssertEqual(x.argmax(axis: 1, keepDim: true).shape, [3, 1])
    }

    func testVariance() {
        let x = randn(shape, seed: 6)
        func refVar(_ v: [Double], axes: Set<Int>, unbiased: Bool) -> [Double] {
            let n = axes.reduce(1) { $0 * shape[$1] }
            let mean = refReduce(v, shape, axes: axes, initial: 0, +).map { $0 / Double(n) }
            let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            let d = refBinary(v, shape, mean, kept, -).map { $0 * $0 }
            return refReduce(d, shape, axes: axes, initial: 0, +).map { $0 / Double(unbiased ? n - 1 : n) }
        }
        for unbiased in [true, false] {
            for keep in [false, true] {
                gradCheck(
                    "variance axis 2 unbiased \(unbiased) keepDim \(keep)", [x],
                    { $0[0].variance(axes: [2], unbiased: unbiased, keepDim: keep) },
                    ref: { refVar($0[0], axes: [2], unbiased: unbiased) })
            }
            gradCheck(
                "variance axes [0, 1] unbiased \(unbiased)", [x],
                { $0[0].variance(axes: [0, 1], unbiased: unbiased) },
                ref: { refVar($0[0], axes: [0, 1], unbiased: unbiased) })
            gradCheck(
                "variance of all, unbiased \(unbiased)", [x], { $0[0].variance(unbiased: unbiased) },
                ref: { refVar($0[0], axes: [0, 1, 2], unbiased: unbiased) })
        }
    }

    // MARK: Views and copies

    func testReshape() {
        let x = randn(shape, seed: 7)
        gradCheck("reshape [6, 4]", [x], { $0[0].reshaped([6, 4]) }, ref: { $0[0] })
        gradCheck("reshape [-1]", [x], { $0[0].reshaped([-1]) }, ref: { $0[0] })
        // reshape of a non-contiguous view copies in row-major order of the view
        let v = randn([4, 6], seed: 8).transposed()
        let out = gradCheck("reshape of a transposed view", [v], { $0[0].reshaped([3, 8]) }, ref: { $0[0] })
        XCTAssertEqual(out.shape, [3, 8])
        gradCheck("unsqueeze / squeeze", [x], { $0[0].unsqueezed(1).unsqueezed(-1).squeezed(1) }, ref: { $0[0] })
        XCTAssertEqual(x.unsqueezed(-1).shape, [2, 3, 4, 1])
        XCTAssertEqual(x.unsqueezed(0).squeezed(0).shape, shape)
    }

    func testPermuteAndTranspose() {
        let x = randn(shape, seed: 9)
        for order in [[2, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0]] {
            let out = gradCheck(
                "permute \(order)", [x], { $0[0].permuted(order) },
                ref: { refPermute($0[0], self.shape, order) })
            XCTAssertEqual(out.shape, order.map { shape[$0] })
        }
        gradCheck("transposed()", [x], { $0[0].transposed() }, ref: { refPermute($0[0], self.shape, [0, 2, 1]) })
        gradCheck("transposed(0, 2)", [x], { $0[0].transposed(0, 2) }, ref: { refPermute($0[0], self.shape, [2, 1, 0]) })
        // a permute of a permute, then arithmetic
        gradCheck(
            "permute twice then exp", [x], { $0[0].permuted([2, 0, 1]).transposed(0, 1).exp() },
            ref: { refPermute($0[0], self.shape, [0, 2, 1]).map(Foundation.exp) })
    }

    func testSlice() {
        let x = randn([3, 5, 4], seed: 10)
        gradCheck(
            "slice axis 1 [1, 4)", [x], { $0[0].sliced(axis: 1, 1, 4) },
            ref: { v in
                (0..<36).map { i in
                    let idx = unravel(i, [3, 3, 4]); return v[0][idx[0] * 20 + (idx[1] + 1) * 4 + idx[2]]
                }
            })
        gradCheck(
            "slice axis -1 [2, 4)", [x], { $0[0].sliced(axis: -1, 2, 4) },
            ref: { v in
                (0..<30).map { i in
                    let idx = unravel(i, [3, 5, 2]); return v[0][idx[0] * 20 + idx[1] * 4 + idx[2] + 2]
                }
            })
        gradCheck(
            "slice of a slice", [x], { $0[0].sliced(axis: 0, 1, 3).sliced(axis: 2, 1, 2) },
            ref: { v in
                (0..<10).map { i in
                    let idx = unravel(i, [2, 5, 1]); return v[0][(idx[0] + 1) * 20 + idx[1] * 4 + 1]
                }
            })
        XCTAssertEqual(x.sliced(axis: 1, 2, 2).shape, [3, 0, 4], "empty slice")
    }

    /// Row r of each row-major [rows, widths[i]] input, joined: the reference of concat along axis 1.
    private func joinRows(_ v: [[Double]], widths: [Int], rows: Int) -> [Double] {
        var out: [Double] = []
        for r in 0..<rows {
            for (i, w) in widths.enumerated() { out.append(contentsOf: v[i][(r * w)..<(r * w + w)]) }
        }
        return out
    }

    func testConcatAndStack() {
        let a = randn([2, 3], seed: 11), b = randn([2, 1], seed: 12), c = randn([2, 2], seed: 13)
        gradCheck(
            "concat axis 1", [a, b, c], { Tensor.concat($0, axis: 1) },
            ref: { self.joinRows($0, widths: [3, 1, 2], rows: 2) })
        let d = randn([1, 3], seed: 14)
        gradCheck("concat axis 0", [a, d], { Tensor.concat($0, axis: 0) }, ref: { $0[0] + $0[1] })
        gradCheck(
            "concat of a transposed view", [randn([3, 2], seed: 15).transposed(), a],
            { Tensor.concat($0, axis: -1) }, ref: { self.joinRows($0, widths: [3, 3], rows: 2) })
        let e = randn([2, 3], seed: 16)
        let s0 = gradCheck("stack axis 0", [a, e], { Tensor.stack($0, axis: 0) }, ref: { $0[0] + $0[1] })
        XCTAssertEqual(s0.shape, [2, 2, 3])
        let s1 = gradCheck(
            "stack axis 1", [a, e], { Tensor.stack($0, axis: 1) },
            ref: { self.joinRows($0, widths: [3, 3], rows: 2) })
        XCTAssertEqual(s1.shape, [2, 2, 3])
        let s2 = gradCheck(
            "stack axis -1", [a, e], { Tensor.stack($0, axis: -1) },
            ref: { self.joinRows($0, widths: [1, 1], rows: 6) })
        XCTAssertEqual(s2.shape, [2, 3, 2])
    }

    func testGather() {
        let x = randn([3, 5], seed: 17)
        let idx: [Float] = [4, 0, 2, 2, 1, 1, 3, 0]   // repeated indices: gradients add up
        let index = Tensor(idx + [4], shape: [3, 3])
        gradCheck(
            "gather axis 1", [x], { $0[0].gather(axis: 1, index: index) },
            ref: { v in
                (0..<9).map { i in v[0][(i / 3) * 5 + Int(index.scalars[i])] }
            })
        let index0 = Tensor([2, 0, 1, 1, 2, 0, 0, 0, 2, 1], shape: [2, 5])
        gradCheck(
            "gather axis 0", [x], { $0[0].gather(axis: 0, index: index0) },
            ref: { v in
                (0..<10).map { i in v[0][Int(index0.scalars[i]) * 5 + i % 5] }
            })
        let x3 = randn([2, 4, 3], seed: 18)
        let index3 = Tensor([3, 0, 1, 1, 1, 2, 0, 3, 3, 2, 2, 0], shape: [2, 2, 3])
        gradCheck(
            "gather axis 1 of rank 3", [x3], { $0[0].gather(axis: 1, index: index3) },
            ref: { v in
                (0..<12).map { i in
                    let p = unravel(i, [2, 2, 3])
                    return v[0][p[0] * 12 + Int(index3.scalars[i]) * 3 + p[2]]
                }
            })
        gradCheck(
            "gather from a transposed view", [randn([5, 3], seed: 19).transposed()],
            { $0[0].gather(axis: 1, index: index) },
            ref: { v in
                (0..<9).map { i in v[0][(i / 3) * 5 + Int(index.scalars[i])] }
            })
    }

    /// As `torch.gather`, the index may be smaller than the input off the gather axis.
    func testGatherWithSmallerIndex() {
        let x = randn([3, 4, 5], seed: 30)
        let index = Tensor([4, 0, 1, 3, 3, 2, 0, 0], shape: [2, 2, 2])   // off-axis sizes 2 of 3 and 2 of 5
        gradCheck(
            "gather axis 2, index smaller off the axis", [x], { $0[0].gather(axis: 2, index: index) },
            ref: { v in
                (0..<8).map { i in
                    let p = unravel(i, [2, 2, 2])
                    return v[0][p[0] * 20 + p[1] * 5 + Int(index.scalars[i])]
                }
            })
        let index1 = Tensor([3, 1, 0, 2], shape: [1, 2, 2])
        gradCheck(
            "gather axis 1, index smaller off the axis", [x], { $0[0].gather(axis: 1, index: index1) },
            ref: { v in
                (0..<4).map { i in
                    let p = unravel(i, [1, 2, 2])
                    return v[0][p[0] * 20 + Int(index1.scalars[i]) * 5 + p[2]]
                }
            })
    }

    /// `sum`, `mean` and `variance` reduce every axis when given no axes, as documented.
    func testEmptyAxesReduceEverything() {
        let x = randn([4, 3], seed: 31).transposed()
        let total = x.doubles.reduce(0, +)
        XCTAssertEqual(Double(x.sum(axes: []).item), total, accuracy: 1e-5)
        XCTAssertEqual(Double(x.mean(axes: []).item), total / 12, accuracy: 1e-6)
        XCTAssertEqual(x.variance(axes: []).item, x.variance().item, accuracy: 1e-6)
        XCTAssertEqual(x.sum(axes: [], keepDim: true).shape, [1, 1])
    }

    func testIndexSelect() {
        let x = randn([4, 3], seed: 20)
        gradCheck(
            "indexSelect axis 0 [3, 1, 1]", [x], { $0[0].indexSelect(axis: 0, [3, 1, 1]) },
            ref: { v in
                [3, 1, 1].flatMap { r in Array(v[0][(r * 3)..<(r * 3 + 3)]) }
            })
        gradCheck(
            "indexSelect axis 1 [2, 0, 2, 2]", [x], { $0[0].indexSelect(axis: -1, [2, 0, 2, 2]) },
            ref: { v in
                (0..<4).flatMap { r in [2, 0, 2, 2].map { v[0][r * 3 + $0] } }
            })
        let x3 = randn([2, 3, 2], seed: 21)
        gradCheck(
            "indexSelect axis 1 of rank 3", [x3], { $0[0].indexSelect(axis: 1, [0, 0, 2]) },
            ref: { v in
                (0..<12).map { i in
                    let p = unravel(i, [2, 3, 2]); return v[0][p[0] * 6 + [0, 0, 2][p[1]] * 2 + p[2]]
                }
            })
    }

    func testBroadcastedAndSumToShape() {
        let x = randn([3, 1], seed: 22)
        let out = gradCheck(
            "broadcasted [3,1] → [2,3,4]", [x], { $0[0].broadcasted(to: [2, 3, 4]) },
            ref: { v in (0..<24).map { v[0][($0 / 4) % 3] } })
        XCTAssertEqual(out.shape, [2, 3, 4])
        gradCheck(
            "broadcasted [4] → [3,4]", [randn([4], seed: 23)], { $0[0].broadcasted(to: [3, 4]) },
            ref: { v in (0..<12).map { v[0][$0 % 4] } })
        gradCheck(
            "broadcasted scalar → [2,2]", [Tensor(scalar: 1.5)], { $0[0].broadcasted(to: [2, 2]) },
            ref: { v in [Double](repeating: v[0][0], count: 4) })
        let y = randn([2, 3, 4], seed: 24)
        gradCheck(
            "sum(toShape: [3, 1])", [y], { $0[0].sum(toShape: [3, 1]) },
            ref: { refReduce($0[0], [2, 3, 4], axes: [0, 2], initial: 0, +) })
        gradCheck(
            "sum(toShape: [4])", [y], { $0[0].sum(toShape: [4]) },
            ref: { refReduce($0[0], [2, 3, 4], axes: [0, 1], initial: 0, +) })
    }

    func testBroadcastedToOwnShapeIsContiguous() {
        // `broadcasted(to:)` promises a contiguous result, also when the target is the view's own shape
        let v = randn([4, 3], seed: 25).transposed()
        let b = v.broadcasted(to: [3, 4])
        XCTAssertTrue(b.isContiguous)
        XCTAssertEqual(b.buffer.map { $0 }, v.scalars)
    }

    func testContiguous() {
        let v = randn([4, 3], seed: 26).transposed()
        XCTAssertFalse(v.isContiguous)
        let out = gradCheck("contiguous of a transposed view", [v], { $0[0].contiguous() }, ref: { $0[0] })
        XCTAssertTrue(out.isContiguous)
        let c = randn([2, 2], seed: 27)
        XCTAssertTrue(c.contiguous().storage === c.storage, "contiguous() of a contiguous tensor is itself")
    }
}
