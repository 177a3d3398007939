// Accuracy of the SIMD16 transcendental functions against Foundation's Double results, on grids of 2²⁰
// points. Measured maxima (each test prints its own) and the bounds asserted:
//   vexp     relative 7.4e-8 on [−80, 80]   (bound 1e-7)
//   vtanh    absolute 1.2e-7 on [−10, 10]   (bound 2e-7)
//   verf     absolute 4.7e-7 on [−6, 6]     (bound 6e-7: Abramowitz & Stegun 7.1.26 is 1.4e-7 in exact
//            arithmetic, and 1 − p·e^{−x²} cancels in Float near 0; the 2e-7 target needs a second
//            branch x·P(x²) for |x| < 1, which measured 1.0e-7 but made gelu twice as slow)
//   vsigmoid absolute 8.9e-8 on [−30, 30]   (bound 2e-7), relative 1.3e-7 on [−15, 15] (bound 2e-7)

import Foundation
import XCTest
@testable import RLHFTensor

final class SIMDMathTests: XCTestCase {
    /// Evaluates `f` on `n` evenly spaced points of [lo, hi] (16 at a time) and returns the largest
    /// error against `ref` (relative when `relative`, else absolute) and where it happens.
    private func maxError(
        _ lo: Double, _ hi: Double, n: Int = 1 << 20, relative: Bool,
        _ f: (Vec) -> Vec, _ ref: (Double) -> Double
    ) -> (error: Double, at: Float) {
        var worst = 0.0, at: Float = 0
        var i = 0
        while i < n {
            var v = Vec(repeating: 0)
            for l in 0..<16 { v[l] = Float(lo + (hi - lo) * Double(i + l) / Double(n - 1)) }
            let y = f(v)
            for l in 0..<16 {
                let r = ref(Double(v[l]))
                let e = relative ? Swift.abs(Double(y[l]) - r) / Swift.abs(r) : Swift.abs(Double(y[l]) - r)
                if e > worst || e.isNaN { worst = e; at = v[l] }
            }
            i += 16
        }
        return (worst, at)
    }

    func testVexpRelativeError() {
        let (e, at) = maxError(-80, 80, relative: true, vexp, Foundation.exp)
        print("SIMDMath: vexp max relative error on [-80, 80]: \(e) at x = \(at)")
        XCTAssertLessThanOrEqual(e, 1e-7, "vexp relative error \(e) at \(at)")
        let (e2, at2) = maxError(-1, 1, relative: true, vexp, Foundation.exp)
        print("SIMDMath: vexp max relative error on [-1, 1]: \(e2) at x = \(at2)")
        XCTAssertLessThanOrEqual(e2, 1e-7)
    }

    func testVexpSpecialValues() {
        let v = vexp(Vec(0, 1, -1, -.infinity, -87, -90, -200, .nan, 88, 10, -10, 0.5, -0.5, 2, 3, 4))
        XCTAssertEqual(v[0], 1, "exp(0) is exactly 1")
        XCTAssertEqual(v[3], 0, "exp(−inf) is exactly 0")
        XCTAssertEqual(Double(v[4]), Foundation.exp(-87.0), accuracy: 1e-7 * Foundation.exp(-87.0))
        XCTAssertEqual(v[5], 0, accuracy: Float(Foundation.exp(-87.3)), "below the range: 0 or tiny")
        XCTAssertEqual(v[6], 0)
        XCTAssertTrue(v[7].isNaN, "NaN propagates")
        XCTAssertTrue(v[8].isFinite)
        XCTAssertEqual(Double(v[8]), Foundation.exp(88.0), accuracy: 2e-7 * Foundation.exp(88.0))
        // the scalar tail version rounds exactly as the vector lanes
        for x: Float in [0.3, -5.5, 17, -60] { XCTAssertEqual(sexp(x), vexp(Vec(repeating: x))[3]) }
    }

    func testVtanhAbsoluteError() {
        let (e, at) = maxError(-10, 10, relative: false, vtanh, Foundation.tanh)
        print("SIMDMath: vtanh max absolute error on [-10, 10]: \(e) at x = \(at)")
        XCTAssertLessThanOrEqual(e, 2e-7, "vtanh absolute error \(e) at \(at)")
        let t = vtanh(Vec(repeating: 50))
        XCTAssertEqual(t[0], 1)
        XCTAssertEqual(vtanh(Vec(repeating: -50))[0], -1)
        XCTAssertEqual(vtanh(Vec(repeating: 0))[0], 0)
        XCTAssertEqual(stanh(0.7), vtanh(Vec(repeating: 0.7))[0])
    }

    func testVerfAbsoluteError() {
        let (e, at) = maxError(-6, 6, relative: false, verf, Foundation.erf)
        print("SIMDMath: verf max absolute error on [-6, 6]: \(e) at x = \(at)")
        XCTAssertLessThanOrEqual(e, 6e-7, "verf absolute error \(e) at \(at)")
        XCTAssertEqual(verf(Vec(repeating: 0))[0], 0, accuracy: 1e-8)
        XCTAssertEqual(verf(Vec(repeating: 30))[0], 1)
        XCTAssertEqual(verf(Vec(repeating: -30))[0], -1)
        XCTAssertEqual(serf(-0.4), verf(Vec(repeating: -0.4))[0])
    }

    func testVsigmoidAbsoluteError() {
        let (e, at) = maxError(-30, 30, relative: false, vsigmoid) { 1 / (1 + Foundation.exp(-$0)) }
        print("SIMDMath: vsigmoid max absolute error on [-30, 30]: \(e) at x = \(at)")
        XCTAssertLessThanOrEqual(e, 2e-7, "vsigmoid absolute error \(e) at \(at)")
        let (er, atr) = maxError(-15, 15, relative: true, vsigmoid) { 1 / (1 + Foundation.exp(-$0)) }
        print("SIMDMath: vsigmoid max relative error on [-15, 15]: \(er) at x = \(atr)")
        XCTAssertLessThanOrEqual(er, 2e-7)
        XCTAssertEqual(vsigmoid(Vec(repeating: 200))[0], 1)
        XCTAssertEqual(vsigmoid(Vec(repeating: -200))[0], 0, accuracy: 1e-37)
    }

    func testHorizontalReductionsAndLoadStore() {
        var v = Vec(repeating: 0)
        for i in 0..<16 { v[i] = Float(i) - 3 }
        XCTAssertEqual(hsum(v), 72)
        XCTAssertEqual(hmax(v), 12)
        var buf = [Float](repeating: 0, count: 17)
        buf.withUnsafeMutableBufferPointer { p in
            vstore(v, p.baseAddress! + 1)   // unaligned
            XCTAssertEqual(vload(p.baseAddress! + 1), v)
        }
        XCTAssertEqual(buf[0], 0)
    }
}
