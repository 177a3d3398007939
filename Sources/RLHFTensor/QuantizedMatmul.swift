// Products with block-quantised weights (ggml's Q4_0, Q4_1, Q8_0), for decoding a few rows at a time.
//
// Decoding one token reads every weight once, so its speed is memory bandwidth: a Float32 copy of a 135M
// model is 540 MB per token, its Q4_1 blocks 85 MB. `quantizedMatmul` reads the blocks and dequantises
// them in registers with exactly the arithmetic of the file's dequantisation (Q4_1: d·q + m, Q8_0: d·q,
// Q4_0: d·(q − 8), each product and sum rounded as there), so the weights it uses are bit for bit those of
// the dequantised Float32 tensor, and only the order of the dot-product sums differs from `matmul`.
//
// Row layout (ggml): a row of K weights is K/32 blocks; a block stores its scale(s) as IEEE halves, then
// the quants: Q8_0 `d, i8[32]`; Q4_0 `d, u8[16]`; Q4_1 `d, m, u8[16]`, weight j < 16 in the low nibble of
// byte j and weight j + 16 in its high nibble.

import Foundation

/// A ggml block format `QuantizedMatrix` can hold.
public enum QuantizedFormat: String, Sendable, CaseIterable {
    /// Blocks of 32 weights: Q4_0 `d, u8[16]` (d·(q − 8)), Q4_1 `d, m, u8[16]` (d·q + m), Q8_0 `d, i8[32]` (d·q).
    case q4_0, q4_1, q8_0

    /// Bytes per block of 32 weights.
    public var blockBytes: Int {
        switch self {
        case .q4_0: return 18
        case .q4_1: return 20
        case .q8_0: return 34
        }
    }
}

/// A [rows, cols] weight matrix kept in a ggml block format (rows of `cols / 32` blocks).
public final class QuantizedMatrix: @unchecked Sendable {
    /// The block format of every row.
    public let format: QuantizedFormat
    /// Output features N.
    public let rows: Int
    /// Input features K (a multiple of 32).
    public let cols: Int
    /// Bytes per row.
    public let rowBytes: Int
    let data: UnsafeMutableRawPointer

    /// Copies the blocks of a [rows, cols] matrix; row `r` of the result is stored row `rowOrder[r]` (nil:
    /// the stored order), which un-permutes rows (as the rotary Q/K rows of a GGUF file) without touching
    /// the quants.
    ///
    /// Callers check the sizes first: `cols` a positive multiple of 32, `bytes.count == rows · rowBytes`,
    /// `rowOrder` a permutation of `0..<rows`.
    public init(format: QuantizedFormat, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer, rowOrder: [Int]? = nil) {
        precondition(cols > 0 && cols % 32 == 0 && rows > 0, "QuantizedMatrix: [\(rows), \(cols)] is not a whole number of blocks")
        let rb = cols / 32 * format.blockBytes
        precondition(bytes.count == rows * rb, "QuantizedMatrix: \(bytes.count) bytes for \(rows) rows of \(rb)")
        precondition(rowOrder.map { $0.count == rows } ?? true, "QuantizedMatrix: row order of the wrong length")
        self.format = format; self.rows = rows; self.cols = cols; self.rowBytes = rb
        data = UnsafeMutableRawPointer.allocate(byteCount: rows * rb, alignment: 64)
        for r in 0..<rows {
            let from = rowOrder?[r] ?? r
            (data + r * rb).copyMemory(from: bytes.baseAddress! + from * rb, byteCount: rb)
        }
    }

    deinit { data.deallocate() }

    /// Bytes held.
    public var byteCount: Int { rows * rowBytes }

    /// The Float32 matrix [rows, cols] (the weights `quantizedMatmul` multiplies by).
    public func dequantized() -> Tensor {
        let out = Tensor(uninitialized: [rows, cols])
        for r in 0..<rows { dequantizeRow(r, into: out.pointer + r * cols) }
        return out
    }

    @inline(__always)
    func dequantizeRow(_ r: Int, into dst: UnsafeMutablePointer<Float>) {
        dequantizeBlocks(format, UnsafeRawPointer(data + r * rowBytes), dst, blocks: cols / 32)
    }

    /// Weights 0..<16 and 16..<32 of block `b` of a row.
    @inline(__always)
    func block(_ row: UnsafeRawPointer, _ b: Int) -> (SIMD16<Float>, SIMD16<Float>) {
        format.decodeBlock(row + b * format.blockBytes)
    }
}

