// ggml tensor types: ids as stored in GGUF files and block geometry (elements and bytes per block), from
// gguf-py's `GGML_QUANT_SIZES` (ids 4, 5 and 31–33 were removed upstream).

/// A ggml tensor element type, with the id GGUF files store.
public enum GGMLType: UInt32, CaseIterable, Sendable {
    /// IEEE floats (f32, f16) and the original 32-element block quantisations: 4, 5 or 8 bits per weight
    /// with a block scale (`_0`) or a scale and a minimum or sum (`_1`).
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    /// The k-quants: 256-element super-blocks of 2 to 6 bits per weight (`q8_K` is the 8-bit type llama.cpp
    /// quantises activations to for their dot products).
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    /// The i-quants (importance-matrix quantisations): 256-element super-blocks, 32-element blocks for `iq4_nl`.
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    /// Plain integers, f64 and bfloat16 (one element per block), and the 256-element i-quant `iq1_m`.
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    /// The ternary quantisations (`tq1_0`, `tq2_0`), the 4-bit float formats MXFP4 and NVFP4, and the 1-bit
    /// `q1_0`; block sizes and bytes in `blockSize` and `typeSize`.
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41

    /// Elements per block (1 for plain types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: return 32
        case .nvfp4: return 64
        case .q1_0: return 128
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s, .iq2_s,
            .iq4_xs, .iq1_m, .tq1_0, .tq2_0:
            return 256
        }
    }

    /// Bytes per block.
    public var typeSize: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .f64: return 8
        case .i8: return 1
        case .i16: return 2
        case .i32: return 4
        case .i64: return 8
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q8_1: return 40
        case .q2_K: return 84
        case .q3_K: return 110
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        case .q8_K: return 292
        case .iq2_xxs: return 66
        case .iq2_xs: return 74
        case .iq3_xxs: return 98
        case .iq1_s: return 50
        case .iq4_nl: return 18
        case .iq3_s: return 110
        case .iq2_s: return 82
        case .iq4_xs: return 136
        case .iq1_m: return 56
        case .tq1_0: return 54
        case .tq2_0: return 66
        case .mxfp4: return 17
        case .nvfp4: return 36
        case .q1_0: return 18
        }
    }

    /// Whether `GGUFFile.tensor` can dequantise it to Float32.
    public var canDequantize: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64, .q4_0, .q4_1, .q8_0, .q4_K, .q6_K: return true
        default: return false
        }
    }

    /// Whether the elements are integers (I8, I16, I32, I64): data, not weights.
    public var isInteger: Bool { self == .i8 || self == .i16 || self == .i32 || self == .i64 }
}
