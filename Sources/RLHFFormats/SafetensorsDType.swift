// safetensors element types: names, byte sizes, the reference writer's sort order, and conversion of a
// tensor's little-endian bytes to Float32.

import RLHFTensor

/// A safetensors dtype string, declared in the reference's "increasing alignment order" (the writer puts
/// later cases first).
enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8E5M2 = "F8_E5M2", f8E4M3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32", f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bytes per element.
    var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// Position in the declaration order (the reference sorts tensors by it, descending).
    var rank: Int { SafetensorsDType.allCases.firstIndex(of: self) ?? 0 }

    /// Whether `convertToFloat` handles it: floats exactly (F16/BF16/F32), F64 rounded, integers and BOOL
    /// as their values (exact up to 2^24); the 8-bit float formats are not.
    var convertsToFloat: Bool { self != .f8E5M2 && self != .f8E4M3 }

    /// Whether the elements are floating-point numbers that `convertToFloat` reads (F16, BF16, F32, F64).
    var isFloatingPoint: Bool { self == .f16 || self == .bf16 || self == .f32 || self == .f64 }
}

/// Converts `count` little-endian elements of `dtype` at `src` (any alignment) to Float32 in `dst`.
/// Large tensors are split across the worker threads.
func convertToFloat(_ dtype: SafetensorsDType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    let size = dtype.size
    Parallel.forEachChunk(count, grain: 1 << 18) { r in
        convertChunk(dtype, src + r.lowerBound * size, dst + r.lowerBound, count: r.count)
    }
}

private func convertChunk(_ dtype: SafetensorsDType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    @inline(__always) func each<T: FixedWidthInteger>(_: T.Type, _ f: (T) -> Float) {
        for i in 0..<count { dst[i] = f(T(littleEndian: src.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))) }
    }
    switch dtype {
    case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
    case .f16: convertHalfToFloat(src, dst, count: count)
    case .bf16: convertBFloat16ToFloat(src, dst, count: count)
    case .f64: each(UInt64.self) { Float(Double(bitPattern: $0)) }
    case .bool: each(UInt8.self) { $0 != 0 ? 1 : 0 }
    case .u8: each(UInt8.self) { Float($0) }
    case .i8: each(Int8.self) { Float($0) }
    case .i16: each(Int16.self) { Float($0) }
    case .u16: each(UInt16.self) { Float($0) }
    case .i32: each(Int32.self) { Float($0) }
    case .u32: each(UInt32.self) { Float($0) }
    case .i64: each(Int64.self) { Float($0) }
    case .u64: each(UInt64.self) { Float($0) }
    case .f8E5M2, .f8E4M3: break   // excluded by `convertsToFloat`
    }
}
