// Elementwise primitives: forward against a Double reference and gradients against central finite
// differences (tolerances in GradCheck.swift), broadcasting, views, comparisons and where/maskedFill.

import Foundation
import XCTest
@testable import RLHFTensor

final class ElementwiseGradTests: XCTestCase {
    // MARK: Binary arithmetic with broadcasting

    /// Shape pairs: equal, [3,4]·[4], [3,4]·[3,1], [3,1]·[1,4] (both stretched), [2,3,4]·[3,1], scalar.
    private let shapePairs: [([Int], [Int])] = [
        ([3, 4], [3, 4]), ([3, 4], [4]), ([3, 4], [3, 1]), ([3, 1], [1, 4]), ([4], [3, 4]),
        ([2, 3, 4], [3, 1]), ([3, 4], [])
    ]

    private func checkBinary(
        _ name: String, _ op: (Tensor, Tensor) -> Tensor, _ ref: @escaping (Double, Double) -> Double,
        positiveB: Bool = false, line: UInt = #line
    ) {
        for (k, (sa, sb)) in shapePairs.enumerated() {
            let a = randn(sa, seed: UInt64(10 + k))
            let b = positiveB ? randu(sb, seed: UInt64(20 + k), 0.5, 2) : randn(sb, seed: UInt64(20 + k))
            gradCheck(
                "\(name) \(sa) with \(sb)", [a, b], { op($0[0], $0[1]) },
                ref: { refBinary($0[0], sa, $0[1], sb, ref) }, line: line)
        }
    }

    func testAdd() { checkBinary("add", { $0 + $1 }, { $0 + $1 }) }
    func testSub() { checkBinary("sub", { $0 - $1 }, { $0 - $1 }) }
    func testMul() { checkBinary("mul", { $0 * $1 }, { $0 * $1 }) }
    func testDiv() { checkBinary("div", { $0 / $1 }, { $0 / $1 }, positiveB: true) }

    func testScalarOperators() {
        let x = randn([2, 5], seed: 1)
        gradCheck("x + 2", [x], { $0[0] + 2 }, ref: { $0[0].map { $0 + 2 } })
        gradCheck("3 - x", [x], { 3 - $0[0] }, ref: { $0[0].map { 3 - $0 } })
        gradCheck("x * 1.5", [x], { $0[0] * 1.5 }, ref: { $0[0].map { $0 * 1.5 } })
        gradCheck("2 * x", [x], { 2 * $0[0] }, ref: { $0[0].map { 2 * $0 } })
        gradCheck("x / 4", [x], { $0[0] / 4 }, ref: { $0[0].map { $0 / 4 } })
        let p = randu([2, 5], seed: 2, 0.5, 2)
        gradCheck("1 / x", [p], { 1 / $0[0] }, ref: { $0[0].map { 1 / $0 } })
    }

    /// Only one side requires a gradient: the other gets none and the op still differentiates.
    func testBinaryWithOneConstantSide() {
        let a = randn([3, 4], seed: 3), b = randu([4], seed: 4, 0.5, 2)
        gradCheck(
            "mul, b constant", [a, b], noGrad: [1], { $0[0] * $0[1] },
            ref: { refBinary($0[0], [3, 4], $0[1], [4], *) })
        gradCheck(
            "div, a constant", [a, b], noGrad: [0], { $0[0] / $0[1] },
            ref: { refBinary($0[0], [3, 4], $0[1], [4], /) })
    }

    /// Transposed and sliced views go through the strided path.
    func testBinaryOnViews() {
        let a = randn([4, 3], seed: 5).transposed()   // [3, 4] view
        let b = randn([3, 6], seed: 6).sliced(axis: 1, 1, 5)   // [3, 4] view, row stride 6
        gradCheck("add of views", [a, b], { $0[0] + $0[1] }, ref: { refBinary($0[0], [3, 4], $0[1], [3, 4], +) })
        gradCheck(
            "mul of view by [4]", [a, randn([4], seed: 7)], { $0[0] * $0[1] },
            ref: { refBinary($0[0], [3, 4], $0[1], [4], *) })
    }

    // MARK: Unary maths

    private func checkUnary(
        _ name: String, _ x: Tensor, _ op: (Tensor) -> Tensor, _ ref: @escaping (Double) -> Double,
        line: UInt = #line
    ) {
        gradCheck(name, [x], { op($0[0]) }, ref: { $0[0].map(ref) }, line: line)
        // the same op on a transposed view of the input
        if x.rank == 2 {
            let xt = x.transposed()
            gradCheck("\(name) on a transposed view", [xt], { op($0[0]) }, ref: { $0[0].map(ref) }, line: line)
        }
    }

