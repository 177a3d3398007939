// Dequantisation of ggml blocks to Float32, bit-exact with gguf-py's numpy code (`gguf/quants.py`): the
// same float32 operations in the same order (no fused multiply-add). Blocks are split across the worker
// threads; inside a block, 16 lanes at a time.
// The Q8_0, Q4_0 and Q4_1 block decoders are RLHFTensor's `dequantizeBlocks`, shared with `quantizedMatmul`.
//
//   Q8_0  34 B / 32: f16 d, i8 qs[32]                      x = qs·d
//   Q4_0  18 B / 32: f16 d, u8 qs[16]                      x[j] = d·(lo(qs[j]) − 8), x[j+16] = d·(hi(qs[j]) − 8)
//   Q4_1  20 B / 32: f16 d, f16 m, u8 qs[16]               x = d·q + m, same nibble order
//   Q4_K 144 B / 256: f16 d, f16 dmin, u8 scales[12], u8 qs[128]   x = (d·sc)·q − dmin·mn, 8 sub-blocks of 32
//   Q6_K 210 B / 256: u8 ql[128], u8 qh[64], i8 scales[16], f16 d  x = (d·scale)·(q − 32), 16 sub-blocks of 16

import RLHFTensor

/// Dequantises `count` elements of `type` (a whole number of blocks) at `src` into `dst`.
/// The caller has checked that `type.canDequantize` and that the bytes are in bounds.
func dequantize(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    if let plain = plainDType(type) {
        convertToFloat(plain, src, dst, count: count)
        return
    }
    let bs = type.blockSize, ts = type.typeSize
    Parallel.forEachChunk(count / bs, grain: max(1, (1 << 16) / bs)) { r in
        let s = src + r.lowerBound * ts, d = dst + r.lowerBound * bs
        switch type {
        case .q8_0: dequantizeBlocks(.q8_0, s, d, blocks: r.count)
        case .q4_0: dequantizeBlocks(.q4_0, s, d, blocks: r.count)
        case .q4_1: dequantizeBlocks(.q4_1, s, d, blocks: r.count)
        case .q4_K: dequantizeQ4_K(s, d, blocks: r.count)
        case .q6_K: dequantizeQ6_K(s, d, blocks: r.count)
        default: break   // excluded by `canDequantize`
        }
    }
}

/// The safetensors dtype with the same byte layout as a one-element-per-block ggml type.
private func plainDType(_ type: GGMLType) -> SafetensorsDType? {
    switch type {
    case .f32: return .f32
    case .f16: return .f16
    case .bf16: return .bf16
    case .f64: return .f64
    case .i8: return .i8
    case .i16: return .i16
    case .i32: return .i32
    case .i64: return .i64
    default: return nil
    }
}

// MARK: Helpers

/// `2^23 + x` as a float for 0 ≤ x < 2^23: subtracting 2^23 (plus any bias) then gives `x − bias` exactly.
@inline(__always)
private func magic(_ x: SIMD16<UInt32>) -> SIMD16<Float> {
    unsafeBitCast(x | 0x4B00_0000, to: SIMD16<Float>.self)
}

private let twoPow23: Float = 8_388_608

@inline(__always)
private func half(_ p: UnsafeRawPointer, _ at: Int) -> Float {
    floatFromHalfBits(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
}

@inline(__always)
private func bytes16(_ p: UnsafeRawPointer, _ at: Int) -> SIMD16<UInt32> {
    widenBytes(p.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self))
}

@inline(__always)
private func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

// MARK: Kernels

private func dequantizeQ4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
    for b in 0..<blocks {
        let p = src + 144 * b, out = dst + 256 * b
        let d = half(p, 0), dmin = half(p, 2)
        let s = p + 4
        @inline(__always) func u(_ i: Int) -> UInt32 { UInt32(s.load(fromByteOffset: i, as: UInt8.self)) }
        for c in 0..<4 {   // chunk c: 32 bytes; low nibbles → sub-block 2c, high nibbles → 2c + 1
            for nibble in 0..<2 {
                let j = 2 * c + nibble
                let sc: UInt32, mn: UInt32
                if j < 4 {
                    sc = u(j) & 63
                    mn = u(j + 4) & 63
                } else {
                    sc = (u(j + 4) & 0xF) | ((u(j - 4) >> 6) << 4)
                    mn = (u(j + 4) >> 4) | ((u(j) >> 6) << 4)
                }
                let scale = SIMD16<Float>(repeating: d * Float(sc))
                let offset = SIMD16<Float>(repeating: dmin * Float(mn))
                for k in 0..<2 {
                    let qs = bytes16(p, 16 + 32 * c + 16 * k)
                    let q = nibble == 0 ? qs & 0xF : qs &>> 4
                    let x = scale * (magic(q) - twoPow23)
                    store(x - offset, out + 64 * c + 32 * nibble + 16 * k)
                }
            }
        }
    }
}

private func dequantizeQ6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
    for b in 0..<blocks {
        let p = src + 210 * b, out = dst + 256 * b
        let d = half(p, 208)
        for h in 0..<2 {
            for k in 0..<4 {   // row r = 4h + k holds elements 32r ..< 32r + 32
                let r = 4 * h + k
                for part in 0..<2 {   // lanes l = 16·part ..< 16·part + 16; scale index 2r + part
                    let l = 16 * part
                    let qlBytes = bytes16(p, 64 * h + (k & 1) * 32 + l)
                    let low = k < 2 ? qlBytes & 0xF : qlBytes &>> 4
                    let high = (bytes16(p, 128 + 32 * h + l) &>> UInt32(2 * k)) & 3
                    let q = magic(low | (high &<< 4)) - (twoPow23 + 32)
                    let sc = Float(Int8(bitPattern: p.load(fromByteOffset: 192 + 2 * r + part, as: UInt8.self)))
                    store(SIMD16<Float>(repeating: d * sc) * q, out + 32 * r + l)
                }
            }
        }
    }
}
