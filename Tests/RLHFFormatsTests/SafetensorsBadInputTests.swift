// safetensors bad input: one crafted file per validation rule of the reference reader (in its order) and
// per extra check of ours; each must throw a FormatError that names the file and the fault. Then every
// truncation and many random corruptions of a valid file: errors, never a crash.

import Foundation
import XCTest
import RLHFTensor
import RLHFTestSupport
@testable import RLHFFormats

final class SafetensorsBadInputTests: TemporaryDirectoryTestCase {
    private let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    private let goodData = [UInt8](repeating: 0, count: 12)

    /// Writes the bytes and asserts that opening them fails with a message naming the file and `fragments`.
    private func assertRejected(_ bytes: [UInt8], _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(bytes, "bad-\(UUID().uuidString).safetensors")
        let error = assertFormatError(try SafetensorsFile(path: path), path: path, file: file, line: line)
        for f in fragments {
            XCTAssertTrue(error?.description.contains(f) ?? false, "message lacks '\(f)': \(error?.description ?? "")", file: file, line: line)
        }
    }

    func testGoodFixtureLoads() throws {
        let path = try write(safetensorsBytes(good, goodData), "good.safetensors")
        XCTAssertEqual(try SafetensorsFile(path: path).tensorNames, ["a", "b"])
    }

