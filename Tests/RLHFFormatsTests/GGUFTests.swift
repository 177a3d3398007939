// GGUF against gguf-py (goldens from scripts/goldens/gguf_goldens.py): random blocks of each supported type
// bit for bit, and the real SmolLM2-135M Q4_1 file (tensor list, metadata, dequantised values, sums). The
// llama Q/K un-permutation (RLHFModels) is tested against the same goldens in RLHFModelsTests/LlamaRotaryTests.

import Foundation
import XCTest
import RLHFTensor
import RLHFTestSupport
@testable import RLHFFormats

private struct Goldens: Decodable {
    struct Block: Decodable { let type: String; let blocks: Int; let raw_hex: String; let bits: [UInt32] }
    struct TensorEntry: Decodable { let name: String; let type: String; let shape: [Int]; let offset: Int }
    struct Values: Decodable {
        let name: String, type: String, count: Int
        let first64: [UInt32], last64: [UInt32]
        let sum: Double, sum_squares: Double
    }
    struct ArrayHead: Decodable { let count: Int; let head: [AnyScalar]; let tail: [AnyScalar]? }
    struct Real: Decodable {
        let version: Int, alignment: Int, data_offset: Int, kv_count: Int
        let metadata_keys_head: [String]
        let tensors: [TensorEntry]
        let metadata: [String: AnyScalar]
        let arrays: [String: ArrayHead]
        let values: [Values]
    }
    let blocks: [Block]
    let real: Real?
}

/// A JSON scalar of the goldens: string, integer, bool or `{"float_bits": n}`.
private enum AnyScalar: Decodable, Equatable {
    case string(String), int(Int), bool(Bool), floatBits(UInt32)
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            self = .floatBits(try c.decode([String: UInt32].self)["float_bits"] ?? 0)
        }
    }
}

