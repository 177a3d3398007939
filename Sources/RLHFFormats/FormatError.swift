// Errors of the file-format readers and writers. Every message starts with the file's path and says where
// (byte offset, line and column, or key) and what is wrong, so that the CLI can print it as one line.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What went wrong while reading or writing a safetensors, GGUF or JSON file.
///
/// A corrupt or hostile file always gives one of these; the readers never trap on file contents.
/// `description` reads `<path>: <where>: <what is wrong>`.
public enum FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, mapped, written or renamed; `reason` carries the system's words.
    case io(path: String, reason: String)
    /// The file ends before a field that starts at `offset` (`needed` bytes, `available` left).
    case truncated(path: String, offset: Int, what: String, needed: Int, available: Int)
    /// A field at byte `offset` holds a value the format does not allow.
    case invalid(path: String, offset: Int, reason: String)
    /// Malformed JSON at a 1-based line and column (`offset` is the byte offset in the file).
    case invalidJSON(path: String, offset: Int, line: Int, column: Int, reason: String)
    /// A required key is absent (a JSON key, a tensor's field, a GGUF metadata key).
    case missingKey(path: String, key: String)
    /// A key's value has the wrong type, e.g. `expected: "an integer", found: "a string"`.
    case wrongType(path: String, key: String, expected: String, found: String)
    /// A key's value has the right type but is not acceptable.
    case invalidValue(path: String, key: String, reason: String)
    /// The file names a tensor that cannot be converted to Float32 (e.g. a BOOL tensor, a Q5_K tensor).
    case unsupported(path: String, name: String, reason: String)
    /// No tensor of that name in the file.
    case tensorNotFound(path: String, name: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .io(path, _), let .truncated(path, _, _, _, _), let .invalid(path, _, _),
            let .invalidJSON(path, _, _, _, _), let .missingKey(path, _), let .wrongType(path, _, _, _),
            let .invalidValue(path, _, _), let .unsupported(path, _, _), let .tensorNotFound(path, _):
            return path
        }
    }

    /// One line: `<path>: <where>: <what is wrong>`.
    public var description: String {
        switch self {
        case let .io(path, reason):
            return "\(displayPath(path)): \(reason)"
        case let .truncated(path, offset, what, needed, available):
            return "\(path): offset \(offset): file is truncated: \(what) needs \(needed) bytes, "
                + "only \(available) left"
        case let .invalid(path, offset, reason):
            return "\(path): offset \(offset): \(reason)"
        case let .invalidJSON(path, _, line, column, reason):
            return "\(displayPath(path)): invalid JSON at line \(line), column \(column): \(reason)"
        case let .missingKey(path, key):
            return "\(path): missing required key '\(key)'"
        case let .wrongType(path, key, expected, found):
            return "\(path): key '\(key)' should be \(expected), found \(found)"
        case let .invalidValue(path, key, reason):
            return "\(path): key '\(key)': \(reason)"
        case let .unsupported(path, name, reason):
            return "\(path): tensor '\(name)': \(reason)"
        case let .tensorNotFound(path, name):
            return "\(path): no tensor named '\(name)'"
        }
    }
}

/// The C library's message for `errno` (`strerror`).
func systemErrorMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}
