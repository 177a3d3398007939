// Shared helpers of the format tests: a per-test temporary folder, byte builders, error assertions, and the
// paths of the real models (placed by scripts/fetch-models).

import Foundation
import XCTest
@testable import RLHFFormats

/// The repository root (three levels above this file).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The path of a real model file under models/, failing the test when it is missing.
func realModelPath(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let path = repoRoot + "/models/" + relative
    guard FileManager.default.fileExists(atPath: path) else {
        XCTFail("\(path) is missing: run `make test` or scripts/fetch-models", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }
    return path
}

/// A fresh temporary folder for one test, removed at teardown.
class TemporaryDirectoryTestCase: XCTestCase {
    var tmp: String = ""

    override func setUpWithError() throws {
        tmp = NSTemporaryDirectory() + "rlhf-formats-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: tmp)
    }

    /// Writes `bytes` to `tmp/name` and returns the path.
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = tmp + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The bytes of a file.
    func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Asserts that `body` throws a `FormatError` whose message names `path` and contains every one of `fragments`.
@discardableResult
func assertFormatError<T>(_ body: @autoclosure () throws -> T, path: String, _ fragments: String...,
                          file: StaticString = #filePath, line: UInt = #line) -> FormatError? {
    do {
        _ = try body()
        XCTFail("expected a FormatError containing \(fragments), got success", file: file, line: line)
        return nil
    } catch let error as FormatError {
        let message = error.description
        XCTAssertTrue(message.hasPrefix(path + ":"), "message does not start with the path: \(message)", file: file, line: line)
        for f in fragments {
            XCTAssertTrue(message.contains(f), "message lacks '\(f)': \(message)", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected a FormatError, got \(error)", file: file, line: line)
        return nil
    }
}

/// Little-endian byte building.
extension Array where Element == UInt8 {
    mutating func u8(_ v: UInt8) { append(v) }
    mutating func u16(_ v: UInt16) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) } }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func ascii(_ s: String) { append(contentsOf: Array(s.utf8)) }

    /// Parses a hex string (`"0a1B"`) into bytes.
    init(hex: String) {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var hi: UInt8? = nil
        for c in hex.utf8 {
            let v: UInt8 = c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10
            if let h = hi { out.append(h << 4 | v); hi = nil } else { hi = v }
        }
        self = out
    }
}

/// A tiny deterministic generator for test data (SplitMix64).
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func float() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
