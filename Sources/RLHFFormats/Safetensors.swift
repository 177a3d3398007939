// safetensors reader: memory-maps the file and validates it the way huggingface/safetensors does
// (`SafeTensors::read_metadata` + `Metadata::validate`), in the same order, plus the checks the reference
// leaves out: the header must start with '{', keys must be unique and non-empty.
//
//   offset 0      u64 LE N: header length
//   offset 8      N bytes of UTF-8 JSON {"__metadata__": {str: str}, name: {dtype, shape, data_offsets}, …}
//   offset 8+N    tensor data; data_offsets are relative to here and tile it exactly

import RLHFTensor

/// Where one tensor lies in a safetensors file, as its header says.
public struct SafetensorsTensorInfo: Sendable {
    /// The tensor's name (the header key).
    public let name: String
    /// The dtype string: `F32`, `F16`, `BF16`, `I64`, `BOOL` …
    public let dtype: String
    /// The row-major shape (PyTorch order); `[]` for a scalar.
    public let shape: [Int]
    /// `(begin, end)` byte offsets relative to the start of the data section.
    public let dataOffsets: (Int, Int)
}

/// A safetensors file, memory-mapped and validated when opened; tensors are read on demand.
public struct SafetensorsFile: Sendable {
    /// The largest header accepted (the reference's `MAX_HEADER_SIZE`, a guard against huge allocations).
    public static let maxHeaderSize = 100_000_000

    /// The path the file was opened with.
    public let path: String
    private let file: MappedFile
    private let entries: [SafetensorsTensorInfo]
    private let dtypes: [SafetensorsDType]
    private let index: [String: Int]
    /// Byte offset of the data section (8 + header length).
    private let dataStart: Int
    /// The free-form `__metadata__` map (`["format": "pt"]` for files written by PyTorch); empty when absent.
    public let metadata: [String: String]

    /// Maps and validates the file at `path`.
    ///
    /// - Throws: `FormatError` naming the path, the offset or tensor, and the fault: a file shorter than 8
    ///   bytes, a header over 100 MB or past the end of the file, a header that is not UTF-8, does not start
    ///   with `{` or is not valid JSON of the right shape, an unknown dtype, a duplicate or empty name, data
    ///   offsets that do not tile the data section from 0 without gap or overlap, a byte range that does not
    ///   match dtype × shape, and bytes missing or left over at the end of the file.
    public init(path: String) throws {
        try self.init(try MappedFile(path: path))
    }

