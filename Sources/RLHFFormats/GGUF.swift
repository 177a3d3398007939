// GGUF v2/v3 reader: memory-maps the file and validates every count, length, size and offset against the
// bytes that are really there before it allocates or reads (ggml's `gguf_init_from_file_impl` checks, and the
// hardening listed in formats-and-reliability.md B5).
//
//   u32 magic "GGUF" · u32 version (2 or 3) · u64 tensor_count · u64 kv_count
//   kv[kv_count]:          string key · u32 value_type · value
//   tensor_info[count]:    string name · u32 n_dims · u64 dims[n_dims] (ggml order) · u32 ggml_type · u64 offset
//   padding to ALIGNMENT · tensor data (each tensor at `data start + offset`, offset a multiple of ALIGNMENT)
//   string = u64 length · UTF-8 bytes

import RLHFTensor

/// Where one tensor lies in a GGUF file.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name (`blk.0.attn_q.weight`).
    public let name: String
    /// Dimensions in ggml order: `dims[0]` varies fastest (a PyTorch `[out, in]` weight is `[in, out]`).
    public let dims: [Int]
    /// The element type.
    public let type: GGMLType
    /// Byte offset relative to the start of the data section.
    public let offset: Int
    /// Bytes of data (whole blocks).
    public let byteCount: Int
    /// The PyTorch-order shape: `dims` reversed.
    public var shape: [Int] { dims.reversed() }
    /// Number of elements.
    public var elementCount: Int { dims.reduce(1, *) }
}

/// A GGUF file (versions 2 and 3), memory-mapped and validated when opened; tensors are dequantised on demand.
public struct GGUFFile: Sendable {
    /// Largest `general.alignment` accepted (ggml's limit).
    public static let maxAlignment = 1 << 20
    /// Longest tensor name accepted, in bytes (ggml rejects names of 64 bytes or more).
    public static let maxTensorNameLength = 63

    /// The path the file was opened with.
    public let path: String
    /// The GGUF version (2 or 3).
    public let version: Int
    /// All metadata values by key.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// All tensors, in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// The data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute byte offset of the data section.
    public let dataOffset: Int
    private let file: MappedFile
    private let index: [String: Int]

    /// Maps and validates the GGUF file at `path`.
    ///
    /// - Throws: `FormatError` naming the path, the byte offset and the fault: bad magic, a version other than
    ///   2 or 3 (or a byte-swapped file), counts or lengths larger than the bytes left, unknown or nested value
    ///   types, duplicate keys or tensor names, a bad `general.alignment`, more than 4 dimensions, an element
    ///   count that overflows, an unknown ggml type, a first dimension that is not a multiple of the block
    ///   size, a misaligned offset, tensor data past the end of the file or overlapping another tensor, and
    ///   a data section that the tensors do not tile (a gap before a tensor or after the last one longer than
    ///   the alignment padding: a tensor whose type or shape says fewer bytes than its data holds).
    public init(path: String) throws {
        try self.init(try MappedFile(path: path))
    }

