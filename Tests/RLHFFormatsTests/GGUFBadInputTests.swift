// GGUF bad input: crafted files for each guard of the reader (formats-and-reliability.md A2 and B5); each
// must throw a FormatError naming the file and the offset. Then every truncation and many random
// corruptions of a valid file: errors, never a crash.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFFormats

/// Builds GGUF bytes field by field, so that a test can break exactly one of them.
struct GGUFBuilder {
    struct TensorSpec {
        var name: String
        var dims: [UInt64]
        var type: UInt32
        var data: [UInt8]
        var offset: UInt64? = nil   // nil: packed after the previous tensor, aligned
    }
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var tensorCount: UInt64? = nil
    var kvCount: UInt64? = nil
    var kvs: [[UInt8]] = []
    var tensors: [TensorSpec] = []
    var alignment = 32

    static func string(_ s: String) -> [UInt8] { var b: [UInt8] = []; b.u64(UInt64(s.utf8.count)); b.ascii(s); return b }

    /// A key-value pair: key, value type, payload bytes.
    mutating func kv(_ key: String, _ type: UInt32, _ payload: [UInt8]) {
        var b = GGUFBuilder.string(key)
        b.u32(type)
        b.append(contentsOf: payload)
        kvs.append(b)
    }

    mutating func kvString(_ key: String, _ value: String) { kv(key, 8, GGUFBuilder.string(value)) }
    mutating func kvU32(_ key: String, _ value: UInt32) { var b: [UInt8] = []; b.u32(value); kv(key, 4, b) }

    /// The file, and the offsets of the tensor-info section and of the data section.
    func build() -> (bytes: [UInt8], infoOffset: Int, dataOffset: Int) {
        var b: [UInt8] = magic
        b.u32(version)
        b.u64(tensorCount ?? UInt64(tensors.count))
        b.u64(kvCount ?? UInt64(kvs.count))
        for kv in kvs { b.append(contentsOf: kv) }
        let infoOffset = b.count
        var next: UInt64 = 0
        var offsets: [UInt64] = []
        for t in tensors {
            b.append(contentsOf: GGUFBuilder.string(t.name))
            b.u32(UInt32(t.dims.count))
            for d in t.dims { b.u64(d) }
            b.u32(t.type)
            let off = t.offset ?? next
            b.u64(off)
            offsets.append(off)
            next = (off &+ UInt64(t.data.count) &+ UInt64(alignment - 1)) / UInt64(alignment) * UInt64(alignment)
        }
        while b.count % alignment != 0 { b.append(0) }
        let dataOffset = b.count
        // Each tensor's bytes at its offset (offsets past 1 MiB are left out: they point past the end).
        for (t, off) in zip(tensors, offsets) where off < 1 << 20 {
            let at = dataOffset + Int(off)
            if b.count < at + t.data.count { b.append(contentsOf: [UInt8](repeating: 0, count: at + t.data.count - b.count)) }
            b.replaceSubrange(at..<(at + t.data.count), with: t.data)
        }
        return (b, infoOffset, dataOffset)
    }

    /// A small valid file: two metadata keys and an F32 [4] and a Q8_0 [32, 2] tensor.
    static func valid() -> GGUFBuilder {
        var g = GGUFBuilder()
        g.kvString("general.architecture", "llama")
        g.kvU32("llama.block_count", 2)
        var f32: [UInt8] = []
        for v: Float in [1, 2, 3, 4] { f32.f32(v) }
        var q8: [UInt8] = []
        for block in 0..<2 {
            q8.u16(0x3800)   // d = 0.5
            for i in 0..<32 { q8.append(UInt8(bitPattern: Int8(i - 16 + block))) }
        }
        g.tensors = [
            TensorSpec(name: "norm.weight", dims: [4], type: 0, data: f32),
            TensorSpec(name: "w.weight", dims: [32, 2], type: 8, data: q8)
        ]
        return g
    }
}