    /// Validates the bytes of `file` (see `init(path:)`).
    init(_ file: MappedFile) throws {
        let path = file.path
        self.path = path
        self.file = file
        // 1. The 8-byte header length.
        guard file.count >= 8 else {
            throw FormatError.invalid(
                path: path, offset: 0,
                reason: "file is \(file.count) bytes, too small to hold the 8-byte header length")
        }
        let n64 = UInt64(littleEndian: file.base.loadUnaligned(as: UInt64.self))
        // 2. A header length beyond the 100 MB cap.
        guard n64 <= UInt64(SafetensorsFile.maxHeaderSize) else {
            throw FormatError.invalid(
                path: path, offset: 0,
                reason: "header length \(n64) is larger than the limit of \(SafetensorsFile.maxHeaderSize) bytes")
        }
        let n = Int(n64)
        // 3. A header running past the end of the file.
        guard 8 + n <= file.count else {
            throw FormatError.invalid(
                path: path, offset: 0,
                reason: "header length \(n) runs past the end of the file (\(file.count) bytes)")
        }
        let header = UnsafeRawBufferPointer(start: file.base + 8, count: n)
        // 4. UTF-8.
        guard String(validating: header, as: UTF8.self) != nil else {
            throw FormatError.invalid(path: path, offset: 8, reason: "header is not valid UTF-8")
        }
        // 5. The first byte must be '{' (the reference has this check commented out; we enforce it).
        guard n > 0, header[0] == UInt8(ascii: "{") else {
            throw FormatError.invalid(path: path, offset: 8, reason: "header does not start with '{'")
        }
        // 6. JSON of the expected shape, known dtypes, unique non-empty names.
        let json: JSONValue
        do { json = try JSONParser.parse(header) } catch {
            throw FormatError.invalid(path: path, offset: 8 + error.offset, reason: "header is not valid JSON: \(error.reason)")
        }
        let parsed = try SafetensorsFile.decodeHeader(json, path: path)
        metadata = parsed.metadata
        dataStart = 8 + n
        // 7 and 8. Sorted by offsets, tensors must tile [0, end) and each range must hold dtype × shape bytes.
        var previousEnd = 0
        var previousName: String? = nil
        for (k, t) in parsed.tensors.indices.sorted(by: { parsed.tensors[$0].dataOffsets < parsed.tensors[$1].dataOffsets })
            .map({ ($0, parsed.tensors[$0]) })
        {
            let at = 8 + parsed.keyOffsets[k]
            let (begin, end) = t.dataOffsets
            if begin != previousEnd || end < begin {
                let reason: String
                if end < begin {
                    reason = "data_offsets [\(begin), \(end)] end before they begin"
                } else if let p = previousName, begin < previousEnd {
                    reason = "data_offsets [\(begin), \(end)] overlap tensor '\(p)', which ends at \(previousEnd)"
                } else if let p = previousName {
                    reason =
                        "data_offsets [\(begin), \(end)] leave a gap of \(begin - previousEnd) bytes after tensor '\(p)', which ends at \(previousEnd)"
                } else {
                    reason = "data_offsets [\(begin), \(end)] leave a gap: the first tensor must start at 0"
                }
                throw FormatError.invalid(path: path, offset: at, reason: "tensor '\(t.name)': \(reason)")
            }
            var elements = 1
            for d in t.shape {
                let (m, o) = elements.multipliedReportingOverflow(by: d)
                if o { throw FormatError.invalid(path: path, offset: at, reason: "tensor '\(t.name)': shape \(t.shape) overflows the element count") }
                elements = m
            }
            let (nbytes, o) = elements.multipliedReportingOverflow(by: parsed.dtypes[k].size)
            if o { throw FormatError.invalid(path: path, offset: at, reason: "tensor '\(t.name)': shape \(t.shape) overflows the byte count") }
            if end - begin != nbytes {
                throw FormatError.invalid(
                    path: path, offset: at,
                    reason:
                        "tensor '\(t.name)': data_offsets [\(begin), \(end)] hold \(end - begin) bytes, "
                        + "but dtype \(t.dtype) with shape \(t.shape) needs \(nbytes)")
            }
            previousEnd = end
            previousName = t.name
        }
        // 9. The data section must end exactly at the end of the file.
        let (fileEnd, o) = dataStart.addingReportingOverflow(previousEnd)
        if o || fileEnd > file.count {
            throw FormatError.truncated(
                path: path, offset: dataStart, what: "the tensor data",
                needed: previousEnd, available: file.count - dataStart)
        }
        if fileEnd < file.count {
            throw FormatError.invalid(
                path: path, offset: fileEnd,
                reason: "\(file.count - fileEnd) unexpected trailing bytes after the tensor data")
        }
        entries = parsed.tensors
        dtypes = parsed.dtypes
        var index: [String: Int] = [:]
        for (k, t) in entries.enumerated() { index[t.name] = k }
        self.index = index
    }

    /// The names of all tensors, in the header's order.
    public var tensorNames: [String] { entries.map(\.name) }

    /// All tensor infos, in the header's order.
    public var tensorInfos: [SafetensorsTensorInfo] { entries }

