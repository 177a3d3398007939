// JSONNode: typed, path-tracking access to a parsed JSON document (tokenizer.json, tokenizer_config.json), so that
// every fault names the file and the JSON path ("model.merges[12]") instead of trapping.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value inside a parsed JSON file, with the path that led to it.
struct JSONNode {
    let value: Any
    /// Dotted path from the root, e.g. `model.merges[3]`; empty for the root.
    let path: String
    /// The file the document came from, for error messages.
    let file: String

    /// Parses `data` (the contents of `file`); the top level must be an object.
    static func parse(_ data: Data, file: String) throws -> JSONNode {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw TokenizerError.malformedJSON(file: file, reason: Self.describe(error))
        }
        guard value is [String: Any] else {
            throw TokenizerError.malformedJSON(file: file, reason: "the top level is \(Self.kind(of: value)), not an object")
        }
        return JSONNode(value: value, path: "", file: file)
    }

    /// Reads and parses the file at `path` (which must be a regular file, see `readTokenizerFile`).
    static func load(path: String) throws -> JSONNode {
        try parse(try readTokenizerFile(path: path), file: path)
    }

    static func describe(_ error: Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return ns.localizedDescription
    }

    /// The JSON kinds JSONSerialization produces.
    enum Kind {
        case object, array, string, number, boolean, null, other
    }

    /// The kind of a parsed value, told apart by its dynamic type. (An `as?` or `is` test that fails on a Swift
    /// array or dictionary inside `Any` makes the runtime bridge the whole collection to Objective-C to look for a
    /// class, which made loading a 50k-token vocabulary several times slower.) Booleans are NSNumbers of
    /// Objective-C type "c"; Foundation would bridge a number 0 or 1 to Bool as well, so `is Bool` cannot tell.
    static func kind(_ value: Any) -> Kind {
        let t = type(of: value)
        if t == [String: Any].self { return .object }
        if t == [Any].self { return .array }
        if t == String.self { return .string }
        if t is NSNumber.Type { return (value as! NSNumber).objCType.pointee == 0x63 ? .boolean : .number }
        if t is NSNull.Type { return .null }
        // Anything else (e.g. a bridged NSString) takes the general casts.
        if value is String { return .string }
        if value is [String: Any] { return .object }
        if value is [Any] { return .array }
        return .other
    }

    var kind: Kind { Self.kind(value) }

    /// The JSON type name of a parsed value, for messages.
    static func kind(of value: Any) -> String {
        switch kind(value) {
        case .null: return "null"
        case .boolean: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        case .other: return "\(type(of: value))"
        }
    }

    var isNull: Bool { kind == .null }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func wrongType(_ expected: String) -> TokenizerError {
        .wrongType(file: file, path: path.isEmpty ? "(top level)" : path, expected: expected, found: Self.kind(of: value))
    }

    func invalid(_ reason: String) -> TokenizerError {
        .invalidValue(file: file, path: path.isEmpty ? "(top level)" : path, reason: reason)
    }

    // MARK: Objects

    func object() throws -> [String: Any] {
        guard kind == .object, let dict = value as? [String: Any] else { throw wrongType("an object") }
        return dict
    }

    /// The value under `key`, or nil when the key is absent or `null`.
    func optional(_ key: String) throws -> JSONNode? {
        let dict = try object()
        guard let child = dict[key], Self.kind(child) != .null else { return nil }
        return JSONNode(value: child, path: childPath(key), file: file)
    }

    /// The value under `key`; absent or `null` is an error naming the key.
    func required(_ key: String) throws -> JSONNode {
        guard let child = try optional(key) else {
            throw TokenizerError.missingKey(file: file, path: childPath(key))
        }
        return child
    }

    func has(_ key: String) -> Bool { (try? object())?[key] != nil }

    // MARK: Scalars

    func string() throws -> String {
        guard kind == .string, let s = value as? String else { throw wrongType("a string") }
        return s
    }

    func bool() throws -> Bool {
        guard kind == .boolean else { throw wrongType("a boolean") }
        return (value as! NSNumber).boolValue
    }

    func int() throws -> Int {
        guard kind == .number else { throw wrongType("an integer") }
        let number = value as! NSNumber
        let d = number.doubleValue
        guard d.rounded() == d, abs(d) < 9.0e15 else { throw wrongType("an integer") }
        return Int(d)
    }

    func double() throws -> Double {
        guard kind == .number else { throw wrongType("a number") }
        let number = value as! NSNumber
        return number.doubleValue
    }

    func array() throws -> [JSONNode] {
        guard kind == .array, let items = value as? [Any] else { throw wrongType("an array") }
        return items.enumerated().map { JSONNode(value: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    // MARK: Conveniences for optional fields with defaults

    func string(_ key: String, default fallback: String) throws -> String {
        try optional(key)?.string() ?? fallback
    }

    func optionalString(_ key: String) throws -> String? { try optional(key)?.string() }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        try optional(key)?.bool() ?? fallback
    }

    func optionalBool(_ key: String) throws -> Bool? { try optional(key)?.bool() }

    func int(_ key: String, default fallback: Int) throws -> Int {
        try optional(key)?.int() ?? fallback
    }

    func optionalInt(_ key: String) throws -> Int? { try optional(key)?.int() }

    /// A non-negative integer (ids, lengths).
    func nonNegativeInt() throws -> Int {
        let n = try int()
        guard n >= 0 else { throw invalid("expected a non-negative integer, found \(n)") }
        return n
    }

    /// The `"type"` tag of a component object, parsed into the raw-value enum `T`; an unknown tag is an error naming it.
    func componentType<T: RawRepresentable & CaseIterable>(_: T.Type, component: String) throws -> T
    where T.RawValue == String {
        let tag = try required("type")
        let name = try tag.string()
        guard let type = T(rawValue: name) else {
            throw TokenizerError.unknownType(
                file: file, path: tag.path, component: component, type: name,
                supported: T.allCases.map(\.rawValue).sorted())
        }
        return type
    }
}

/// The whole contents of a tokenizer file (tokenizer.json, tokenizer_config.json, chat_template.jinja).
///
/// It must be a regular file: it is opened without blocking and checked with `fstat` first, so that a FIFO
/// in its place is an error at once instead of an `open` that waits forever for a writer.
/// - Throws: `TokenizerError.unreadableFile` naming the path and the reason.
func readTokenizerFile(path: String) throws -> Data {
    func fail(_ reason: String) -> TokenizerError { .unreadableFile(path: path, reason: reason) }
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { throw fail(errno == ENOENT ? "no such file" : String(cString: strerror(errno))) }
    let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw fail(String(cString: strerror(errno))) }
    switch st.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFIFO: throw fail("is a FIFO (named pipe), not a regular file")
    case S_IFDIR: throw fail("is a directory, not a regular file")
    default: throw fail("is not a regular file")
    }
    do { return try handle.readToEnd() ?? Data() } catch { throw fail(JSONNode.describe(error)) }
}
