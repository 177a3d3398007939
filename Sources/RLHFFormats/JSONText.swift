// JSON values to and from text held in memory (a database column, a request body): the same parser as the
// files', and a compact writer.

/// Parses one JSON value from `text`.
///
/// - Throws: `FormatError.invalidJSON` naming `source`, the byte offset and what is wrong.
public func parseJSONText(_ text: String, source: String) throws -> JSONValue {
    var copy = text
    return try copy.withUTF8 { buffer in
        let bytes = UnsafeRawBufferPointer(buffer)
        do throws(JSONSyntaxError) {
            return try JSONParser.parse(bytes)
        } catch {
            let (line, column) = lineAndColumn(of: error.offset, in: bytes)
            throw FormatError.invalidJSON(path: source, offset: error.offset, line: line, column: column, reason: error.reason)
        }
    }
}

extension JSONValue {
    /// The value as compact JSON text (object keys in their order; numbers as they were written).
    public var jsonText: String {
        switch self {
        case .object(let entries): return "{" + entries.map { jsonQuoted($0.key) + ": " + $0.value.jsonText }.joined(separator: ", ") + "}"
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        case .string(let s): return jsonQuoted(s)
        case .number(let text): return text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}