extension QuantizedFormat {
    /// The 32 weights of the block at `p` (two halves of 16), with ggml's reference arithmetic.
    @inline(__always)
    func decodeBlock(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
        switch self {
        case .q4_1:
            let d = SIMD16<Float>(repeating: half(p, 0)), m = SIMD16<Float>(repeating: half(p, 2))
            let qs = widenBytes(p.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self))
            return (d * (magic(qs & 0xF) - twoPow23) + m, d * (magic(qs &>> 4) - twoPow23) + m)
        case .q8_0:
            // int8 as (u8 ^ 0x80) − 128
            let d = SIMD16<Float>(repeating: half(p, 0))
            let a = widenBytes(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self))
            let c = widenBytes(p.loadUnaligned(fromByteOffset: 18, as: SIMD16<UInt8>.self))
            return ((magic(a ^ 0x80) - (twoPow23 + 128)) * d, (magic(c ^ 0x80) - (twoPow23 + 128)) * d)
        case .q4_0:
            let d = SIMD16<Float>(repeating: half(p, 0))
            let qs = widenBytes(p.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self))
            return (d * (magic(qs & 0xF) - (twoPow23 + 8)), d * (magic(qs &>> 4) - (twoPow23 + 8)))
        }
    }
}

/// Dequantises `blocks` consecutive blocks of `format` at `src` into `32 · blocks` floats at `dst`, bit
/// for bit as gguf-py's reference dequantisation.
public func dequantizeBlocks(_ format: QuantizedFormat, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
    for b in 0..<blocks {
        let (lo, hi) = format.decodeBlock(src + b * format.blockBytes)
        UnsafeMutableRawPointer(dst + 32 * b).storeBytes(of: lo, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(dst + 32 * b + 16).storeBytes(of: hi, as: SIMD16<Float>.self)
    }
}

/// The 16 bytes as 32-bit lanes. Written lane by lane, which LLVM turns into one zero-extension;
/// `SIMD16<UInt32>(truncatingIfNeeded:)` stays a call per block here (2.6× slower dequantisation).
@inlinable @inline(__always)
public func widenBytes(_ b: SIMD16<UInt8>) -> SIMD16<UInt32> {
    var r = SIMD16<UInt32>()
    for i in 0..<16 { r[i] = UInt32(b[i]) }
    return r
}

/// `2^23 + x` as a float for 0 ≤ x < 2^23, so that subtracting 2^23 (plus a bias) gives `x − bias` exactly.
@inline(__always)
private func magic(_ x: SIMD16<UInt32>) -> SIMD16<Float> { unsafeBitCast(x | 0x4B00_0000, to: SIMD16<Float>.self) }

private let twoPow23: Float = 8_388_608

@inline(__always)
private func half(_ p: UnsafeRawPointer, _ at: Int) -> Float {
    Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt16.self))))
}

/// `x Wᵀ` for block-quantised `w`, with no autodiff (inference only: the result records no graph).
///
/// Shapes: x [..., K] (any strides), w [N, K] → [..., N]. Work is split over the N rows of `w`; each block
/// is decoded once per group of up to 8 rows of x.
public func quantizedMatmul(_ x: Tensor, _ w: QuantizedMatrix) -> Tensor {
    let K = w.cols, N = w.rows
    precondition(x.rank >= 1 && x.shape[x.rank - 1] == K, "quantizedMatmul: x \(x.shape) for weights [\(N), \(K)]")
    let xc = x.contiguous()
    let M = xc.count / K
    let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [N])
    if M == 0 { return out }
    let px = xc.pointer, py = out.pointer
    let blocks = K / 32
    withExtendedLifetime(xc) {
        Parallel.forEachChunk(N, grain: 32) { range in
            if M == 1 {
                for n in range {
                    let row = UnsafeRawPointer(w.data + n * w.rowBytes)
                    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
                    for b in 0..<blocks {
                        let (lo, hi) = w.block(row, b)
                        let xp = UnsafeRawPointer(px + 32 * b)
                        a0 = vfma(lo, xp.loadUnaligned(as: SIMD16<Float>.self), a0)
                        a1 = vfma(hi, xp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self), a1)
                    }
                    py[n] = hsum(a0 + a1)
                }
                return
            }
            // several rows of x, 8 (then 4) at a time: each block is decoded once into registers and
            // multiplied into one accumulator per x row (x is read as FMA memory operands, so 8 rows keep 12
            // of AVX2's 16 vector registers busy); the rows of a short last group repeat the last x row and
            // their sums are dropped
            var m = 0
            while m < M {
                let group = M - m > 4 ? 8 : 4, rows = min(group, M - m)
                func x(_ j: Int) -> UnsafeRawPointer { UnsafeRawPointer(px + (m + min(j, rows - 1)) * K) }
                let (x0, x1, x2, x3, x4, x5, x6, x7) = (x(0), x(1), x(2), x(3), x(4), x(5), x(6), x(7))
                for n in range {
                    let row = UnsafeRawPointer(w.data + n * w.rowBytes), y = py + m * N + n
                    if group == 8 {
                        let s = w.dotRows8(row, blocks: blocks, x0, x1, x2, x3, x4, x5, x6, x7)
                        for j in 0..<rows { y[j * N] = s[j] }
                    } else {
                        let s = w.dotRows4(row, blocks: blocks, x0, x1, x2, x3)
                        for j in 0..<rows { y[j * N] = s[j] }
                    }
                }
                m += rows
            }
        }
    }
    return out
}

