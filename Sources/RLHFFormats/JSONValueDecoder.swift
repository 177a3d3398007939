// A `Decoder` over a parsed `JSONValue`, with `.convertFromSnakeCase` key matching. `decodeConfig` uses
// Foundation's JSONDecoder; when that fails without saying where (corelibs Foundation reports a number
// that does not fit its field, e.g. 57.5 for an Int, as "not valid JSON" at the top level), this decoder
// replays the decoding to find the key and the reason.

/// Decodes a `JSONValue`; errors are `DecodingError`s whose coding path leads to the faulty value.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONValue, codingPath: [any CodingKey] = []) {
        self.value = value
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let entries) = value else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected an object"))
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(entries: entries, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected an array"))
        }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(value: value, codingPath: codingPath) }
}

/// A coding key for array positions.
private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// Decodes `value` (at `path`) as `T`: scalars directly, everything else through `T.init(from:)`.
private func decodeValue<T: Decodable>(_ value: JSONValue, as type: T.Type, path: [any CodingKey]) throws -> T {
    func mismatch(_ expected: Any.Type) -> DecodingError {
        .typeMismatch(expected, .init(codingPath: path, debugDescription: "found \(value.kindDescription)"))
    }
    if case .null = value {
        if T.self is any _JSONOptional.Type { return try T(from: JSONValueDecoder(value, codingPath: path)) }
        throw DecodingError.valueNotFound(T.self, .init(codingPath: path, debugDescription: "found null"))
    }
    func cast(_ v: Any) throws -> T {
        guard let t = v as? T else { throw mismatch(T.self) }
        return t
    }
    switch T.self {
    case is String.Type:
        guard case .string(let s) = value else { throw mismatch(String.self) }
        return try cast(s)
    case is Bool.Type:
        guard case .bool(let b) = value else { throw mismatch(Bool.self) }
        return try cast(b)
    case is Double.Type, is Float.Type:
        guard case .number(let text) = value, let d = Double(text) else { throw mismatch(T.self) }
        return try cast(T.self is Double.Type ? d as Any : Float(d) as Any)
    case let integer as any FixedWidthInteger.Type:
        guard case .number(let text) = value else { throw mismatch(T.self) }
        guard let v = exactInteger(text, as: integer) else {
            throw DecodingError.typeMismatch(T.self, .init(codingPath: path, debugDescription: "\(text) does not fit in \(T.self)"))
        }
        return try cast(v)
    default:
        return try T(from: JSONValueDecoder(value, codingPath: path))
    }
}

/// Marks `Optional` so that `decodeValue` can let `null` through to it.
private protocol _JSONOptional {}
extension Optional: _JSONOptional {}

/// The integer written as `text` (`12`, `12.0`, `1.2e1`) when it is exactly one within `I`'s range.
private func exactInteger<I: FixedWidthInteger>(_ text: String, as: I.Type) -> I? {
    if let v = I(text) { return v }
    guard let d = Double(text), d.rounded() == d, let v = I(exactly: d) else { return nil }
    return v
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let values: [String: JSONValue]
    let codingPath: [any CodingKey]

    init(entries: [JSONEntry], codingPath: [any CodingKey]) {
        var values: [String: JSONValue] = [:]
        for e in entries { values[camelCase(e.key)] = e.value }   // the last of repeated keys wins, as in Foundation
        self.values = values
        self.codingPath = codingPath
    }

    var allKeys: [Key] { values.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

    private func value(_ key: Key) throws -> JSONValue {
        guard let v = values[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for \(key.stringValue)"))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeValue(try value(key), as: T.self, path: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoder(try value(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoder(try value(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { JSONValueDecoder(.object([]), codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoder(try value(key), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    private mutating func next<T>(_ type: T.Type) throws -> (JSONValue, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                T.self,
                .init(
                    codingPath: codingPath + [IndexKey(currentIndex)],
                    debugDescription: "the array has only \(items.count) elements"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex] else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, path) = try next(T.self)
        return try decodeValue(v, as: T.self, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, path) = try next([String: Any].self)
        return try JSONValueDecoder(v, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, path) = try next([Any].self)
        return try JSONValueDecoder(v, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (v, path) = try next(Any.self)
        return JSONValueDecoder(v, codingPath: path)
    }
}

private struct SingleValue: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeValue(value, as: T.self, path: codingPath)
    }
}
