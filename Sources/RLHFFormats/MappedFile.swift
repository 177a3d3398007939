// A whole file's bytes, read-only (memory-mapped when large), and a bounds-checked little-endian cursor over
// them. Every read checks the bytes left first and throws `FormatError.truncated` naming the offset and field.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's bytes, read-only: mapped into memory (`mmap`) when large, read into an allocation when small
/// (up to `MappedFile.readLimit`, where a map costs more than it saves). Released with the last reference.
final class MappedFile: @unchecked Sendable {
    /// Files up to this size are read, not mapped.
    static let readLimit = 1 << 20

    private enum Backing { case none, mapped, allocated }

    /// The path it was opened with (for messages).
    let path: String
    /// The first byte; a valid (never dereferenced) pointer when the file is empty.
    let base: UnsafeRawPointer
    /// File size in bytes.
    let count: Int
    private let backing: Backing

    /// Opens `path`; throws `FormatError.io` when it cannot be opened, is not a regular file (a FIFO is
    /// refused at once, not waited on), or cannot be read or mapped.
    init(path: String) throws {
        self.path = path
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        count = size
        if count == 0 {
            base = UnsafeRawPointer(bitPattern: 64)!   // never read: every access is bounds-checked against 0
            backing = .none
        } else if count <= MappedFile.readLimit {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
            do { try readFully(fd, buffer, count: count, path: path) } catch {
                buffer.deallocate()
                throw error
            }
            base = UnsafeRawPointer(buffer)
            backing = .allocated
        } else {
            guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
                throw FormatError.io(path: path, reason: "cannot map \(count) bytes: \(systemErrorMessage(errno))")
            }
            base = UnsafeRawPointer(p)
            backing = .mapped
        }
    }

    /// A copy of `bytes` standing for the file at `path` (parsers' tests and in-memory data).
    init(copying bytes: [UInt8], path: String) {
        self.path = path
        count = bytes.count
        if bytes.isEmpty {
            base = UnsafeRawPointer(bitPattern: 64)!
            backing = .none
            return
        }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        base = UnsafeRawPointer(buffer)
        backing = .allocated
    }

    deinit {
        switch backing {
        case .mapped: munmap(UnsafeMutableRawPointer(mutating: base), count)
        case .allocated: UnsafeMutableRawPointer(mutating: base).deallocate()
        case .none: break
        }
    }
}

/// Reads little-endian fields from `[0, count)` of a buffer, checking each against the bytes left.
struct ByteCursor {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    /// Byte offset of the next read.
    var offset: Int = 0

    init(_ file: MappedFile) {
        base = file.base
        count = file.count
        path = file.path
    }

    /// Bytes left after `offset`.
    var remaining: Int { count - offset }

    /// Throws unless `n` more bytes are available for `what`.
    func require(_ n: Int, _ what: @autoclosure () -> String) throws {
        if n < 0 || n > remaining {
            throw FormatError.truncated(path: path, offset: offset, what: what(), needed: n, available: remaining)
        }
    }

    @inline(__always)
    private mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, what())
        let v = T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return v
    }

    mutating func u8(_ what: @autoclosure () -> String) throws -> UInt8 { try load(UInt8.self, what()) }
    mutating func u16(_ what: @autoclosure () -> String) throws -> UInt16 { try load(UInt16.self, what()) }
    mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 { try load(UInt32.self, what()) }
    mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 { try load(UInt64.self, what()) }

    /// `n` bytes as UTF-8 text; throws when they are not valid UTF-8.
    mutating func utf8(_ n: Int, _ what: @autoclosure () -> String) throws -> String {
        try require(n, what())
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: n)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw FormatError.invalid(path: path, offset: offset, reason: "\(what()) is not valid UTF-8")
        }
        offset += n
        return s
    }
}