    /// Validates the bytes of `file` (see `init(path:)`).
    init(_ file: MappedFile) throws {
        let path = file.path
        self.file = file
        self.path = path
        var c = ByteCursor(file)
        func bad(_ at: Int, _ reason: String) -> FormatError { .invalid(path: path, offset: at, reason: reason) }

        // Header.
        let magic = try c.u32("the GGUF magic")
        guard magic == 0x4655_4747 else {   // "GGUF" read as a little-endian u32
            throw bad(0, "bad magic 0x\(String(magic.byteSwapped, radix: 16, uppercase: true)), expected 'GGUF' (0x47475546)")
        }
        let v = try c.u32("the version")
        if v != 0 && v & 0xFFFF == 0 { throw bad(4, "version \(v) looks byte-swapped: big-endian GGUF files are not supported") }
        guard v == 2 || v == 3 else {
            throw bad(4, "GGUF version \(v) is not supported (versions 2 and 3 are)")
        }
        version = Int(v)
        let tensorCount = try c.u64("the tensor count")
        let kvCount = try c.u64("the metadata count")
        // Smallest encodings: a tensor info is 24 bytes (empty name, no dims), a key-value pair 13.
        guard tensorCount <= UInt64(c.remaining / 24) else {
            throw bad(8, "tensor count \(tensorCount) is more than the \(c.remaining) bytes left in the file can describe")
        }
        guard kvCount <= UInt64(c.remaining / 13) else {
            throw bad(16, "metadata count \(kvCount) is more than the \(c.remaining) bytes left in the file can describe")
        }

        // Metadata.
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        var kvOffsets: [String: Int] = [:]
        keys.reserveCapacity(Int(kvCount))
        for _ in 0..<Int(kvCount) {
            let at = c.offset
            let key = try GGUFFile.readString(&c, "a metadata key")
            let typeAt = c.offset
            let raw = try c.u32("the value type of key '\(key)'")
            guard let type = GGUFValueType(rawValue: raw) else {
                throw bad(typeAt, "unknown value type \(raw) for key '\(key)'")
            }
            let value = try GGUFFile.readValue(&c, type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else { throw bad(at, "duplicate metadata key '\(key)'") }
            keys.append(key)
            kvOffsets[key] = at
        }
        self.metadata = metadata
        metadataKeys = keys

        // general.alignment: a u32, a power of two, at most 1 MiB.
        var alignment = 32
        if let a = metadata["general.alignment"] {
            let at = kvOffsets["general.alignment"] ?? 0
            guard case .uint32(let u) = a else { throw bad(at, "general.alignment is \(a.typeName), expected uint32") }
            guard u > 0, u & (u - 1) == 0, u <= UInt32(GGUFFile.maxAlignment) else {
                throw bad(at, "general.alignment \(u) is not a power of two up to \(GGUFFile.maxAlignment)")
            }
            alignment = Int(u)
        }
        self.alignment = alignment

        // Tensor infos.
        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        infos.reserveCapacity(Int(tensorCount))
        for _ in 0..<Int(tensorCount) {
            let at = c.offset
            let info = try GGUFFile.readTensorInfo(&c, alignment: alignment)
            guard index.updateValue(infos.count, forKey: info.name) == nil else {
                throw bad(at, "duplicate tensor name '\(info.name)'")
            }
            infos.append(info)
        }

        // Data section: starts at the next multiple of the alignment.
        let (padded, o1) = c.offset.addingReportingOverflow((alignment - c.offset % alignment) % alignment)
        if o1 { throw bad(c.offset, "data section start overflows") }
        dataOffset = padded
        try GGUFFile.checkLayout(infos, dataOffset: padded, alignment: alignment, fileSize: file.count, path: path)
        tensorInfos = infos
        self.index = index
    }

    /// The info of a tensor; `nil` when there is none of that name.
    public func info(_ name: String) -> GGUFTensorInfo? {
        index[name].map { tensorInfos[$0] }
    }

    /// The tensor dequantised to a new Float32 tensor of PyTorch shape (`dims` reversed).
    ///
    /// F32, F16, BF16, F64, Q8_0, Q4_0, Q4_1, Q4_K and Q6_K are supported; the values equal gguf-py's
    /// `gguf.quants.dequantize` bit for bit. Integer tensors (I8 … I64) are refused: model weights are floats
    /// (see `tensor(_:allowingIntegers:)`).
    /// - Throws: `FormatError.tensorNotFound`, or `.unsupported` for integer and other ggml types.
    public func tensor(_ name: String) throws -> Tensor {
        try tensor(name, allowingIntegers: false)
    }

    /// The tensor as `tensor(_:)` gives it; with `allowingIntegers`, integer tensors give their values
    /// (exact up to 2^24).
    public func tensor(_ name: String, allowingIntegers: Bool) throws -> Tensor {
        guard let k = index[name] else { throw FormatError.tensorNotFound(path: path, name: name) }
        let t = tensorInfos[k]
        guard t.type.canDequantize else {
            throw FormatError.unsupported(
                path: path, name: name,
                reason: "ggml type \(t.type) cannot be dequantised (supported: "
                    + GGMLType.allCases.filter(\.canDequantize).map { "\($0)" }.joined(separator: ", ") + ")")
        }
        guard !t.type.isInteger || allowingIntegers else {
            throw FormatError.unsupported(
                path: path, name: name,
                reason: "ggml type \(t.type) is an integer type: "
                    + "weights must be floating point or quantised")
        }
        let out = Tensor(uninitialized: t.shape)
        withExtendedLifetime(file) {
            dequantize(t.type, file.base + dataOffset + t.offset, out.pointer, count: t.elementCount)
        }
        return out
    }

    /// The raw bytes of a tensor's data, valid inside `body`.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let t = info(name) else { throw FormatError.tensorNotFound(path: path, name: name) }
        return try withExtendedLifetime(file) {
            try body(UnsafeRawBufferPointer(start: file.base + dataOffset + t.offset, count: t.byteCount))
        }
    }

