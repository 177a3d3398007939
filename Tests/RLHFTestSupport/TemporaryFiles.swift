// Temporary folders and files of the tests: a fresh folder per call or per test, and FIFOs (named pipes) for
// the tests that check a reader refuses (or streams) one instead of blocking on it.

import Foundation
import XCTest

/// Folders made without a test to remove them, removed when the test process exits.
nonisolated(unsafe) private var foldersToRemoveAtExit: [String] = []
private let foldersLock = NSLock()
private let removeFoldersAtExit: Void = {
    atexit {
        guard ProcessInfo.processInfo.environment["RLHF_KEEP_TEST_FILES"] == nil else { return }
        foldersLock.lock()
        defer { foldersLock.unlock() }
        for dir in foldersToRemoveAtExit { try? FileManager.default.removeItem(atPath: dir) }
    }
}()

/// A fresh folder `rlhf-<name>-<UUID>` under the temporary directory. It is removed when `test` ends where
/// one is given, else when the test process exits (a whole run of the tests used to leave gigabytes of
/// checkpoints behind); `RLHF_KEEP_TEST_FILES=1` keeps them for a look.
public func temporaryFolder(_ name: String, removedAfter test: XCTestCase? = nil) throws -> String {
    let dir = NSTemporaryDirectory() + "rlhf-\(name)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    if let test {
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    } else {
        removeFoldersAtExit
        foldersLock.lock()
        foldersToRemoveAtExit.append(dir)
        foldersLock.unlock()
    }
    return dir
}

/// A test case with a fresh temporary folder `tmp` for each test, removed at teardown.
open class TemporaryDirectoryTestCase: XCTestCase {
    /// The test's own folder (empty at the start of each test).
    public var tmp: String = ""

    open override func setUpWithError() throws {
        try super.setUpWithError()
        tmp = try temporaryFolder("\(type(of: self))-\(getpid())")
    }

    open override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: tmp)
        try super.tearDownWithError()
    }

    /// Writes `bytes` to `tmp/name` and returns the path.
    public func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = tmp + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The bytes of a file.
    public func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Makes a FIFO at `path` (a failure to make it fails the test and throws). A watchdog opens it for writing
/// after `after` seconds and closes it, so that a reader blocked in `open` wakes up (and the test fails on its
/// timing and message instead of hanging).
public func makeFIFO(_ path: String, watchdogAfter after: Double = 5, file: StaticString = #filePath, line: UInt = #line) throws {
    let made = mkfifo(path, 0o600)
    XCTAssertEqual(made, 0, "mkfifo \(path)", file: file, line: line)
    guard made == 0 else { throw CocoaError(.fileWriteUnknown) }
    DispatchQueue.global().asyncAfter(deadline: .now() + after) {
        let fd = open(path, O_WRONLY | O_NONBLOCK)
        if fd >= 0 { close(fd) }
    }
}

/// Writes `text` into the FIFO at `path` from another thread (the open blocks until a reader comes).
public func feedFIFO(_ path: String, _ text: String) {
    Thread.detachNewThread {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { return }
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }
}