    /// The dtype, shape and byte range of a tensor; `nil` when there is none of that name.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        index[name].map { entries[$0] }
    }

    /// The values of a floating-point tensor (F32, F16, BF16 exactly; F64 rounded) as a new contiguous
    /// Float32 tensor of its shape.
    ///
    /// Integer and BOOL tensors are refused: model weights are floats, and integer bytes read as weights
    /// (F32 data relabelled I32, say) would load silently as other numbers. Use
    /// `tensor(_:allowingIntegers:)` for the integer tensors a checkpoint may also hold (`position_ids`).
    /// - Throws: `FormatError.tensorNotFound`; `.unsupported` naming the file, the tensor and its dtype for an
    ///   integer or BOOL tensor and for the 8-bit float dtypes.
    public func tensor(_ name: String) throws -> Tensor {
        try tensor(name, allowingIntegers: false)
    }

    /// The tensor's values as a new contiguous Float32 tensor of its shape; with `allowingIntegers`, integer
    /// and BOOL tensors give their values (exact up to 2^24), otherwise they are refused as in `tensor(_:)`.
    /// - Throws: `FormatError.tensorNotFound`, or `.unsupported` naming the file, tensor and dtype.
    public func tensor(_ name: String, allowingIntegers: Bool) throws -> Tensor {
        guard let k = index[name] else { throw FormatError.tensorNotFound(path: path, name: name) }
        let info = entries[k], dtype = dtypes[k]
        guard dtype.convertsToFloat else {
            throw FormatError.unsupported(path: path, name: name, reason: "dtype \(info.dtype) cannot be read as Float32")
        }
        guard dtype.isFloatingPoint || allowingIntegers else {
            throw FormatError.unsupported(
                path: path, name: name,
                reason: "dtype \(info.dtype) is not a floating-point "
                    + "type: weights must be F32, F16 or BF16")
        }
        let out = Tensor(uninitialized: info.shape)
        withExtendedLifetime(file) {
            convertToFloat(dtype, file.base + dataStart + info.dataOffsets.0, out.pointer, count: out.count)
        }
        return out
    }

    /// The raw little-endian bytes of a tensor, valid while this file value is alive.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let info = info(name) else { throw FormatError.tensorNotFound(path: path, name: name) }
        let (b, e) = info.dataOffsets
        return try withExtendedLifetime(file) {
            try body(UnsafeRawBufferPointer(start: file.base + dataStart + b, count: e - b))
        }
    }

    // MARK: Header decoding

    private struct Header {
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        var dtypes: [SafetensorsDType] = []
        var keyOffsets: [Int] = []   // of each tensor's key within the header
    }

    /// Step 6: the JSON must be `{"__metadata__": {str: str}?, name: {"dtype": str, "shape": [uint], "data_offsets": [uint, uint]}, …}`.
    private static func decodeHeader(_ json: JSONValue, path: String) throws -> Header {
        guard case .object(let top) = json else {
            throw FormatError.invalid(path: path, offset: 8, reason: "header is \(json.kindDescription), not a JSON object")
        }
        var h = Header()
        var seen = Set<String>()
        for e in top {
            let at = 8 + e.offset
            func bad(_ reason: String) -> FormatError { .invalid(path: path, offset: at, reason: reason) }
            guard seen.insert(e.key).inserted else { throw bad("duplicate key '\(e.key)' in the header") }
            if e.key == "__metadata__" {
                guard case .object(let items) = e.value else {
                    throw bad("__metadata__ is \(e.value.kindDescription), expected an object of strings")
                }
                for item in items {
                    guard case .string(let v) = item.value else {
                        throw bad("__metadata__ value of '\(item.key)' is \(item.value.kindDescription), expected a string")
                    }
                    guard h.metadata.updateValue(v, forKey: item.key) == nil else {
                        throw bad("duplicate key '\(item.key)' in __metadata__")
                    }
                }
                continue
            }
            guard !e.key.isEmpty else { throw bad("empty tensor name") }
            guard case .object(let fields) = e.value else {
                throw bad("tensor '\(e.key)' is \(e.value.kindDescription), expected an object with dtype, shape and data_offsets")
            }
            var dtypeText: String? = nil, shape: [Int]? = nil, offsets: [Int]? = nil
            var fieldSeen = Set<String>()
            for f in fields {
                guard fieldSeen.insert(f.key).inserted else { throw bad("tensor '\(e.key)': duplicate field '\(f.key)'") }
                switch f.key {
                case "dtype":
                    guard case .string(let s) = f.value else {
                        throw bad("tensor '\(e.key)': dtype is \(f.value.kindDescription), expected a string")
                    }
                    dtypeText = s
                case "shape", "data_offsets":
                    guard case .array(let items) = f.value else {
                        throw bad("tensor '\(e.key)': \(f.key) is \(f.value.kindDescription), expected an array of non-negative integers")
                    }
                    var ints: [Int] = []
                    for item in items {
                        guard let v = item.nonNegativeInt else {
                            throw bad("tensor '\(e.key)': \(f.key) holds \(item.describedForMessage), expected a non-negative integer")
                        }
                        ints.append(v)
                    }
                    if f.key == "shape" { shape = ints } else { offsets = ints }
                default:
                    continue   // like the reference (serde without deny_unknown_fields): other fields are ignored
                }
            }
            guard let dtypeText else { throw bad("tensor '\(e.key)': missing field 'dtype'") }
            guard let shape else { throw bad("tensor '\(e.key)': missing field 'shape'") }
            guard let offsets else { throw bad("tensor '\(e.key)': missing field 'data_offsets'") }
            guard let dtype = SafetensorsDType(rawValue: dtypeText) else {
                throw bad("tensor '\(e.key)': unknown dtype '\(dtypeText)'")
            }
            guard offsets.count == 2 else {
                throw bad("tensor '\(e.key)': data_offsets has \(offsets.count) numbers, expected 2 [begin, end]")
            }
            h.tensors.append(
                SafetensorsTensorInfo(
                    name: e.key, dtype: dtypeText, shape: shape,
                    dataOffsets: (offsets[0], offsets[1])))
            h.dtypes.append(dtype)
            h.keyOffsets.append(e.offset)
        }
        return h
    }
}

extension JSONValue {
    /// The value for an error message: numbers and strings quoted as written, others by kind.
    var describedForMessage: String {
        switch self {
        case .number(let t): return t
        case .string(let s): return "\"\(s.prefix(40))\""
        default: return kindDescription
        }
    }
}
