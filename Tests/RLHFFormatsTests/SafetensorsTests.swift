// safetensors: the reference's golden bytes, round trips, exact F16/BF16 conversion, sharded checkpoints,
// the real MiniLM file, and atomic writes that never lose the previous file.

import Foundation
import XCTest
import RLHFTensor
import RLHFTestSupport
@testable import RLHFFormats

final class SafetensorsTests: TemporaryDirectoryTestCase {
    // MARK: Golden bytes from huggingface/safetensors' tests

    func testEmptyDictGoldenBytes() throws {
        let path = tmp + "/empty.safetensors"
        try writeSafetensors([], metadata: [:], to: path)
        XCTAssertEqual(try read(path), [0x08, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20])
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(f.tensorNames, [])
        XCTAssertEqual(f.metadata, [:])
    }

    func testMetadataOnlyGoldenBytes() throws {
        let path = tmp + "/meta.safetensors"
        try writeSafetensors([], metadata: ["framework": "pt"], to: path)
        let bytes = try read(path)
        var expected: [UInt8] = []
        expected.u64(40)
        expected.ascii("{\"__metadata__\":{\"framework\":\"pt\"}}     ")
        XCTAssertEqual(bytes, expected)
        XCTAssertEqual(try SafetensorsFile(path: path).metadata, ["framework": "pt"])
    }