extension QuantizedMatrix {
    /// The dot products of the weight row at `row` (`blocks` blocks) with the x rows x0…x7.
    @inline(__always)
    fileprivate func dotRows8(
        _ row: UnsafeRawPointer, blocks: Int, _ x0: UnsafeRawPointer, _ x1: UnsafeRawPointer,
        _ x2: UnsafeRawPointer, _ x3: UnsafeRawPointer, _ x4: UnsafeRawPointer, _ x5: UnsafeRawPointer,
        _ x6: UnsafeRawPointer, _ x7: UnsafeRawPointer
    ) -> SIMD8<Float> {
        var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8(), a4 = V8(), a5 = V8(), a6 = V8(), a7 = V8()
        for b in 0..<blocks {
            let (lo, hi) = block(row, b), o = 128 * b
            let w = (lo.lowHalf, lo.highHalf, hi.lowHalf, hi.highHalf)
            accumulate(&a0, w, x0 + o); accumulate(&a1, w, x1 + o); accumulate(&a2, w, x2 + o); accumulate(&a3, w, x3 + o)
            accumulate(&a4, w, x4 + o); accumulate(&a5, w, x5 + o); accumulate(&a6, w, x6 + o); accumulate(&a7, w, x7 + o)
        }
        return SIMD8(hsum8(a0), hsum8(a1), hsum8(a2), hsum8(a3), hsum8(a4), hsum8(a5), hsum8(a6), hsum8(a7))
    }

    /// The dot products of the weight row at `row` (`blocks` blocks) with the x rows x0…x3.
    @inline(__always)
    fileprivate func dotRows4(
        _ row: UnsafeRawPointer, blocks: Int, _ x0: UnsafeRawPointer, _ x1: UnsafeRawPointer,
        _ x2: UnsafeRawPointer, _ x3: UnsafeRawPointer
    ) -> SIMD4<Float> {
        var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8()
        for b in 0..<blocks {
            let (lo, hi) = block(row, b), o = 128 * b
            let w = (lo.lowHalf, lo.highHalf, hi.lowHalf, hi.highHalf)
            accumulate(&a0, w, x0 + o); accumulate(&a1, w, x1 + o); accumulate(&a2, w, x2 + o); accumulate(&a3, w, x3 + o)
        }
        return SIMD4(hsum8(a0), hsum8(a1), hsum8(a2), hsum8(a3))
    }
}

private typealias V8 = SIMD8<Float>

/// a += the 32 weights w · the 32 floats at x.
@inline(__always)
private func accumulate(_ a: inout V8, _ w: (V8, V8, V8, V8), _ x: UnsafeRawPointer) {
    a = a.addingProduct(w.0, x.loadUnaligned(as: V8.self))
    a = a.addingProduct(w.1, x.loadUnaligned(fromByteOffset: 32, as: V8.self))
    a = a.addingProduct(w.2, x.loadUnaligned(fromByteOffset: 64, as: V8.self))
    a = a.addingProduct(w.3, x.loadUnaligned(fromByteOffset: 96, as: V8.self))
}

@inline(__always)
private func hsum8(_ v: V8) -> Float {
    let a = v.lowHalf + v.highHalf, b = a.lowHalf + a.highHalf
    return b[0] + b[1]
}