final class GGUFBadInputTests: TemporaryDirectoryTestCase {
    private func open(_ bytes: [UInt8]) throws -> (String, () throws -> GGUFFile) {
        let path = try write(bytes, "t-\(UUID().uuidString).gguf")
        return (path, { try GGUFFile(path: path) })
    }

    /// Asserts that `bytes` are rejected with a message naming the file, `offset N` and `fragments`.
    private func assertRejected(
        _ bytes: [UInt8], at offset: Int?, _ fragments: String...,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (path, load) = try open(bytes)
        let error = assertFormatError(try load(), path: path, file: file, line: line)
        let message = error?.description ?? ""
        if let offset { XCTAssertTrue(message.contains("offset \(offset)"), "no 'offset \(offset)' in: \(message)", file: file, line: line) }
        for f in fragments { XCTAssertTrue(message.contains(f), "message lacks '\(f)': \(message)", file: file, line: line) }
    }

    func testValidFixtureLoads() throws {
        let (bytes, _, dataOffset) = GGUFBuilder.valid().build()
        let (_, load) = try open(bytes)
        let f = try load()
        XCTAssertEqual(f.version, 3)
        XCTAssertEqual(f.metadataKeys, ["general.architecture", "llama.block_count"])
        XCTAssertEqual(f.metadata["llama.block_count"]?.int, 2)
        XCTAssertEqual(f.dataOffset, dataOffset)
        XCTAssertEqual(f.tensorInfos.map(\.name), ["norm.weight", "w.weight"])
        XCTAssertEqual(try f.tensor("norm.weight").scalars, [1, 2, 3, 4])
        let w = try f.tensor("w.weight")
        XCTAssertEqual(w.shape, [2, 32])
        XCTAssertEqual(w.scalars, (0..<2).flatMap { b in (0..<32).map { Float($0 - 16 + b) * 0.5 } })
    }

    func testTruncatedAtSeveralCutPoints() throws {
        let (bytes, infoOffset, dataOffset) = GGUFBuilder.valid().build()
        for cut in [
            0, 3, 4, 7, 8, 15, 16, 23, 24, 30, infoOffset - 1, infoOffset + 5, infoOffset + 20, dataOffset - 1, dataOffset + 8, bytes.count - 1
        ] {
            let (path, load) = try open(Array(bytes.prefix(cut)))
            assertFormatError(try load(), path: path, "offset")
        }
        try assertRejected(Array(bytes.prefix(6)), at: 4, "truncated", "the version needs 4 bytes, only 2 left")
    }

    func testBadMagic() throws {
        var g = GGUFBuilder.valid()
        g.magic = Array("GGML".utf8)
        try assertRejected(g.build().bytes, at: 0, "bad magic 0x47474D4C", "expected 'GGUF'")
    }

    func testUnsupportedVersions() throws {
        for (v, text) in [
            (UInt32(1), "GGUF version 1 is not supported"), (4, "GGUF version 4 is not supported"),
            (0x0300_0000, "looks byte-swapped")
        ] {
            var g = GGUFBuilder.valid()
            g.version = v
            try assertRejected(g.build().bytes, at: 4, text)
        }
        var v2 = GGUFBuilder.valid()
        v2.version = 2
        let (_, load) = try open(v2.build().bytes)
        XCTAssertEqual(try load().version, 2)
    }

    func testAbsurdCounts() throws {
        var g = GGUFBuilder.valid()
        g.tensorCount = 1 << 60
        try assertRejected(g.build().bytes, at: 8, "tensor count 1152921504606846976 is more than")
        g = GGUFBuilder.valid()
        g.kvCount = UInt64.max
        try assertRejected(g.build().bytes, at: 16, "metadata count 18446744073709551615 is more than")
    }