    /// F32 weights relabelled I32 keep their size, so the header is valid; reading them as weights must
    /// fail naming the file and the tensor, not give integers made of float bits.
    func testF32DataRelabelledI32IsNotAWeight() throws {
        var data: [UInt8] = []
        for v: Float in [0.5, -1.25, 3] { data.f32(v) }
        let path = try write(safetensorsBytes(#"{"w":{"dtype":"I32","shape":[3],"data_offsets":[0,12]}}"#, data), "relabelled.safetensors")
        let f = try SafetensorsFile(path: path)
        assertFormatError(try f.tensor("w"), path: path, "tensor 'w'", "dtype I32 is not a floating-point type")
        XCTAssertEqual(try f.tensor("w", allowingIntegers: true).scalars, [0.5, -1.25, 3].map { Float(Int32(bitPattern: Float($0).bitPattern)) })
        XCTAssertEqual(
            try SafetensorsFile(
                path: try write(
                    safetensorsBytes(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#, data),
                    "f32.safetensors")
            ).tensor("w").scalars, [0.5, -1.25, 3])
    }

    // 1. Shorter than the header length.
    func testTooSmall() throws {
        try assertRejected([1, 2, 3, 4, 5], "offset 0", "5 bytes, too small")
        try assertRejected([], "0 bytes, too small")
    }

    // 2. Header length over 100 MB.
    func testOversizedHeader() throws {
        try assertRejected(safetensorsBytes("{}", [], declaredLength: 100_000_001), "header length 100000001 is larger than the limit")
        try assertRejected(safetensorsBytes("{}", [], declaredLength: UInt64.max), "larger than the limit")
    }

    // 3. Header past the end of the file.
    func testHeaderPastEndOfFile() throws {
        try assertRejected(safetensorsBytes("{}", [], declaredLength: 4096), "header length 4096 runs past the end of the file")
    }

    // 4. Not UTF-8.
    func testHeaderNotUTF8() throws {
        var bytes = safetensorsBytes(#"{"a\#u{7F}":1}"#, [])
        bytes[11] = 0xFF
        try assertRejected(bytes, "offset 8", "not valid UTF-8")
    }

    // 5. Not starting with '{'.
    func testHeaderNotStartingWithBrace() throws {
        try assertRejected(safetensorsBytes(" {}     ", []), "offset 8", "does not start with '{'")
        try assertRejected(safetensorsBytes("[]      ", []), "does not start with '{'")
    }

    // 6. Invalid JSON, wrong field types, unknown dtype, duplicate keys.
    func testInvalidJSONAndFieldTypes() throws {
        try assertRejected(safetensorsBytes(#"{"a":{"dtype":"F32","#, []), "not valid JSON", "unexpected end of input")
        try assertRejected(
            safetensorsBytes(#"{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, goodData), "tensor 'a'", "unknown dtype 'F33'")
        try assertRejected(safetensorsBytes(#"{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}"#, goodData), "tensor 'a'", "shape is a string")
        try assertRejected(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, goodData), "shape holds -2")
        try assertRejected(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, goodData), "shape holds 2.0")
        try assertRejected(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2]}}"#, goodData), "missing field 'data_offsets'")
        try assertRejected(safetensorsBytes(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}"#, goodData), "data_offsets has 3 numbers")
        try assertRejected(safetensorsBytes(#"{"a":[1]}"#, []), "tensor 'a' is an array")
        try assertRejected(safetensorsBytes(#"{"__metadata__":{"format":1}}"#, []), "__metadata__ value of 'format' is a number")
        try assertRejected(safetensorsBytes(#"{"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]), "empty tensor name")
        try assertRejected(safetensorsBytes("{\"a\":" + String(repeating: "[", count: 10_000), []), "nesting deeper than")
    }

    func testDuplicateKey() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try assertRejected(safetensorsBytes(header, [UInt8](repeating: 0, count: 8)), "duplicate key 'a'", "offset 62")
    }

    // 7. Offsets: overlap, gap, not starting at 0, end before begin.
    func testOverlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try assertRejected(safetensorsBytes(header, [UInt8](repeating: 0, count: 12)), "tensor 'b'", "overlap tensor 'a', which ends at 8")
    }

    func testGapBetweenTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#
        try assertRejected(safetensorsBytes(header, [UInt8](repeating: 0, count: 16)), "tensor 'b'", "gap of 4 bytes after tensor 'a'")
        let first = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try assertRejected(safetensorsBytes(first, [UInt8](repeating: 0, count: 8)), "tensor 'a'", "the first tensor must start at 0")
        let backwards = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#
        try assertRejected(safetensorsBytes(backwards, [UInt8](repeating: 0, count: 4)), "tensor 'b'", "end before they begin")
    }

    // 8. Byte count against dtype × shape, with overflow checks.
    func testNbytesMismatch() throws {
        let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        try assertRejected(
            safetensorsBytes(header, [UInt8](repeating: 0, count: 8)), "tensor 'a'",
            "hold 8 bytes, but dtype F32 with shape [3] needs 12")
        let overflow = #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#
        try assertRejected(safetensorsBytes(overflow, [UInt8](repeating: 0, count: 8)), "tensor 'a'", "overflows")
        let bytesOverflow = #"{"a":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,8]}}"#
        try assertRejected(safetensorsBytes(bytesOverflow, [UInt8](repeating: 0, count: 8)), "overflows the byte count")
        let huge = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#
        try assertRejected(safetensorsBytes(huge, [UInt8](repeating: 0, count: 4)), "data_offsets holds 99999999999999999999")
    }

    // 9. Data must end exactly at the end of the file.
    func testTrailingBytesAndTruncatedData() throws {
        try assertRejected(safetensorsBytes(good, goodData + [0, 0, 0]), "3 unexpected trailing bytes")
        try assertRejected(safetensorsBytes(good, Array(goodData.prefix(10))), "truncated", "the tensor data needs 12 bytes, only 10 left")
    }

    func testMissingFileAndFolder() throws {
        let missing = tmp + "/nope.safetensors"
        assertFormatError(try SafetensorsFile(path: missing), path: missing, "cannot open", "No such file")
        assertFormatError(try SafetensorsFile(path: tmp), path: tmp, "not a regular file")
    }

    // Every truncation and 3000 random corruptions of a valid file: a FormatError or a valid file, never a crash.
    func testTruncationsAndCorruptionsNeverCrash() throws {
        let path = tmp + "/fuzz.safetensors"
        try writeSafetensors([("a", Tensor([1, 2, 3])), ("b.weight", Tensor([4, 5, 6, 7], shape: [2, 2]))], to: path)
        let valid = try read(path)
        // In memory: the parser sees the same bytes a file would give it, without 2000 slow file writes.
        for cut in 0..<valid.count {
            let file = MappedFile(copying: Array(valid.prefix(cut)), path: "cut.safetensors")
            XCTAssertThrowsError(try SafetensorsFile(file)) { XCTAssertTrue($0 is FormatError, "\($0)") }
        }
        var rng = TestRNG(seed: 7)
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<(1 + rng.int(3)) { bytes[rng.int(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            do {
                let f = try SafetensorsFile(MappedFile(copying: bytes, path: "mutated.safetensors"))
                for name in f.tensorNames { _ = try? f.tensor(name) }
            } catch {
                XCTAssertTrue(error is FormatError, "\(error)")
            }
        }
    }
}
