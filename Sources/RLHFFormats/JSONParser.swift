// A small strict JSON parser (RFC 8259) that keeps what Foundation's drops: the order of object keys,
// duplicate keys, the raw text of numbers (so that a u64 offset is read exactly) and the byte offset of
// every error. Used for safetensors headers and index files, and to locate syntax errors in config.json.

/// A parsed JSON value. Objects keep their entries in file order, duplicates included.
public indirect enum JSONValue: Sendable {
    /// An object's entries in file order, duplicate keys included.
    case object([JSONEntry])
    /// An array's elements.
    case array([JSONValue])
    /// A string, escapes decoded.
    case string(String)
    /// The number's text as written (`-1.5e3`).
    case number(String)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null

    /// `an object`, `a string` … for messages.
    public var kindDescription: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// The value as a non-negative integer when it is written as one (`12`, not `12.0` or `1e3`).
    var nonNegativeInt: Int? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(text)   // nil when it does not fit in Int
    }
}

/// One `"key": value` of an object, with the byte offset of the key's opening quote.
public struct JSONEntry: Sendable {
    /// The key, escapes decoded.
    public let key: String
    /// The value after the colon.
    public let value: JSONValue
    /// Byte offset of the key's opening quote in the parsed text.
    public let offset: Int
}

/// A syntax error at a byte offset of the parsed buffer.
struct JSONSyntaxError: Error {
    let offset: Int
    let reason: String
}

/// Parses the JSON text in `bytes`; a syntax error carries its byte offset.
struct JSONParser {
    /// Deepest nesting accepted: deeper input is rejected instead of exhausting the stack.
    static let maxDepth = 128

    private let bytes: UnsafeRawBufferPointer
    private var i = 0

    /// Parses one JSON value that fills `bytes` (surrounding whitespace allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var p = JSONParser(bytes: bytes)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        if p.i < bytes.count { throw JSONSyntaxError(offset: p.i, reason: "unexpected \(p.describe(p.i)) after the value") }
        return v
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func describe(_ at: Int) -> String {
        if at >= bytes.count { return "end of input" }
        let c = bytes[at]
        if c >= 0x20 && c < 0x7F { return "character '\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x" + String(c, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ literal: StaticString, _ v: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        let n = literal.utf8CodeUnitCount
        let lit = UnsafeRawBufferPointer(start: literal.utf8Start, count: n)
        for k in 0..<n where i + k >= bytes.count || bytes[i + k] != lit[k] {
            throw JSONSyntaxError(offset: i + k, reason: "unexpected \(describe(i + k)) in literal '\(literal)'")
        }
        i += n
        return v
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard i < bytes.count else { throw JSONSyntaxError(offset: i, reason: "unexpected end of input, expected a value") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw JSONSyntaxError(offset: i, reason: "unexpected \(describe(i)), expected a value")
        }
    }

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        if depth > JSONParser.maxDepth { throw JSONSyntaxError(offset: i, reason: "nesting deeper than \(JSONParser.maxDepth)") }
        i += 1
        var entries: [JSONEntry] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(entries) }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw JSONSyntaxError(offset: i, reason: "unexpected \(describe(i)), expected a string key")
            }
            let keyOffset = i
            let key = try string()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw JSONSyntaxError(offset: i, reason: "unexpected \(describe(i)), expected ':' after key \"\(key)\"")
            }
            i += 1
            skipWhitespace()
            entries.append(JSONEntry(key: key, value: try value(depth: depth), offset: keyOffset))
            skipWhitespace()
            guard i < bytes.count else { throw JSONSyntaxError(offset: i, reason: "unexpected end of input in an object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(entries) }
            throw JSONSyntaxError(offset: i, reason: "unexpected \(describe(i)), expected ',' or '}'")
        }
    }

    private mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        if depth > JSONParser.maxDepth { throw JSONSyntaxError(offset: i, reason: "nesting deeper than \(JSONParser.maxDepth)") }
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            guard i < bytes.count else { throw JSONSyntaxError(offset: i, reason: "unexpected end of input in an array") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw JSONSyntaxError(offset: i, reason: "unexpected \(describe(i)), expected ',' or ']'")
        }
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        let open = i
        i += 1
        var out = [UInt8]()
        var start = i
        while true {
            guard i < bytes.count else { throw JSONSyntaxError(offset: open, reason: "unterminated string") }
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { break }
            if c < 0x20 { throw JSONSyntaxError(offset: i, reason: "control character 0x\(String(c, radix: 16)) in a string") }
            if c != UInt8(ascii: "\\") { i += 1; continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
            guard i + 1 < bytes.count else { throw JSONSyntaxError(offset: open, reason: "unterminated string") }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {   // a high surrogate needs its low half
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw JSONSyntaxError(offset: i - 6, reason: "unpaired surrogate \\u\(String(scalar, radix: 16))")
                    }
                    let low = try hex4(at: i + 2)
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw JSONSyntaxError(offset: i, reason: "unpaired surrogate \\u\(String(scalar, radix: 16))")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw JSONSyntaxError(offset: i - 6, reason: "unpaired surrogate \\u\(String(scalar, radix: 16))")
                }
                guard let us = Unicode.Scalar(scalar) else {
                    throw JSONSyntaxError(offset: i - 6, reason: "invalid code point \\u\(String(scalar, radix: 16))")
                }
                out.append(contentsOf: Character(us).utf8)
            default:
                throw JSONSyntaxError(offset: i - 2, reason: "invalid escape '\\\(Character(Unicode.Scalar(e)))'")
            }
            start = i
        }
        defer { i += 1 }
        if out.isEmpty {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
            guard let s = String(validating: raw, as: UTF8.self) else {
                throw JSONSyntaxError(offset: open, reason: "string is not valid UTF-8")
            }
            return s
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        guard let s = String(validating: out, as: UTF8.self) else {
            throw JSONSyntaxError(offset: open, reason: "string is not valid UTF-8")
        }
        return s
    }

    private func hex4(at p: Int) throws(JSONSyntaxError) -> UInt32 {
        guard p + 4 <= bytes.count else { throw JSONSyntaxError(offset: p, reason: "truncated \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[p + k]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw JSONSyntaxError(offset: p + k, reason: "invalid hex digit in \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }

    private mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = i
        func isDigit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= 0x30 && bytes[k] <= 0x39 }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw JSONSyntaxError(offset: i, reason: "unexpected \(describe(i)) in a number") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw JSONSyntaxError(offset: i, reason: "leading zero in a number") }
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw JSONSyntaxError(offset: i, reason: "expected a digit after '.'") }
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw JSONSyntaxError(offset: i, reason: "expected a digit in the exponent") }
            while isDigit(i) { i += 1 }
        }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
    }
}

/// The 1-based line and column (in Unicode scalars) of byte `offset` in UTF-8 `bytes`.
func lineAndColumn(of offset: Int, in bytes: UnsafeRawBufferPointer) -> (line: Int, column: Int) {
    var line = 1, column = 1
    for k in 0..<min(offset, bytes.count) {
        let c = bytes[k]
        if c == 0x0A { line += 1; column = 1 } else if c & 0xC0 != 0x80 { column += 1 }
    }
    return (line, column)
}