final class GGUFTests: TemporaryDirectoryTestCase {
    private static let goldens: Goldens? = {
        guard let url = Bundle.module.url(forResource: "gguf_goldens", withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { return nil }
        return try? JSONDecoder().decode(Goldens.self, from: data)
    }()

    private func goldens() throws -> Goldens { try XCTUnwrap(GGUFTests.goldens, "Resources/gguf_goldens.json missing or unreadable") }

    // MARK: Blocks, bit for bit

    func testBlockGoldensBitExact() throws {
        let types: [String: GGMLType] = [
            "F16": .f16, "BF16": .bf16, "Q8_0": .q8_0, "Q4_0": .q4_0, "Q4_1": .q4_1,
            "Q4_K": .q4_K, "Q6_K": .q6_K
        ]
        let g = try goldens()
        XCTAssertEqual(Set(g.blocks.map(\.type)), Set(types.keys))
        for block in g.blocks {
            let type = try XCTUnwrap(types[block.type])
            let raw = [UInt8](hex: block.raw_hex)
            XCTAssertEqual(raw.count, block.blocks * type.typeSize, block.type)
            XCTAssertEqual(block.bits.count, block.blocks * type.blockSize, block.type)
            var out = [Float](repeating: .nan, count: block.bits.count)
            raw.withUnsafeBytes { src in
                out.withUnsafeMutableBufferPointer { dequantize(type, src.baseAddress!, $0.baseAddress!, count: block.bits.count) }
            }
            let mismatches = zip(out.map(\.bitPattern), block.bits).enumerated().filter { $0.element.0 != $0.element.1 }
            XCTAssertTrue(
                mismatches.isEmpty,
                "\(block.type): \(mismatches.count) values differ, first at \(mismatches.first.map { "\($0.offset): 0x\(String($0.element.0, radix: 16)) vs 0x\(String($0.element.1, radix: 16))" } ?? "")"
            )

            // The same blocks through a file, as a tensor of 2 rows when the count allows it.
            var b = GGUFBuilder()
            let n = block.bits.count
            let dims: [UInt64] = (n / type.blockSize) % 2 == 0 ? [UInt64(n / 2), 2] : [UInt64(n)]
            b.tensors = [.init(name: "t", dims: dims, type: type.rawValue, data: raw)]
            let path = try write(b.build().bytes, "block-\(block.type).gguf")
            let t = try GGUFFile(path: path).tensor("t")
            XCTAssertEqual(t.shape, dims.reversed().map { Int($0) })
            XCTAssertEqual(t.scalars.map(\.bitPattern), block.bits, block.type)
        }
    }

    // MARK: The real file

    func testRealSmolLM2File() throws {
        let g = try XCTUnwrap(try goldens().real, "goldens lack the real-file section")
        let path = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let f = try GGUFFile(path: path)
        XCTAssertEqual(f.version, g.version)
        XCTAssertEqual(f.alignment, g.alignment)
        XCTAssertEqual(f.dataOffset, g.data_offset)
        XCTAssertEqual(f.metadataKeys.count, g.kv_count)
        XCTAssertEqual(Array(f.metadataKeys.prefix(g.metadata_keys_head.count)), g.metadata_keys_head)
        XCTAssertEqual(f.tensorInfos.count, g.tensors.count)
        for (ours, theirs) in zip(f.tensorInfos, g.tensors) {
            XCTAssertEqual(ours.name, theirs.name)
            XCTAssertEqual("\(ours.type)".uppercased(), theirs.type, ours.name)
            XCTAssertEqual(ours.shape, theirs.shape, ours.name)
            XCTAssertEqual(ours.offset, theirs.offset, ours.name)
        }
        for (key, expected) in g.metadata {
            let v = try XCTUnwrap(f.metadata[key], key)
            switch expected {
            case .string(let s): XCTAssertEqual(v.string, s, key)
            case .int(let i): XCTAssertEqual(v.int, i, key)
            case .bool(let b): XCTAssertEqual(v, .bool(b), key)
            case .floatBits(let bits):
                guard case .float32(let x) = v else { XCTFail("\(key) is \(v.typeName)"); continue }
                XCTAssertEqual(x.bitPattern, bits, key)
            }
        }
        for (key, expected) in g.arrays {
            let a = try XCTUnwrap(f.metadata[key]?.array, key)
            XCTAssertEqual(a.count, expected.count, key)
            func scalar(_ v: GGUFValue) -> AnyScalar? { v.string.map(AnyScalar.string) ?? v.int.map(AnyScalar.int) }
            XCTAssertEqual(a.prefix(expected.head.count).map(scalar), expected.head.map { $0 }, key)
            if let tail = expected.tail { XCTAssertEqual(a.suffix(tail.count).map(scalar), tail.map { $0 }, key) }
        }
        XCTAssertEqual(f.metadata["tokenizer.ggml.tokens"]?.stringArray?.count, 49152)
        XCTAssertEqual(f.metadata["tokenizer.ggml.token_type"]?.intArray?.count, 49152)
        XCTAssertEqual(Set(g.values.map(\.type)), ["Q8_0", "Q4_1", "F32"])
        for v in g.values {
            let t = try f.tensor(v.name)
            XCTAssertEqual(t.count, v.count, v.name)
            let x = t.scalars
            XCTAssertEqual(x.prefix(64).map(\.bitPattern), v.first64, v.name)
            XCTAssertEqual(x.suffix(64).map(\.bitPattern), v.last64, v.name)
            var sum = 0.0, squares = 0.0
            for e in x { sum += Double(e); squares += Double(e) * Double(e) }
            XCTAssertEqual(sum, v.sum, accuracy: 1e-6 * max(abs(v.sum), 1), v.name)
            XCTAssertEqual(squares, v.sum_squares, accuracy: 1e-6 * v.sum_squares, v.name)
        }
    }

    /// Dequantises every tensor of the real file and prints the time (speed is reported, not asserted).
    func testRealFileDequantisesEveryTensor() throws {
        let path = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let open0 = Date()
        let f = try GGUFFile(path: path)
        let openTime = Date().timeIntervalSince(open0)
        let start = Date()
        var elements = 0
        for info in f.tensorInfos {
            let t = try f.tensor(info.name)
            XCTAssertEqual(t.shape, info.shape)
            elements += t.count
        }
        let seconds = Date().timeIntervalSince(start)
        print(
            String(
                format: "GGUF: opened %@ in %.3f s; dequantised %d tensors, %.1f M values in %.3f s",
                (path as NSString).lastPathComponent, openTime, f.tensorInfos.count, Double(elements) / 1e6, seconds))
        XCTAssertEqual(elements, 134_515_008)
    }
}
