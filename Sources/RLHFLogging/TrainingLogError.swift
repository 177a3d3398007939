// Errors of the training-progress writers (metrics.jsonl, TensorBoard event files). Every message starts with
// the file's path and says what failed, with the system's words for I/O failures, so that the CLI can print it
// as one line.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What went wrong while writing a training log (`metrics.jsonl`, a TensorBoard event file).
///
/// `description` reads `<path>: <what failed>[: <reason>]`.
public enum TrainingLogError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A directory could not be created; `reason` carries the system's words.
    case cannotCreateDirectory(path: String, reason: String)
    /// A file could not be opened or created.
    case cannotOpen(path: String, reason: String)
    /// An existing file could not be read (e.g. a metrics log being resumed).
    case readFailed(path: String, reason: String)
    /// Writing or flushing a file failed (disk full, I/O error, …).
    case writeFailed(path: String, reason: String)
    /// Closing a file failed (its buffered tail may be lost).
    case closeFailed(path: String, reason: String)
    /// Atomically replacing `path` by the temporary file `from` failed.
    case renameFailed(from: String, path: String, reason: String)
    /// A write to a log that has already been closed.
    case writeAfterClose(path: String)
    /// A metric or string key that cannot be written (e.g. given twice, or the reserved key `step`).
    case invalidKey(path: String, key: String, reason: String)

    /// The file or directory the error is about.
    public var path: String {
        switch self {
        case let .cannotCreateDirectory(path, _), let .cannotOpen(path, _), let .readFailed(path, _),
            let .writeFailed(path, _), let .closeFailed(path, _), let .renameFailed(_, path, _),
            let .writeAfterClose(path), let .invalidKey(path, _, _):
            return path
        }
    }

    /// One line: `<path>: <what failed>: <reason>`.
    public var description: String {
        switch self {
        case let .cannotCreateDirectory(path, reason):
            return "\(path): cannot create directory: \(reason)"
        case let .cannotOpen(path, reason):
            return "\(path): cannot open for writing: \(reason)"
        case let .readFailed(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .writeFailed(path, reason):
            return "\(path): write failed: \(reason)"
        case let .closeFailed(path, reason):
            return "\(path): close failed: \(reason)"
        case let .renameFailed(from, path, reason):
            return "\(path): cannot replace it with \(from): \(reason)"
        case let .writeAfterClose(path):
            return "\(path): write after close"
        case let .invalidKey(path, key, reason):
            return "\(path): key '\(key)': \(reason)"
        }
    }
}

/// The system's words for `errno` (e.g. "No space left on device (errno 28)").
func errnoDescription(_ code: Int32 = errno) -> String {
    "\(String(cString: strerror(code))) (errno \(code))"
}