    func testAbsurdStringLength() throws {
        var g = GGUFBuilder.valid()
        var kv: [UInt8] = []
        kv.u64(1 << 62)   // key length
        kv.ascii("general.name")
        g.kvs.insert(kv, at: 0)
        try assertRejected(g.build().bytes, at: 24, "length 4611686018427387904 of a metadata key is more than")
        g = GGUFBuilder.valid()
        var value: [UInt8] = []
        value.u64(UInt64.max)
        g.kv("general.name", 8, value)
        try assertRejected(g.build().bytes, at: nil, "of the value of key 'general.name' is more than")
    }

    func testNestedAndAbsurdArrays() throws {
        var g = GGUFBuilder.valid()
        var payload: [UInt8] = []
        payload.u32(9)   // element type: array
        payload.u64(1)
        g.kv("bad.nested", 9, payload)
        try assertRejected(g.build().bytes, at: nil, "key 'bad.nested' is an array of arrays")
        g = GGUFBuilder.valid()
        payload = []
        payload.u32(8)
        payload.u64(1 << 40)
        g.kv("bad.long", 9, payload)
        try assertRejected(g.build().bytes, at: nil, "array length 1099511627776 of key 'bad.long'")
        g = GGUFBuilder.valid()
        payload = []
        payload.u32(77)
        payload.u64(1)
        g.kv("bad.elem", 9, payload)
        try assertRejected(g.build().bytes, at: nil, "unknown array element type 77 for key 'bad.elem'")
    }

    func testBadMetadataValues() throws {
        var g = GGUFBuilder.valid()
        g.kv("bad.type", 13, [0])
        try assertRejected(g.build().bytes, at: nil, "unknown value type 13 for key 'bad.type'")
        g = GGUFBuilder.valid()
        g.kv("bad.bool", 7, [2])
        try assertRejected(g.build().bytes, at: nil, "bool value 2 of key 'bad.bool' is not 0 or 1")
        g = GGUFBuilder.valid()
        g.kvU32("llama.block_count", 3)
        try assertRejected(g.build().bytes, at: nil, "duplicate metadata key 'llama.block_count'")
        g = GGUFBuilder.valid()
        g.kv("bad.utf8", 8, [2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28])
        try assertRejected(g.build().bytes, at: nil, "the value of key 'bad.utf8' is not valid UTF-8")
    }

    func testBadAlignment() throws {
        for (a, text) in [
            (UInt32(0), "general.alignment 0 is not a power of two"), (48, "general.alignment 48 is not"),
            (1 << 21, "general.alignment 2097152 is not")
        ] {
            var g = GGUFBuilder.valid()
            g.kvU32("general.alignment", a)
            try assertRejected(g.build().bytes, at: nil, text)
        }
        var g = GGUFBuilder.valid()
        var p: [UInt8] = []
        p.u32(32)
        g.kv("general.alignment", 5, p)   // int32, not uint32
        try assertRejected(g.build().bytes, at: nil, "general.alignment is int32, expected uint32")
        // A valid non-default alignment moves the data section.
        g = GGUFBuilder.valid()
        g.kvU32("general.alignment", 64)
        g.alignment = 64
        let (bytes, _, dataOffset) = g.build()
        let (_, load) = try open(bytes)
        let f = try load()
        XCTAssertEqual(f.alignment, 64)
        XCTAssertEqual(f.dataOffset, dataOffset)
        XCTAssertEqual(try f.tensor("norm.weight").scalars, [1, 2, 3, 4])
    }

    func testTooManyDimensionsAndOverflow() throws {
        var g = GGUFBuilder.valid()
        g.tensors[0].dims = [1, 1, 4, 1, 1]
        try assertRejected(g.build().bytes, at: nil, "tensor 'norm.weight' has 5 dimensions, more than 4")
        g = GGUFBuilder.valid()
        g.tensors[0].dims = [1 << 40, 1 << 40]
        try assertRejected(g.build().bytes, at: nil, "dimensions of tensor 'norm.weight' overflow the element count")
        g = GGUFBuilder.valid()
        g.tensors[0].dims = [UInt64.max]
        try assertRejected(g.build().bytes, at: nil, "dimension 0 of tensor 'norm.weight' is 18446744073709551615, too large")
    }