    // MARK: Layout

    /// Checks that the tensors tile the data section as a GGUF writer lays them out: sorted by offset, the
    /// first starts at 0, each starts where the previous one ends rounded up to the alignment (a larger gap
    /// means some tensor's type or shape says fewer bytes than its data holds: a tensor retyped to a smaller
    /// type, say), none overlaps another or runs past the end of the file, and the file ends within the
    /// alignment after the last one. Offsets in messages are absolute byte offsets in the file.
    private static func checkLayout(
        _ infos: [GGUFTensorInfo], dataOffset: Int, alignment: Int, fileSize: Int,
        path: String
    ) throws {
        func bad(_ at: Int, _ reason: String) -> FormatError { .invalid(path: path, offset: at, reason: reason) }
        func alignUp(_ x: Int) -> Int { x + (alignment - x % alignment) % alignment }
        var previous: (name: String, end: Int)? = nil   // end: relative to the data section
        for t in infos.sorted(by: { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }) {
            let (start, o2) = dataOffset.addingReportingOverflow(t.offset)
            let (end, o3) = start.addingReportingOverflow(t.byteCount)
            if o2 || o3 || end > fileSize {
                throw bad(
                    o2 ? dataOffset : start,
                    "tensor '\(t.name)' needs \(t.byteCount) bytes of data at offset "
                        + "\(t.offset) of the data section, past the end of the file (\(fileSize) bytes)")
            }
            let expected = previous.map { alignUp($0.end) } ?? 0
            if let p = previous, p.end > t.offset {
                throw bad(
                    start,
                    "data of tensor '\(t.name)' (offset \(t.offset)) overlaps tensor '\(p.name)', "
                        + "which ends at offset \(p.end) of the data section")
            }
            if t.offset != expected {
                let after = previous.map { "tensor '\($0.name)' ends at \($0.end)" } ?? "the data section starts at 0"
                throw bad(
                    start,
                    "tensor '\(t.name)' starts at offset \(t.offset) of the data section, but \(after) "
                        + "(next aligned offset \(expected)): \(t.offset - expected) bytes are unaccounted for; "
                        + "a tensor's type or shape does not match its data")
            }
            previous = (t.name, t.offset + t.byteCount)
        }
        let dataEnd = dataOffset + (previous?.end ?? 0)
        if let p = previous, fileSize - dataEnd >= alignment {
            throw bad(
                dataEnd,
                "\(fileSize - dataEnd) bytes follow the data of the last tensor '\(p.name)', more than "
                    + "the alignment padding (< \(alignment)): a tensor's type or shape does not match its data")
        }
        if previous == nil, fileSize > dataOffset {
            throw bad(dataOffset, "\(fileSize - dataOffset) bytes of data follow the header, but the file has no tensors")
        }
    }

    // MARK: Parsing

    /// A `gguf_string_t`: u64 length, then that many bytes of UTF-8, checked against the bytes left first.
    private static func readString(_ c: inout ByteCursor, _ what: @autoclosure () -> String) throws -> String {
        let at = c.offset
        let n = try c.u64("the length of \(what())")
        guard n <= UInt64(c.remaining) else {
            throw FormatError.invalid(
                path: c.path, offset: at,
                reason: "length \(n) of \(what()) is more than the \(c.remaining) bytes left in the file")
        }
        return try c.utf8(Int(n), what())
    }

