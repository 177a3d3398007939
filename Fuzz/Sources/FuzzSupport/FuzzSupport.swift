// What every harness shares: libFuzzer's driver, started from Swift, and a scratch folder for the files a
// harness writes its input to (the readers take paths, as users give them).
//
// Each harness is an executable whose top-level code calls `runFuzzer { bytes in … }`. SwiftPM links an
// executable's own `main`, not libFuzzer's, so `runFuzzer` hands the command line to `LLVMFuzzerRunDriver`
// (libFuzzer's documented entry point for a program with its own main); libFuzzer's archive still needs an
// `LLVMFuzzerTestOneInput`, defined here. A harness never stops on a thrown error: a reader that rejects an
// input is doing its job. A trap, an AddressSanitizer report, a leak, a timeout or a malloc over the limit
// is what libFuzzer reports as a crash.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

nonisolated(unsafe) private var oneInput: ((UnsafeRawBufferPointer) -> Void)?

/// libFuzzer's test callback: runs the body that `runFuzzer` was given on one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    oneInput?(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Runs libFuzzer with the process's arguments (`-max_total_time=60 corpus/ …`), calling `body` once per
/// input; exits with libFuzzer's status.
public func runFuzzer(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    oneInput = body
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
}

/// A folder of this process's own under `$TMPDIR` (or /tmp), for the files a harness writes.
public enum Scratch {
    /// The folder, created on first use.
    public static let directory: String = {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let path = base + "/rlhf-fuzz-\(getpid())"
        mkdir(path, 0o700)
        return path
    }()

    /// Writes `bytes` to `name` inside `directory` (replacing it) and returns the path.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("cannot create \(path): errno \(errno)") }   // the harness's own folder
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { fatalError("cannot write \(path): errno \(errno)") }
            done += n
        }
        close(fd)
        return path
    }

    /// Writes `text` to `name` inside `directory` and returns the path.
    @discardableResult
    public static func write(_ text: String, to name: String) -> String {
        var text = text
        return text.withUTF8 { write(UnsafeRawBufferPointer($0), to: name) }
    }

    /// Removes `name` from `directory` when it is there.
    public static func remove(_ name: String) {
        unlink(directory + "/" + name)
    }
}

/// Runs `body`, treating any thrown error as a rejected input (its message is built, as the CLI would print it).
@inline(never)
public func rejecting(_ body: () throws -> Void) {
    do { try body() } catch { blackHole(String(describing: error)) }
}

/// Keeps a value alive and unoptimised-away.
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
