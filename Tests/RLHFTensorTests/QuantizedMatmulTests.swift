// Block-quantised weights: the dequantised values follow ggml's formulas exactly, and the quantised
// product equals the Float32 product with those weights up to summation order.

import XCTest
@testable import RLHFTensor

final class QuantizedMatmulTests: XCTestCase {
    /// Random blocks of `format` for a [rows, cols] matrix; scales are halves in ±[0.01, 0.1].
    private func randomBlocks(_ format: QuantizedFormat, rows: Int, cols: Int, rng: inout RandomGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        func halfBytes(_ x: Float) -> [UInt8] { let b = Float16(x).bitPattern; return [UInt8(b & 0xFF), UInt8(b >> 8)] }
        for _ in 0..<(rows * cols / 32) {
            bytes += halfBytes(Float.random(in: 0.01...0.1, using: &rng) * (rng.next() % 2 == 0 ? 1 : -1))
            if format == .q4_1 { bytes += halfBytes(Float.random(in: -0.2...0.2, using: &rng)) }
            let n = format == .q8_0 ? 32 : 16
            bytes += (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return bytes
    }

    /// ggml's reference dequantisation, written out per weight.
    private func reference(_ format: QuantizedFormat, _ bytes: [UInt8], count: Int) -> [Float] {
        var out: [Float] = []
        func half(_ i: Int) -> Float { Float(Float16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)) }
        for b in 0..<(count / 32) {
            let p = b * format.blockBytes
            switch format {
            case .q8_0:
                let d = half(p)
                for j in 0..<32 { out.append(Float(Int8(bitPattern: bytes[p + 2 + j])) * d) }
            case .q4_0:
                let d = half(p)
                var block = [Float](repeating: 0, count: 32)
                for j in 0..<16 {
                    block[j] = d * Float(Int(bytes[p + 2 + j] & 0xF) - 8)
                    block[j + 16] = d * Float(Int(bytes[p + 2 + j] >> 4) - 8)
                }
                out += block
            case .q4_1:
                let d = half(p), m = half(p + 2)
                var block = [Float](repeating: 0, count: 32)
                for j in 0..<16 {
                    block[j] = d * Float(bytes[p + 4 + j] & 0xF) + m
                    block[j + 16] = d * Float(bytes[p + 4 + j] >> 4) + m
                }
                out += block
            }
        }
        return out
    }

    func testDequantisedWeightsFollowTheBlockFormulasExactly() {
        var rng = RandomGenerator(seed: 3)
        for format in QuantizedFormat.allCases {
            let (rows, cols) = (5, 96)
            let bytes = randomBlocks(format, rows: rows, cols: cols, rng: &rng)
            let q = bytes.withUnsafeBytes { QuantizedMatrix(format: format, rows: rows, cols: cols, bytes: $0) }
            XCTAssertEqual(q.dequantized().scalars, reference(format, bytes, count: rows * cols), "\(format)")
            XCTAssertEqual(q.byteCount, bytes.count)
        }
    }

    func testRowOrderPicksStoredRows() {
        var rng = RandomGenerator(seed: 4)
        let (rows, cols) = (4, 64)
        let bytes = randomBlocks(.q4_1, rows: rows, cols: cols, rng: &rng)
        let plain = bytes.withUnsafeBytes { QuantizedMatrix(format: .q4_1, rows: rows, cols: cols, bytes: $0) }.dequantized()
        let order = [2, 0, 3, 1]
        let permuted = bytes.withUnsafeBytes { QuantizedMatrix(format: .q4_1, rows: rows, cols: cols, bytes: $0, rowOrder: order) }
        XCTAssertEqual(permuted.dequantized().scalars, plain.indexSelect(axis: 0, order).scalars)
    }

    func testProductEqualsFloat32ProductWithTheDequantisedWeights() {
        var rng = RandomGenerator(seed: 5)
        for format in QuantizedFormat.allCases {
            for (m, n, k) in [(1, 70, 96), (3, 129, 64), (16, 33, 576), (2, 1, 32), (8, 70, 96), (5, 3, 64), (4, 2, 32)] {
                let bytes = randomBlocks(format, rows: n, cols: k, rng: &rng)
                let q = bytes.withUnsafeBytes { QuantizedMatrix(format: format, rows: n, cols: k, bytes: $0) }
                let x = Tensor.normal([m, k], using: &rng)
                let w = q.dequantized()
                let got = quantizedMatmul(x, q), want = matmul(x, w, transposeB: true)
                // the two differ only in the order of the float sums, whose rounding error is bounded by a
                // multiple of Σₖ |xₖ wₖ| (large next to the result when the terms cancel, as for Q8_0's wide
                // weights): 2e-7 of it allows ~3 ulps per lane sum; a wrong row or column errs by O(1)
                let bound = matmul(x.abs(), w.abs(), transposeB: true).scalars
                XCTAssertEqual(got.shape, [m, n])
                for (i, (a, b)) in zip(got.scalars, want.scalars).enumerated() {
                    XCTAssertEqual(a, b, accuracy: 1e-6 + 2e-7 * bound[i], "\(format) m=\(m) n=\(n) k=\(k)")
                }
            }
        }
    }

    func testProductKeepsLeadingDimensionsAndReadsStridedInput() {
        var rng = RandomGenerator(seed: 6)
        let bytes = randomBlocks(.q8_0, rows: 7, cols: 64, rng: &rng)
        let q = bytes.withUnsafeBytes { QuantizedMatrix(format: .q8_0, rows: 7, cols: 64, bytes: $0) }
        let x = Tensor.normal([64, 2, 3], using: &rng).permuted([1, 2, 0])   // [2, 3, 64], not contiguous
        let got = quantizedMatmul(x, q), want = matmul(x.contiguous(), q.dequantized(), transposeB: true)
        XCTAssertEqual(got.shape, [2, 3, 7])
        for (a, b) in zip(got.scalars, want.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-5 * abs(b)) }
    }
}
