// safetensors writer, byte-compatible with huggingface/safetensors' `serialize` (`prepare()` in tensor.rs):
// tensors sorted by dtype (descending declaration order) then name, laid out back to back from 0; the header
// JSON compact, `__metadata__` first, padded with spaces to a multiple of 8. Written atomically.

import RLHFTensor

/// Writes `tensors` as Float32 to a safetensors file at `path`, atomically.
///
/// The file is written to `<path>.tmp-<pid>`, fsynced and renamed over `path`: a failure at any point
/// leaves a previous file at `path` intact. Non-contiguous tensors are packed first.
///
/// - Parameters:
///   - tensors: names and values; names must be unique, non-empty and not `__metadata__`.
///   - metadata: the `__metadata__` map. HF `transformers` requires `"format": "pt"` when the map is
///     present. An empty map writes no `__metadata__` key at all.
///   - path: the destination file.
/// - Throws: `FormatError.invalidValue` for a bad or duplicate name, `.io` when writing fails.
public func writeSafetensors(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = ["format": "pt"],
    to path: String
) throws {
    var seen = Set<String>()
    for (name, _) in tensors {
        if name.isEmpty || name == "__metadata__" {
            throw FormatError.invalidValue(path: path, key: name, reason: "not a valid tensor name")
        }
        if !seen.insert(name).inserted {
            throw FormatError.invalidValue(path: path, key: name, reason: "tensor name given twice")
        }
    }
    // All tensors are F32, so the reference's (dtype descending, name) order is the byte order of the names.
    let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    let header = safetensorsHeader(sorted.map { ($0.name, "F32", $0.tensor.shape, $0.tensor.count * 4) }, metadata: metadata)
    try AtomicFileWriter.write(to: path) { out in
        var n = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &n) { try out.write($0) }
        try out.write(header)
        for (_, t) in sorted {
            let c = t.contiguous()
            try withExtendedLifetime(c) {
                try out.write(UnsafeRawBufferPointer(start: c.pointer, count: c.count * 4))
            }
        }
    }
}

/// The padded header bytes for tensors already in file order: `(name, dtype, shape, byte count)`.
func safetensorsHeader(_ tensors: [(String, String, [Int], Int)], metadata: [String: String]) -> [UInt8] {
    var json = "{"
    var first = true
    func separator() { if first { first = false } else { json += "," } }
    if !metadata.isEmpty {
        separator()
        json += "\"__metadata__\":{"
        let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        json += keys.map { jsonQuoted($0) + ":" + jsonQuoted(metadata[$0] ?? "") }.joined(separator: ",")
        json += "}"
    }
    var offset = 0
    for (name, dtype, shape, nbytes) in tensors {
        separator()
        json += jsonQuoted(name) + ":{\"dtype\":\"\(dtype)\",\"shape\":["
        json += shape.map(String.init).joined(separator: ",")
        json += "],\"data_offsets\":[\(offset),\(offset + nbytes)]}"
        offset += nbytes
    }
    json += "}"
    var bytes = Array(json.utf8)
    bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
    return bytes
}

/// A JSON string literal as serde_json writes it: `"` `\` and control characters escaped, the rest as is.
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case let c where c.value < 0x20:
            let hex = String(c.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
