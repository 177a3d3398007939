// GGUF metadata values (the 13 value types of gguf.md) and typed accessors for the common reads.

/// A GGUF metadata value.
public indirect enum GGUFValue: Sendable, Equatable {
    /// The integer types (gguf.md's value types 0 to 5).
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    /// Types 6 to 9: a 32-bit float, a bool (stored as one byte, 0 or 1), a UTF-8 string, and an array
    /// (elements of one type, never arrays).
    case float32(Float), bool(Bool), string(String), array([GGUFValue])
    /// The 64-bit types (10 to 12).
    case uint64(UInt64), int64(Int64), float64(Double)

    /// Any integer value as `Int` (`nil` for other types and for a `uint64` beyond `Int.max`).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// Any number (float or integer) as `Double`.
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    /// The text of a `string` value.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The elements of an `array` value.
    public var array: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An array whose elements are all strings.
    public var stringArray: [String]? {
        guard let a = array else { return nil }
        var out: [String] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard case .string(let s) = v else { return nil }
            out.append(s)
        }
        return out
    }

    /// An array whose elements are all integers.
    public var intArray: [Int]? {
        guard let a = array else { return nil }
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard let i = v.int else { return nil }
            out.append(i)
        }
        return out
    }

    /// An array whose elements are all numbers, as `Float`.
    public var floatArray: [Float]? {
        guard let a = array else { return nil }
        var out: [Float] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard let d = v.double else { return nil }
            out.append(Float(d))
        }
        return out
    }

    /// The gguf.md type name (`uint32`, `string`, `array[string]` …), for messages.
    public var typeName: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array(let a): return "array[\(a.first?.typeName ?? "")]"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        }
    }
}

/// The value-type codes of gguf.md.
enum GGUFValueType: UInt32 {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The fewest bytes one value of this type takes in the file (a string: its 8-byte length).
    var minimumSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }
}