    func testUnknownTypeAndBlockSize() throws {
        var g = GGUFBuilder.valid()
        g.tensors[0].type = 99
        try assertRejected(g.build().bytes, at: nil, "tensor 'norm.weight' has unknown ggml type 99")
        g = GGUFBuilder.valid()
        g.tensors[1].dims = [16, 4]   // Q8_0 blocks hold 32
        try assertRejected(g.build().bytes, at: nil, "first dimension 16 is not a multiple of the q8_0 block size 32")
    }

    func testOffsetsPastEndMisalignedAndOverlapping() throws {
        var g = GGUFBuilder.valid()
        g.tensors[1].offset = 1 << 30
        try assertRejected(g.build().bytes, at: nil, "tensor 'w.weight' needs 68 bytes of data at offset 1073741824", "past the end of the file")
        g = GGUFBuilder.valid()
        g.tensors[1].offset = 4
        try assertRejected(g.build().bytes, at: nil, "data offset 4 is not a multiple of the alignment 32")
        g = GGUFBuilder.valid()
        g.tensors[1].offset = 0
        try assertRejected(g.build().bytes, at: nil, "data of tensor ", "overlaps tensor ")
        g = GGUFBuilder.valid()
        g.tensors[1].offset = UInt64.max - 31
        try assertRejected(g.build().bytes, at: nil, "data offset 18446744073709551584 is too large")
        g = GGUFBuilder.valid()
        g.tensors[1].offset = UInt64(Int64.max) - 63
        try assertRejected(g.build().bytes, at: nil, "past the end of the file")
    }

    func testBadTensorNames() throws {
        var g = GGUFBuilder.valid()
        g.tensors[1].name = "norm.weight"
        try assertRejected(g.build().bytes, at: nil, "duplicate tensor name 'norm.weight'")
        g = GGUFBuilder.valid()
        g.tensors[0].name = String(repeating: "x", count: 64)
        try assertRejected(g.build().bytes, at: nil, "is 64 bytes, longer than 63")
    }

    func testUnsupportedTypeThrowsOnRead() throws {
        var g = GGUFBuilder.valid()
        g.tensors.append(.init(name: "k.weight", dims: [256], type: 13, data: [UInt8](repeating: 0, count: 176)))   // Q5_K
        let (path, load) = try open(g.build().bytes)
        let f = try load()
        XCTAssertEqual(f.info("k.weight")?.type, .q5_K)
        assertFormatError(try f.tensor("k.weight"), path: path, "tensor 'k.weight'", "q5_K cannot be dequantised")
        assertFormatError(try f.tensor("nope"), path: path, "no tensor named 'nope'")
    }

    func testTruncationsAndCorruptionsNeverCrash() throws {
        // In memory: the parser sees the same bytes a file would give it, without 2000 slow file writes.
        let (valid, _, _) = GGUFBuilder.valid().build()
        for cut in 0..<valid.count {
            let file = MappedFile(copying: Array(valid.prefix(cut)), path: "cut.gguf")
            XCTAssertThrowsError(try GGUFFile(file)) { XCTAssertTrue($0 is FormatError, "\($0)") }
        }
        var rng = TestRNG(seed: 11)
        for _ in 0..<3000 {
            var bytes = valid
            for _ in 0..<(1 + rng.int(3)) { bytes[rng.int(bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            do {
                let f = try GGUFFile(MappedFile(copying: bytes, path: "mutated.gguf"))
                for t in f.tensorInfos { _ = try? f.tensor(t.name) }
            } catch {
                XCTAssertTrue(error is FormatError, "\(error)")
            }
        }
    }
}
