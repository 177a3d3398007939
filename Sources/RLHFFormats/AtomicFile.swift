// Crash-safe file replacement: write `<path>.tmp-<pid>` in the same directory, fsync it, rename it over
// `<path>`, fsync the directory. Until the rename the old file is untouched; after it the new one is whole.
// On any error the temporary file is removed and the old file stays as it was.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old contents or the complete new contents, never a part.
///
/// ```swift
/// try AtomicFileWriter.write(to: path) { out in try out.write(header); try out.write(data) }
/// ```
/// A writer dropped without `commit()` removes its temporary file.
public final class AtomicFileWriter {
    /// The final path.
    public let path: String
    /// The temporary path written first (`<path>.tmp-<pid>`).
    public let temporaryPath: String
    private var fd: Int32
    private var written = 0
    private var finished = false

    /// Creates `<path>.tmp-<pid>` (mode 0644 less the umask), replacing a stale one from this process.
    public init(path: String) throws {
        self.path = path
        temporaryPath = "\(path).tmp-\(getpid())"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw FormatError.io(path: path, reason: "cannot create temporary file \(temporaryPath): \(systemErrorMessage(errno))")
        }
    }

    /// Appends `bytes`, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw FormatError.io(path: path, reason: "write after commit or abandon") }
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            #if canImport(Glibc)
            let n = Glibc.write(fd, p, min(left, 1 << 30))
            #else
            let n = Darwin.write(fd, p, min(left, 1 << 30))
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                throw FormatError.io(path: path, reason: "cannot write \(temporaryPath) at offset \(written): \(systemErrorMessage(errno))")
            }
            p += n
            left -= n
            written += n
        }
    }

    /// Appends the bytes of `array`.
    public func write(_ array: [UInt8]) throws {
        try array.withUnsafeBytes { try write($0) }
    }

    /// fsyncs the data, renames the temporary file over `path` and fsyncs the directory. On failure the
    /// temporary file is removed and `path` is left as it was.
    public func commit() throws {
        guard !finished else { throw FormatError.io(path: path, reason: "commit after commit or abandon") }
        finished = true
        if fsync(fd) != 0 {
            let e = errno
            close(fd); unlink(temporaryPath)
            throw FormatError.io(path: path, reason: "cannot fsync \(temporaryPath): \(systemErrorMessage(e))")
        }
        close(fd)
        if rename(temporaryPath, path) != 0 {
            let e = errno
            unlink(temporaryPath)
            throw FormatError.io(path: path, reason: "cannot rename \(temporaryPath) over it: \(systemErrorMessage(e))")
        }
        AtomicFileWriter.syncDirectory(of: path)
    }

    /// Closes and removes the temporary file; `path` is left as it was.
    public func abandon() {
        guard !finished else { return }
        finished = true
        close(fd)
        unlink(temporaryPath)
    }

    deinit { abandon() }

    /// Writes a whole file atomically: `body` appends the contents, then the file is committed; when `body`
    /// throws, the temporary file is removed and the error rethrown.
    public static func write(to path: String, _ body: (AtomicFileWriter) throws -> Void) throws {
        let w = try AtomicFileWriter(path: path)
        do { try body(w) } catch { w.abandon(); throw error }
        try w.commit()
    }

    /// fsync of the parent directory, so that the rename itself survives a power cut (best effort).
    private static func syncDirectory(of path: String) {
        let dir: String
        if let slash = path.lastIndex(of: "/") { dir = slash == path.startIndex ? "/" : String(path[..<slash]) } else { dir = "." }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
