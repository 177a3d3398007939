// IEEE half (F16) and bfloat16 (BF16) to Float32, exactly, from little-endian bytes at any alignment.
//
// F16 → F32 without a table or libm: put the 15 exponent+mantissa bits at the top of a float's
// exponent+mantissa field (<< 13) and multiply by 2^112, which re-biases the exponent (15 → 127) and, for
// subnormal halves, turns the float subnormal m·2^-136 into m·2^-24 exactly. Inf and NaN (exponent 31)
// get the float exponent 255 with the payload kept, as numpy's `astype(np.float32)` does.
// BF16 → F32 is the 16 bits shifted up.

/// The Float32 value of the IEEE half with bit pattern `h` (exact; NaN payloads kept).
@inline(__always)
public func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let em = UInt32(h & 0x7FFF)
    if em >= 0x7C00 { return Float(bitPattern: sign | 0x7F80_0000 | ((em & 0x3FF) << 13)) }
    let magnitude = Float(bitPattern: em << 13) * 0x1p112
    return Float(bitPattern: sign | magnitude.bitPattern)
}

/// The Float32 value of the bfloat16 with bit pattern `b` (exact).
@inline(__always)
public func floatFromBFloat16Bits(_ b: UInt16) -> Float {
    Float(bitPattern: UInt32(b) << 16)
}

/// The IEEE half bit pattern nearest to `x` (round to nearest even; NaN stays NaN; overflow gives ±inf).
public func halfBitsFromFloat(_ x: Float) -> UInt16 {
    Float16(x).bitPattern
}

/// The bfloat16 bit pattern of `x` as gguf-py and ggml round it: NaN made quiet, else round to nearest even.
public func bfloat16BitsFromFloat(_ x: Float) -> UInt16 {
    let u = x.bitPattern
    if (u & 0x7FFF_FFFF) > 0x7F80_0000 { return UInt16(((u & 0xFFFF_0000) | 0x0040_0000) >> 16) }
    return UInt16((UInt64(u) + 0x7FFF + UInt64((u >> 16) & 1)) >> 16)
}

/// Reads `count` little-endian halves at `src` (any alignment) into `dst` as Float32.
func convertHalfToFloat(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    // 16 lanes at a time: the same arithmetic as `floatFromHalfBits`, with selects instead of branches.
    while i + 16 <= count {
        let h = SIMD16<UInt32>(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self))
        let sign = (h & 0x8000) &<< 16
        let em = h & 0x7FFF
        let finite = unsafeBitCast(unsafeBitCast(em &<< 13, to: SIMD16<Float>.self) * 0x1p112, to: SIMD16<UInt32>.self)
        let special = 0x7F80_0000 | ((em & 0x3FF) &<< 13)
        let bits = finite.replacing(with: special, where: em .>= 0x7C00) | sign
        (UnsafeMutableRawPointer(dst + i)).storeBytes(
            of: unsafeBitCast(bits, to: SIMD16<Float>.self),
            as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        dst[i] = floatFromHalfBits(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        i += 1
    }
}

/// Reads `count` little-endian bfloat16 values at `src` (any alignment) into `dst` as Float32.
func convertBFloat16ToFloat(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        let b = SIMD16<UInt32>(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self))
        (UnsafeMutableRawPointer(dst + i)).storeBytes(
            of: unsafeBitCast(b &<< 16, to: SIMD16<Float>.self),
            as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        dst[i] = floatFromBFloat16Bits(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        i += 1
    }
}
