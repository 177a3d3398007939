// Reading whole files, two ways:
// - model files (config.json, *.safetensors, *.gguf, index files) must be regular files: they are mapped or
//   read by size, and a FIFO in their place would block `open` forever (no writer) or give a size of 0.
//   They are opened with O_NONBLOCK, so that a FIFO is seen by `fstat` and refused at once;
// - data files (JSONL, YAML) are read as streams to their end, so that a pipe (`--data <(…)`, /dev/fd/N),
//   a FIFO with a writer or `-` (standard input) works as well as a regular file.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens `path` read-only without blocking and checks that it is a regular file; the caller closes `fd`.
///
/// - Throws: `FormatError.io` naming the path: cannot open it (`openFailure`: the system's words follow) or
///   stat it, or it is a FIFO, a directory, a device or a socket.
func openRegularFile(_ path: String, openFailure: String = "cannot open") throws -> (fd: Int32, size: Int) {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    if fd < 0 { throw FormatError.io(path: path, reason: "\(openFailure): \(systemErrorMessage(errno))") }
    var st = stat()
    if fstat(fd, &st) != 0 {
        let reason = systemErrorMessage(errno)
        close(fd)
        throw FormatError.io(path: path, reason: "cannot stat: \(reason)")
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
        close(fd)
        throw FormatError.io(
            path: path,
            reason: "is \(fileKindDescription(st.st_mode)), not a regular file: "
                + "model and config files must be regular files")
    }
    return (fd, Int(st.st_size))
}

/// "a FIFO (named pipe)", "a directory" … for a `st_mode`.
func fileKindDescription(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFDIR: return "a directory"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "not a file"
    }
}

/// Reads exactly `count` bytes of `fd` into `buffer`; throws `FormatError.io` naming `path` when the file
/// is shorter or a read fails.
func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, count: Int, path: String) throws {
    var done = 0
    while done < count {
        let n = read(fd, buffer + done, count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 {
            let reason = n < 0 ? systemErrorMessage(errno) : "the file shrank while being read"
            throw FormatError.io(path: path, reason: "cannot read \(count) bytes: \(reason)")
        }
        done += n
    }
}

/// The whole contents of the regular file at `path` (a config.json, tokenizer file or index file).
///
/// - Throws: `FormatError.io` naming the path when it cannot be opened or read, or is not a regular file
///   (a FIFO is refused at once instead of blocking).
package func readRegularFile(path: String) throws -> Data {
    let (fd, size) = try openRegularFile(path, openFailure: "cannot read the file")
    defer { close(fd) }
    var data = Data(count: size)
    if size > 0 {
        try data.withUnsafeMutableBytes { try readFully(fd, $0.baseAddress!, count: size, path: path) }
    }
    return data
}

/// The whole contents of the regular file at `path` as `readRegularFile` reads it, or nil when nothing is
/// there (an optional config.json, a checkpoint's state file).
///
/// - Throws: `FormatError.io` naming the path when something is there but is not a regular file (a FIFO is
///   refused at once instead of blocking) or cannot be read.
package func readRegularFileIfPresent(path: String) throws -> Data? {
    var st = stat()
    guard lstat(path, &st) == 0 else { return nil }
    return try readRegularFile(path: path)
}

/// The whole contents of a data file read as a stream to its end: a regular file, a pipe or FIFO
/// (`--data <(…)`, `/dev/fd/N`), or standard input when `path` is `-`.
///
/// - Throws: `FormatError.io` naming the path when it cannot be opened or read (a directory, say).
package func readStream(path: String) throws -> Data {
    let fd: Int32
    if path == "-" {
        fd = STDIN_FILENO
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FormatError.io(path: path, reason: "cannot read the file: \(systemErrorMessage(errno))") }
    }
    defer { if fd != STDIN_FILENO { close(fd) } }
    var data = Data()
    let chunk = 1 << 16
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let n = read(fd, buffer, chunk)
        if n < 0 && errno == EINTR { continue }
        if n < 0 { throw FormatError.io(path: path, reason: "cannot read: \(systemErrorMessage(errno))") }
        if n == 0 { return data }
        data.append(buffer.assumingMemoryBound(to: UInt8.self), count: n)
    }
}

/// `path` as messages name it: standard input (`-`) as `<stdin>`.
package func displayPath(_ path: String) -> String {
    path == "-" ? "<stdin>" : path
}