    /// One metadata value of `type`; arrays hold one level of scalars or strings (ggml rejects nested arrays).
    private static func readValue(_ c: inout ByteCursor, _ type: GGUFValueType, key: String) throws -> GGUFValue {
        func what() -> String { "the value of key '\(key)'" }   // built only for an error message
        switch type {
        case .uint8: return .uint8(try c.u8(what()))
        case .int8: return .int8(Int8(bitPattern: try c.u8(what())))
        case .uint16: return .uint16(try c.u16(what()))
        case .int16: return .int16(Int16(bitPattern: try c.u16(what())))
        case .uint32: return .uint32(try c.u32(what()))
        case .int32: return .int32(Int32(bitPattern: try c.u32(what())))
        case .float32: return .float32(Float(bitPattern: try c.u32(what())))
        case .uint64: return .uint64(try c.u64(what()))
        case .int64: return .int64(Int64(bitPattern: try c.u64(what())))
        case .float64: return .float64(Double(bitPattern: try c.u64(what())))
        case .bool:
            let at = c.offset
            let b = try c.u8(what())
            guard b <= 1 else { throw FormatError.invalid(path: c.path, offset: at, reason: "bool value \(b) of key '\(key)' is not 0 or 1") }
            return .bool(b == 1)
        case .string: return .string(try readString(&c, what()))
        case .array:
            let at = c.offset
            let raw = try c.u32("the element type of key '\(key)'")
            guard let element = GGUFValueType(rawValue: raw) else {
                throw FormatError.invalid(path: c.path, offset: at, reason: "unknown array element type \(raw) for key '\(key)'")
            }
            guard element != .array else {
                throw FormatError.invalid(path: c.path, offset: at, reason: "key '\(key)' is an array of arrays (nested arrays are not supported)")
            }
            let countAt = c.offset
            let n = try c.u64("the array length of key '\(key)'")
            guard n <= UInt64(c.remaining / element.minimumSize) else {
                throw FormatError.invalid(
                    path: c.path, offset: countAt,
                    reason:
                        "array length \(n) of key '\(key)' is more than the \(c.remaining) bytes left in the file can hold")
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(Int(n))
            for _ in 0..<Int(n) { items.append(try readValue(&c, element, key: key)) }
            return .array(items)
        }
    }

    /// One tensor info, with its dims, type, byte size and offset checked.
    private static func readTensorInfo(_ c: inout ByteCursor, alignment: Int) throws -> GGUFTensorInfo {
        let path = c.path
        func bad(_ at: Int, _ reason: String) -> FormatError { .invalid(path: path, offset: at, reason: reason) }
        let at = c.offset
        let name = try readString(&c, "a tensor name")
        guard name.utf8.count <= maxTensorNameLength else {
            throw bad(at, "tensor name '\(name.prefix(80))…' is \(name.utf8.count) bytes, longer than \(maxTensorNameLength)")
        }
        let nDimsAt = c.offset
        let nDims = try c.u32("the dimension count of tensor '\(name)'")
        guard nDims <= 4 else { throw bad(nDimsAt, "tensor '\(name)' has \(nDims) dimensions, more than 4") }
        var dims: [Int] = []
        var elements = 1
        for d in 0..<Int(nDims) {
            let dimAt = c.offset
            let v = try c.u64("dimension \(d) of tensor '\(name)'")
            guard v <= UInt64(Int64.max) else { throw bad(dimAt, "dimension \(d) of tensor '\(name)' is \(v), too large") }
            let (m, o) = elements.multipliedReportingOverflow(by: Int(v))
            if o { throw bad(dimAt, "dimensions of tensor '\(name)' overflow the element count") }
            elements = m
            dims.append(Int(v))
        }
        let typeAt = c.offset
        let rawType = try c.u32("the type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else { throw bad(typeAt, "tensor '\(name)' has unknown ggml type \(rawType)") }
        let ne0 = dims.first ?? 1
        guard ne0 % type.blockSize == 0 else {
            throw bad(typeAt, "tensor '\(name)': first dimension \(ne0) is not a multiple of the \(type) block size \(type.blockSize)")
        }
        let (bytes, o) = (elements / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
        if o { throw bad(typeAt, "tensor '\(name)': byte size overflows") }
        let offsetAt = c.offset
        let offset = try c.u64("the data offset of tensor '\(name)'")
        guard offset <= UInt64(Int64.max) else { throw bad(offsetAt, "tensor '\(name)': data offset \(offset) is too large") }
        guard Int(offset) % alignment == 0 else {
            throw bad(offsetAt, "tensor '\(name)': data offset \(offset) is not a multiple of the alignment \(alignment)")
        }
        return GGUFTensorInfo(name: name, dims: dims, type: type, offset: Int(offset), byteCount: bytes)
    }
}
