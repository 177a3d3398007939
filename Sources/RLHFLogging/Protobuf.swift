// The few protobuf encodings a TensorBoard event needs: varints, length-delimited fields (strings, bytes,
// nested messages), fixed64 doubles and fixed32 floats. Fields are written in the order the caller writes
// them; TensorBoard's own (Python/upb) serializer writes them by increasing field number, and so do our
// callers, so that our bytes equal its bytes. Proto3 omits fields at their default value unless they belong
// to a `oneof`; the caller decides, as each `Event`/`Summary` field has its own rule.

/// A protobuf wire type (the low three bits of a field's key).
enum ProtobufWireType: UInt64 {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}

/// Appends protobuf fields to a byte buffer.
struct ProtobufWriter {
    /// The encoded message so far.
    private(set) var bytes: [UInt8] = []

    /// An unsigned LEB128 varint.
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A field's key: `(field << 3) | wireType`.
    mutating func appendKey(_ field: Int, _ wireType: ProtobufWireType) {
        appendVarint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// An `int64` field (negative values take ten bytes, as two's complement).
    mutating func int64(_ field: Int, _ value: Int64) {
        appendKey(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// An enum or `uint64` field.
    mutating func uint64(_ field: Int, _ value: UInt64) {
        appendKey(field, .varint)
        appendVarint(value)
    }

    /// A `double` field (fixed64, little-endian IEEE bits).
    mutating func double(_ field: Int, _ value: Double) {
        appendKey(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `float` field (fixed32, little-endian IEEE bits).
    mutating func float(_ field: Int, _ value: Float) {
        appendKey(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field.
    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        appendKey(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// A nested message field (written even when empty: a present submessage is always serialized).
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        body(&nested)
        bytes(field, nested.bytes)
    }
}