    func testSingleTensorGoldenBytes() throws {
        let path = tmp + "/attn.safetensors"
        try writeSafetensors([("attn.0", Tensor([0, 1, 2, 3, 4, 5], shape: [1, 2, 3]))], metadata: [:], to: path)
        var expected: [UInt8] = []
        expected.u64(64)
        expected.ascii("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}")
        for v in 0..<6 { expected.f32(Float(v)) }
        XCTAssertEqual(try read(path), expected)

        // `attn0` with shape [1,1,2,3]: 65 bytes of JSON padded with 7 spaces to N = 72.
        let path2 = tmp + "/attn0.safetensors"
        try writeSafetensors([("attn0", Tensor([0, 1, 2, 3, 4, 5], shape: [1, 1, 2, 3]))], metadata: [:], to: path2)
        let bytes = try read(path2)
        XCTAssertEqual(Array(bytes[0..<8]), [72, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(
            String(decoding: bytes[8..<80], as: UTF8.self),
            "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ")
    }

    // MARK: Round trips

    func testRoundTripSortsByNameAndKeepsValues() throws {
        var rng = TestRNG(seed: 1)
        let a = Tensor((0..<12).map { _ in rng.float() }, shape: [3, 4])
        let b = Tensor((0..<5).map { _ in rng.float() }, shape: [5])
        let s = Tensor(scalar: 3.5)
        let empty = Tensor(zeros: [0, 7])
        let transposed = a.transposed()   // not contiguous: packed on write
        let big = Tensor((0..<300_000).map { Float($0) * 0.5 }, shape: [600, 500])   // > 1 MiB: memory-mapped
        let path = tmp + "/rt.safetensors"
        try writeSafetensors([("z.weight", a), ("a.bias", b), ("scalar", s), ("empty", empty), ("t", transposed), ("big", big)], to: path)
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(f.metadata, ["format": "pt"])
        XCTAssertEqual(f.tensorNames, ["a.bias", "big", "empty", "scalar", "t", "z.weight"])
        XCTAssertEqual(try f.tensor("big").scalars, big.scalars)
        XCTAssertEqual(try f.tensor("z.weight").scalars, a.scalars)
        XCTAssertEqual(try f.tensor("z.weight").shape, [3, 4])
        XCTAssertEqual(try f.tensor("a.bias").scalars, b.scalars)
        XCTAssertEqual(try f.tensor("scalar").shape, [])
        XCTAssertEqual(try f.tensor("scalar").scalars, [3.5])
        XCTAssertEqual(try f.tensor("empty").shape, [0, 7])
        XCTAssertEqual(try f.tensor("t").scalars, transposed.scalars)
        let info = try XCTUnwrap(f.info("z.weight"))
        XCTAssertEqual(info.dtype, "F32")
        XCTAssertEqual(info.dataOffsets.1 - info.dataOffsets.0, 48)
        XCTAssertNil(f.info("missing"))
        assertFormatError(try f.tensor("missing"), path: path, "no tensor named 'missing'")
        // The header is padded so that the data starts 8-aligned.
        let n = try read(path).prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
    }

    func testWriterEscapesNamesLikeSerdeJSON() throws {
        let path = tmp + "/esc.safetensors"
        let name = "a\"b\\c\nd\u{01}é/"
        try writeSafetensors([(name, Tensor([1]))], metadata: ["note": "tab\there"], to: path)
        let header = String(decoding: try read(path)[8...], as: UTF8.self)
        XCTAssertTrue(header.contains(#""a\"b\\c\nd\u0001é/""#), header)
        XCTAssertTrue(header.contains(#""note":"tab\there""#), header)
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(f.tensorNames, [name])
        XCTAssertEqual(f.metadata["note"], "tab\there")
    }

    func testWriterRejectsDuplicateAndReservedNames() throws {
        let path = tmp + "/dup.safetensors"
        assertFormatError(try writeSafetensors([("a", Tensor([1])), ("a", Tensor([2]))], to: path), path: path, "'a'", "twice")
        assertFormatError(try writeSafetensors([("__metadata__", Tensor([1]))], to: path), path: path, "not a valid tensor name")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    // MARK: Half-precision conversion

    func testF16AndBF16ConvertExactly() throws {
        // (half bits, float value) pairs covering signs, subnormals, the extremes and specials.
        let halves: [(UInt16, Float)] = [
            (0x0000, 0), (0x8000, -0.0), (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125),
            (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x0400, 0x1p-14), (0x7BFF, 65504), (0xFBFF, -65504),
            (0x7C00, .infinity), (0xFC00, -.infinity)
        ]
        let bf16: [(UInt16, Float)] = [
            (0x0000, 0), (0x8000, -0.0), (0x3F80, 1), (0xC040, -3), (0x3EAA, 0.33203125),
            (0x0001, Float(bitPattern: 0x0001_0000)), (0x7F7F, Float(bitPattern: 0x7F7F_0000)),
            (0x7F80, .infinity), (0xFF80, -.infinity)
        ]
        for (h, f) in halves {
            XCTAssertEqual(floatFromHalfBits(h).bitPattern, f.bitPattern, "half 0x\(String(h, radix: 16))")
            XCTAssertEqual(halfBitsFromFloat(f), h)
        }
        for (b, f) in bf16 {
            XCTAssertEqual(floatFromBFloat16Bits(b).bitPattern, f.bitPattern)
            XCTAssertEqual(bfloat16BitsFromFloat(f), b)
        }
        XCTAssertEqual(floatFromHalfBits(0x7E01).bitPattern, 0x7FC0_2000, "NaN payload kept")
        XCTAssertEqual(bfloat16BitsFromFloat(Float(bitPattern: 0x7F80_0001)), 0x7FC0, "NaN made quiet")
        XCTAssertEqual(bfloat16BitsFromFloat(Float(bitPattern: 0x3F80_8000)), 0x3F80, "ties to even (down)")
        XCTAssertEqual(bfloat16BitsFromFloat(Float(bitPattern: 0x3F81_8000)), 0x3F82, "ties to even (up)")

        // Every one of the 65536 half bit patterns: the vector path equals the scalar one and Swift's Float16.
        var raw: [UInt8] = []
        for h in 0...UInt16.max { raw.u16(h) }
        var out = [Float](repeating: 0, count: 65536)
        raw.withUnsafeBytes { src in out.withUnsafeMutableBufferPointer { convertHalfToFloat(src.baseAddress! + 0, $0.baseAddress!, count: 65536) } }
        for h in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: h))
            if expected.isNaN {
                XCTAssertTrue(out[Int(h)].isNaN)
                XCTAssertEqual(out[Int(h)].bitPattern, floatFromHalfBits(h).bitPattern)
            } else {
                XCTAssertEqual(out[Int(h)].bitPattern, expected.bitPattern, "half 0x\(String(h, radix: 16))")
            }
        }

        // Through a file: F16 and BF16 tensors (written by hand) load as the same Float32 values.
        var data: [UInt8] = []
        for (h, _) in halves { data.u16(h) }
        for (b, _) in bf16 { data.u16(b) }
        let hn = halves.count * 2, bn = bf16.count * 2
        var header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[\(halves.count)],\"data_offsets\":[0,\(hn)]},"
        header += "\"b\":{\"dtype\":\"BF16\",\"shape\":[\(bf16.count)],\"data_offsets\":[\(hn),\(hn + bn)]}}"
        let path = try write(safetensorsBytes(header, data), "half.safetensors")
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(try f.tensor("h").scalars.map(\.bitPattern), halves.map(\.1.bitPattern))
        XCTAssertEqual(try f.tensor("b").scalars.map(\.bitPattern), bf16.map(\.1.bitPattern))
    }

    func testOtherDtypesConvertOrThrow() throws {
        var data: [UInt8] = []
        data.u64(UInt64(bitPattern: -7)); data.u64(1 << 40)   // I64
        data.u32(UInt32(bitPattern: -3)); data.u32(5)   // I32
        data.u64(Double(0.1).bitPattern)   // F64
        data.append(contentsOf: [1, 0, 1, 0])   // BOOL
        data.append(contentsOf: [0x38, 0x38])   // F8_E4M3
        let header =
            #"{"i64":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"i32":{"dtype":"I32","shape":[2],"data_offsets":[16,24]},"f64":{"dtype":"F64","shape":[],"data_offsets":[24,32]},"mask":{"dtype":"BOOL","shape":[2,2],"data_offsets":[32,36]},"f8":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[36,38]}}"#
        let path = try write(safetensorsBytes(header, data), "dtypes.safetensors")
        let f = try SafetensorsFile(path: path)
        XCTAssertEqual(try f.tensor("i64", allowingIntegers: true).scalars, [-7, 1_099_511_627_776])
        XCTAssertEqual(try f.tensor("i32", allowingIntegers: true).scalars, [-3, 5])
        XCTAssertEqual(try f.tensor("f64").scalars, [Float(0.1)])
        XCTAssertEqual(try f.tensor("mask", allowingIntegers: true).scalars, [1, 0, 1, 0])
        for name in ["i64", "i32", "mask"] {
            assertFormatError(try f.tensor(name), path: path, "tensor '\(name)'", "is not a floating-point type")
        }
        XCTAssertEqual(f.info("f8")?.dtype, "F8_E4M3")
        assertFormatError(try f.tensor("f8"), path: path, "tensor 'f8'", "F8_E4M3", "cannot be read as Float32")
    }

    // MARK: Checkpoint folders

    func testShardedCheckpointLoadsThroughIndex() throws {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2]), b = Tensor([5, 6, 7], shape: [3]), c = Tensor([8], shape: [1])
        try writeSafetensors([("model.a", a), ("model.b", b)], to: tmp + "/model-00001-of-00002.safetensors")
        try writeSafetensors([("model.c", c), ("model.extra", c)], to: tmp + "/model-00002-of-00002.safetensors")
        let index =
            #"{"metadata":{"total_size":32},"weight_map":{"model.a":"model-00001-of-00002.safetensors","model.b":"model-00001-of-00002.safetensors","model.c":"model-00002-of-00002.safetensors"}}"#
        _ = try write(Array(index.utf8), "model.safetensors.index.json")
        let ckpt = try SafetensorsCheckpoint(directory: tmp)
        XCTAssertEqual(ckpt.files.count, 2)
        XCTAssertEqual(ckpt.tensorNames, ["model.a", "model.b", "model.c"])
        XCTAssertEqual(try ckpt.tensor("model.a").scalars, [1, 2, 3, 4])
        XCTAssertEqual(try ckpt.tensor("model.c").scalars, [8])
        XCTAssertEqual(ckpt.info("model.b")?.shape, [3])
        XCTAssertEqual(ckpt.filePath(of: "model.c"), tmp + "/model-00002-of-00002.safetensors")
        assertFormatError(try ckpt.tensor("model.extra"), path: tmp, "no tensor named 'model.extra'")

        // An index naming a tensor its shard lacks, a shard path leaving the folder, a missing shard.
        let indexPath = tmp + "/model.safetensors.index.json"
        _ = try write(Array(#"{"weight_map":{"model.zz":"model-00001-of-00002.safetensors"}}"#.utf8), "model.safetensors.index.json")
        assertFormatError(try SafetensorsCheckpoint(directory: tmp), path: indexPath, "weight_map.model.zz", "not in shard")
        _ = try write(Array(#"{"weight_map":{"model.a":"../elsewhere.safetensors"}}"#.utf8), "model.safetensors.index.json")
        assertFormatError(try SafetensorsCheckpoint(directory: tmp), path: indexPath, "must be a relative path inside the folder")
        _ = try write(Array(#"{"weight_map":{"model.a":"model-00009.safetensors"}}"#.utf8), "model.safetensors.index.json")
        assertFormatError(try SafetensorsCheckpoint(directory: tmp), path: tmp + "/model-00009.safetensors", "cannot open")
        _ = try write(Array("{\"weight_map\":\n  {\"a\": 1,}\n}".utf8), "model.safetensors.index.json")
        assertFormatError(try SafetensorsCheckpoint(directory: tmp), path: indexPath, "invalid JSON at line 2, column 11")
        _ = try write(Array(#"{"metadata":{}}"#.utf8), "model.safetensors.index.json")
        assertFormatError(try SafetensorsCheckpoint(directory: tmp), path: indexPath, "missing required key 'weight_map'")
    }

    func testSingleFileCheckpointAndMissingFolder() throws {
        try writeSafetensors([("w", Tensor([1, 2]))], to: tmp + "/model.safetensors")
        let ckpt = try SafetensorsCheckpoint(directory: tmp)
        XCTAssertEqual(ckpt.tensorNames, ["w"])
        XCTAssertEqual(try ckpt.tensor("w").scalars, [1, 2])
        let empty = tmp + "/none"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        assertFormatError(try SafetensorsCheckpoint(directory: empty), path: empty + "/model.safetensors", "cannot open")
    }

    func testRealMiniLMCheckpoint() throws {
        let dir = try realModelPath("minilm")
        let ckpt = try SafetensorsCheckpoint(directory: dir)
        let names = ckpt.tensorNames
        XCTAssertTrue(names.contains("embeddings.word_embeddings.weight"), "\(names.prefix(5))")
        XCTAssertEqual(ckpt.info("embeddings.word_embeddings.weight")?.shape, [30522, 384])
        XCTAssertEqual(ckpt.info("encoder.layer.5.output.LayerNorm.bias")?.shape, [384])
        let w = try ckpt.tensor("embeddings.word_embeddings.weight")
        XCTAssertEqual(w.shape, [30522, 384])
        XCTAssertTrue(w.scalars.allSatisfy(\.isFinite))
        // position_ids is stored as I64 [1, 512]: it loads as 0 … 511.
        XCTAssertEqual(ckpt.info("embeddings.position_ids")?.dtype, "I64")
        XCTAssertEqual(try ckpt.tensor("embeddings.position_ids", allowingIntegers: true).scalars, (0..<512).map(Float.init))
        XCTAssertThrowsError(try ckpt.tensor("embeddings.position_ids"))
    }

    // MARK: Atomic writes

    func testFailedWritesLeaveThePreviousFileIntact() throws {
        let path = tmp + "/keep.safetensors"
        try writeSafetensors([("w", Tensor([1, 2, 3]))], to: path)
        let good = try read(path)
        let temporary = "\(path).tmp-\(getpid())"

        // 1. The temporary file cannot be created (a folder is in the way).
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        assertFormatError(try writeSafetensors([("w", Tensor([9, 9]))], to: path), path: path, "cannot create temporary file")
        try FileManager.default.removeItem(atPath: temporary)
        XCTAssertEqual(try read(path), good)

        // 2. The disk fills up mid-write (the temporary name points at /dev/full).
        if FileManager.default.fileExists(atPath: "/dev/full") {
            try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: "/dev/full")
            assertFormatError(try writeSafetensors([("w", Tensor(zeros: [1 << 16]))], to: path), path: path, "cannot write")
            XCTAssertFalse(FileManager.default.fileExists(atPath: temporary), "temporary file left behind")
            XCTAssertEqual(try read(path), good)
        }

        // 3. The writer fails after writing part of the file: nothing of it reaches `path`.
        struct Interrupted: Error {}
        XCTAssertThrowsError(
            try AtomicFileWriter.write(to: path) { out in
                try out.write([1, 2, 3])
                throw Interrupted()
            })
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary))
        XCTAssertEqual(try read(path), good)
        XCTAssertEqual(try SafetensorsFile(path: path).tensor("w").scalars, [1, 2, 3])

        // 4. The rename fails (a non-empty folder at the destination): the temporary file is removed.
        let blocked = tmp + "/blocked"
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        assertFormatError(try writeSafetensors([("w", Tensor([1]))], to: blocked), path: blocked, "cannot rename")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(blocked).tmp-\(getpid())"))

        // 5. A successful write replaces the file whole.
        try writeSafetensors([("w", Tensor([4, 5]))], to: path)
        XCTAssertEqual(try SafetensorsFile(path: path).tensor("w").scalars, [4, 5])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp).filter { $0.contains(".tmp-") }, [])
    }
}

/// A safetensors file from a header text (not padded) and data bytes.
func safetensorsBytes(_ header: String, _ data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
    var out: [UInt8] = []
    let h = Array(header.utf8)
    out.u64(declaredLength ?? UInt64(h.count))
    out.append(contentsOf: h)
    out.append(contentsOf: data)
    return out
}
