// Helpers of the format tests: byte builders and the FormatError assertion (the per-test temporary folder,
// test data generator and model paths are in RLHFTestSupport).

import Foundation
import XCTest
@testable import RLHFFormats

/// Asserts that `body` throws a `FormatError` whose message names `path` and contains every one of `fragments`.
@discardableResult
func assertFormatError<T>(
    _ body: @autoclosure () throws -> T, path: String, _ fragments: String...,
    file: StaticString = #filePath, line: UInt = #line
) -> FormatError? {
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
