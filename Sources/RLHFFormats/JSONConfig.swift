// config.json → a Codable struct whose fields are the camelCase of the HF keys, with errors that name the
// file and the key as written in the file: missing keys, wrong types, and syntax errors by line and column.

import Foundation

/// Decodes the JSON file at `path` into `type`, mapping snake_case keys to camelCase properties
/// (`num_attention_heads` → `numAttentionHeads`).
///
/// - Throws: `FormatError` with a one-line message:
///   `<path>: missing required key 'hidden_size'`,
///   `<path>: key 'num_attention_heads' should be an integer, found a string`,
///   `<path>: invalid JSON at line L, column C: …`, or `.io` when the file cannot be read or is not a
///   regular file (a FIFO in its place is refused, not waited on).
public func decodeConfig<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
    let data = try readRegularFile(path: path)
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
        return try decoder.decode(T.self, from: data)
    } catch let error as DecodingError {
        throw configError(error, data: data, path: path) { root in _ = try T(from: JSONValueDecoder(root)) }
    }
}

/// The `FormatError` for a `DecodingError` raised while decoding `data` (the text of `path`).
///
/// When the decoder blames the whole document although it is valid JSON, `replay` decodes the parsed
/// document again with `JSONValueDecoder`, whose error says which key holds what.
func configError(
    _ error: DecodingError, data: Data, path: String,
    replay: (JSONValue) throws -> Void = { _ in }
) -> FormatError {
    let parsed: Result<JSONValue, JSONSyntaxError> = data.withUnsafeBytes { bytes in
        Result { () throws(JSONSyntaxError) -> JSONValue in try JSONParser.parse(bytes) }
    }
    let root = try? parsed.get()
    if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let root {
        do { try replay(root) } catch let replayed as DecodingError {
            if case .dataCorrupted(let c) = replayed, c.codingPath.isEmpty {
            } else {
                return configError(replayed, data: data, path: path)
            }
        } catch {}
    }
    switch error {
    case let .keyNotFound(key, context):
        return .missingKey(path: path, key: keyPath(context.codingPath + [key], in: root))
    case let .typeMismatch(expected, context):
        let found: String
        switch root.flatMap({ value(at: context.codingPath, in: $0) }) {
        case .number(let text)?: found = "the number \(text)"
        case let v?: found = v.kindDescription
        case nil: found = "another type"
        }
        return .wrongType(path: path, key: keyPath(context.codingPath, in: root), expected: describe(expected), found: found)
    case let .valueNotFound(expected, context):
        return .wrongType(path: path, key: keyPath(context.codingPath, in: root), expected: describe(expected), found: "null")
    case let .dataCorrupted(context):
        if context.codingPath.isEmpty {
            if case .failure(let syntax) = parsed {
                let (line, column) = data.withUnsafeBytes { lineAndColumn(of: syntax.offset, in: $0) }
                return .invalidJSON(path: path, offset: syntax.offset, line: line, column: column, reason: syntax.reason)
            }
            return .invalid(path: path, offset: 0, reason: "cannot decode the file: \(context.debugDescription)")
        }
        return .invalidValue(path: path, key: keyPath(context.codingPath, in: root), reason: context.debugDescription)
    @unknown default:
        return .invalid(path: path, offset: 0, reason: "\(error)")
    }
}

/// `a.b[2].c` with each key as written in the JSON when it is there, else converted to snake_case.
private func keyPath(_ codingPath: [any CodingKey], in root: JSONValue?) -> String {
    if codingPath.isEmpty { return "(top level)" }
    var out = ""
    var node = root
    for key in codingPath {
        if let i = key.intValue {
            out += "[\(i)]"
            if case .array(let items)? = node, i >= 0, i < items.count { node = items[i] } else { node = nil }
            continue
        }
        let entry = jsonEntry(for: key, in: node)
        if !out.isEmpty { out += "." }
        out += entry?.key ?? snakeCase(key.stringValue)
        node = entry?.value
    }
    return out
}

/// The JSON value at `codingPath`, or nil when the path leaves the document.
private func value(at codingPath: [any CodingKey], in root: JSONValue) -> JSONValue? {
    var node: JSONValue? = root
    for key in codingPath {
        if let i = key.intValue {
            guard case .array(let items)? = node, i >= 0, i < items.count else { return nil }
            node = items[i]
        } else {
            node = jsonEntry(for: key, in: node)?.value
        }
    }
    return node
}

/// The object entry that JSONDecoder's `.convertFromSnakeCase` maps to `key` (the last one when repeated,
/// as Foundation keeps the last).
private func jsonEntry(for key: any CodingKey, in node: JSONValue?) -> JSONEntry? {
    guard case .object(let entries)? = node else { return nil }
    return entries.last { $0.key == key.stringValue || camelCase($0.key) == key.stringValue }
}

/// Foundation's `convertFromSnakeCase`: `hidden_size` → `hiddenSize`, leading/trailing underscores kept.
func camelCase(_ key: String) -> String {
    guard key.contains("_") else { return key }
    let chars = Array(key)
    guard let first = chars.firstIndex(where: { $0 != "_" }) else { return key }
    let last = chars.lastIndex(where: { $0 != "_" }) ?? first
    let words = String(chars[first...last]).split(separator: "_", omittingEmptySubsequences: true)
    guard let head = words.first else { return key }
    let body = String(head) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined()
    return String(chars[..<first]) + body + String(chars[(last + 1)...])
}

/// Foundation's `convertToSnakeCase`: `hiddenSize` → `hidden_size`, `numPPOEpochs` → `num_ppo_epochs`.
func snakeCase(_ key: String) -> String {
    let chars = Array(key)
    var out = ""
    for (i, c) in chars.enumerated() {
        if c.isUppercase && i > 0 {
            let prev = chars[i - 1]
            let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
            if prev.isLowercase || prev.isNumber || (prev.isUppercase && nextIsLower) { out += "_" }
        }
        out += c.lowercased()
    }
    return out
}

/// "an integer", "a number" … for a Swift type a decoder expected.
private func describe(_ type: Any.Type) -> String {
    switch type {
    case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type,
        is UInt.Type, is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type:
        return "an integer"
    case is Float.Type, is Double.Type: return "a number"
    case is String.Type: return "a string"
    case is Bool.Type: return "a boolean"
    default:
        let name = "\(type)"
        if name.hasPrefix("Array<") || name.hasPrefix("[") && !name.contains(":") { return "an array" }
        if name.hasPrefix("Dictionary<") || name.hasPrefix("[") { return "an object" }
        return "a value of type \(name)"
    }
}