    func testNeg() { checkUnary("neg", randn([3, 5], seed: 1), { -$0 }, { -$0 }) }
    func testExp() { checkUnary("exp", randn([3, 7], seed: 2, scale: 2), { $0.exp() }, Foundation.exp) }
    func testExpLongTensor() {
        // 37 elements: two full SIMD vectors and a tail
        checkUnary("exp (37 values)", randn([37], seed: 3, scale: 3), { $0.exp() }, Foundation.exp)
    }
    func testLog() { checkUnary("log", randu([3, 5], seed: 4, 0.2, 4), { $0.log() }, Foundation.log) }
    func testSqrt() { checkUnary("sqrt", randu([3, 5], seed: 5, 0.2, 4), { $0.sqrt() }, Foundation.sqrt) }
    func testRsqrt() { checkUnary("rsqrt", randu([3, 5], seed: 6, 0.2, 4), { $0.rsqrt() }, { 1 / Foundation.sqrt($0) }) }
    func testPow() {
        checkUnary("pow 2.5", randu([3, 5], seed: 7, 0.2, 3), { $0.pow(2.5) }, { Foundation.pow($0, 2.5) })
        checkUnary("pow 3 (negative base)", randn([3, 5], seed: 8), { $0.pow(3) }, { $0 * $0 * $0 })
        checkUnary("pow -0.5", randu([3, 5], seed: 9, 0.2, 3), { $0.pow(-0.5) }, { Foundation.pow($0, -0.5) })
    }
    func testAbs() { checkUnary("abs", randnAvoiding([3, 5], seed: 10, kinks: [0]), { $0.abs() }, Swift.abs) }
    func testTanh() { checkUnary("tanh", randn([3, 5], seed: 11, scale: 2), { $0.tanh() }, Foundation.tanh) }
    func testSigmoid() {
        checkUnary("sigmoid", randn([3, 5], seed: 12, scale: 3), { $0.sigmoid() }, { 1 / (1 + Foundation.exp(-$0)) })
        let big = Tensor([-100, -30, 0, 30, 100])
        let s = big.sigmoid().scalars
        let expected = [-100.0, -30, 0, 30, 100].map { 1 / (1 + Foundation.exp(-$0)) }
        for i in 0..<5 {
            XCTAssertEqual(Double(s[i]), expected[i], accuracy: 1e-7 * expected[i] + 1e-44, "sigmoid(\(big.scalars[i]))")
        }
    }
    func testRelu() { checkUnary("relu", randnAvoiding([3, 5], seed: 13, kinks: [0]), { $0.relu() }, { Swift.max($0, 0) }) }
    func testClamp() {
        checkUnary(
            "clamp [-0.5, 0.5]", randnAvoiding([4, 5], seed: 14, kinks: [-0.5, 0.5]),
            { $0.clamp(min: -0.5, max: 0.5) }, { Swift.min(Swift.max($0, -0.5), 0.5) })
        checkUnary(
            "clamp min only", randnAvoiding([4, 5], seed: 15, kinks: [0.2]),
            { $0.clamp(min: 0.2) }, { Swift.max($0, 0.2) })
        // at the boundary the gradient passes (as PyTorch)
        let x = Tensor([-1, -0.5, 0, 0.5, 1]).requiringGrad()
        x.clamp(min: -0.5, max: 0.5).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [0, 1, 1, 1, 0])
    }
    func testAbsAndReluGradientAtZero() {
        let x = Tensor([-2, 0, 3]).requiringGrad()
        (x.abs() + x.relu()).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [-1, 0, 2], "abs and relu have gradient 0 at 0")
    }

    // MARK: maximum / minimum

    func testMaximumMinimum() {
        for (sa, sb) in [([3, 4], [3, 4]), ([3, 4], [4]), ([3, 1], [1, 4])] {
            let a = randn(sa, seed: 30), b = randn(sb, seed: 31)
            gradCheck(
                "maximum \(sa) \(sb)", [a, b], { $0[0].maximum($0[1]) },
                ref: { refBinary($0[0], sa, $0[1], sb, Swift.max) })
            gradCheck(
                "minimum \(sa) \(sb)", [a, b], { $0[0].minimum($0[1]) },
                ref: { refBinary($0[0], sa, $0[1], sb, Swift.min) })
        }
        // ties send the whole gradient to self
        let a = Tensor([1, 2, 3]).requiringGrad(), b = Tensor([1, 5, 0]).requiringGrad()
        (a.maximum(b) + a.minimum(b)).sum().backward()
        XCTAssertEqual(a.grad?.scalars, [2, 1, 1])
        XCTAssertEqual(b.grad?.scalars, [0, 1, 1])
    }

    // MARK: Comparisons (values only: no gradient)

    func testComparisons() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), b = Tensor([2, 2, 2])
        XCTAssertEqual(a.greater(b).scalars, [0, 0, 1, 1, 1, 1])
        XCTAssertEqual(a.greaterEqual(b).scalars, [0, 1, 1, 1, 1, 1])
        XCTAssertEqual(a.less(b).scalars, [1, 0, 0, 0, 0, 0])
        XCTAssertEqual(a.lessEqual(b).scalars, [1, 1, 0, 0, 0, 0])
        XCTAssertEqual(a.equal(b).scalars, [0, 1, 0, 0, 0, 0])
        XCTAssertEqual(a.greater(3.5).scalars, [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(a.less(3.5).scalars, [1, 1, 1, 0, 0, 0])
        XCTAssertEqual(a.greater(b).shape, [2, 3])
        // a transposed view compares in its own element order
        XCTAssertEqual(a.transposed().greater(Tensor(scalar: 2.5)).scalars, [0, 1, 0, 1, 1, 1])
        XCTAssertFalse(a.requiringGrad().greater(b).requiresGrad, "comparisons record no gradient")
    }

    // MARK: where / maskedFill

    func testWhere() {
        let cond = Tensor([1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0], shape: [3, 4])
        let a = randn([3, 4], seed: 40), b = randn([4], seed: 41)
        let c = cond.doubles
        gradCheck(
            "where [3,4] [3,4] [4]", [cond, a, b], noGrad: [0], { Tensor.where($0[0], $0[1], $0[2]) },
            ref: { x in
                let bb = refBinary(x[1], [3, 4], x[2], [4]) { _, v in v }
                return (0..<12).map { c[$0] != 0 ? x[1][$0] : bb[$0] }
            })
        // condition [3,1] broadcast across the row
        let rowCond = Tensor([1, 0, 1], shape: [3, 1])
        gradCheck(
            "where [3,1] [3,4] [3,4]", [rowCond, a, randn([3, 4], seed: 42)], noGrad: [0],
            { Tensor.where($0[0], $0[1], $0[2]) },
            ref: { x in
                (0..<12).map { x[0][$0 / 4] != 0 ? x[1][$0] : x[2][$0] }
            })
    }

    func testWhereOnViews() {
        // full-shape but non-contiguous operands (a transposed view and a sliced view)
        let cond = Tensor([1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0], shape: [4, 3]).transposed()
        let a = randn([4, 3], seed: 43).transposed(), b = randn([3, 6], seed: 44).sliced(axis: 1, 2, 6)
        let c = cond.doubles
        gradCheck(
            "where on views", [cond, a, b], noGrad: [0], { Tensor.where($0[0], $0[1], $0[2]) },
            ref: { x in (0..<12).map { c[$0] != 0 ? x[1][$0] : x[2][$0] } })
        gradCheck(
            "maskedFill of a view", [a, cond], noGrad: [1], { $0[0].maskedFill($0[1], -7) },
            ref: { x in (0..<12).map { c[$0] != 0 ? -7 : x[0][$0] } })
    }

    func testMaskedFill() {
        let x = randn([2, 3, 4], seed: 50)
        let mask = Tensor([0, 0, 1, 1], shape: [4])   // broadcast over the last axis
        // (a moderate fill value: a fill of −1e9 in L = Σ w·out would swamp the finite differences)
        gradCheck(
            "maskedFill", [x, mask], noGrad: [1], { $0[0].maskedFill($0[1], -5) },
            ref: { x in (0..<24).map { $0 % 4 >= 2 ? -5 : x[0][$0] } })
        XCTAssertEqual(x.maskedFill(mask, -1e9).scalars.filter { $0 == -1e9 }.count, 12)
        let y = Tensor([1, 2, 3]).maskedFill(Tensor([0, 1, 0]), -.infinity)
        XCTAssertEqual(y.scalars, [1, -.infinity, 3])
    }
}
