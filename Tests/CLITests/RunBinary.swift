// Running the built `rlhf` binary from the CLI tests: where it is, and one run with its exit status,
// standard output and standard error. A run that dies by a signal (a trap) fails the calling test.

import Foundation
import XCTest

/// The built `rlhf` next to the test bundle.
var rlhfBinary: URL {
    for b in [Bundle.main] + Bundle.allBundles {
        for dir in [b.bundleURL, b.bundleURL.deletingLastPathComponent()] {
            let url = dir.appendingPathComponent("rlhf")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
    }
    XCTFail("rlhf binary not found near \(Bundle.main.bundleURL.path)")
    return Bundle.main.bundleURL
}

/// Runs `rlhf args`, feeding `stdin` to its standard input when given; fails the test when the process
/// dies by a signal instead of exiting.
func runRLHF(_ args: [String], stdin: Data? = nil, file: StaticString = #filePath, line: UInt = #line) throws
    -> (status: Int32, out: String, err: String)
{
    let p = Process()
    p.executableURL = rlhfBinary
    p.arguments = args
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    if stdin != nil { p.standardInput = input }
    try p.run()
    if let stdin {
        Thread.detachNewThread {
            input.fileHandleForWriting.write(stdin)
            try? input.fileHandleForWriting.close()
        }
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationReason, .exit, "\(args.prefix(3)) died by signal \(p.terminationStatus)", file: file, line: line)
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
