// GGUF against gguf-py and transformers (goldens from scripts/goldens/gguf_goldens.py): random blocks of each
// supported type bit for bit, and the real SmolLM2-135M Q4_1 file (tensor list, metadata, dequantised
// values, sums); the llama Q/K un-permutation against the converter's formula and against transformers.

import Foundation
import XCTest
import RLHFModels
import RLHFTensor
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
    struct Projection: Decodable { let shape: [Int]; let rows: [Int]; let first32: [[UInt32]]; let row_sum_squares: [Double] }
    let blocks: [Block]
    let real: Real?
    let hf: [String: Projection]?
}

/// A JSON scalar of the goldens: string, integer, bool or `{"float_bits": n}`.
private enum AnyScalar: Decodable, Equatable {
    case string(String), int(Int), bool(Bool), floatBits(UInt32)
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .floatBits(try c.decode([String: UInt32].self)["float_bits"] ?? 0) }
    }
}

final class GGUFTests: TemporaryDirectoryTestCase {
    private static let goldens: Goldens? = {
        guard let url = Bundle.module.url(forResource: "gguf_goldens", withExtension: "json", subdirectory: "Resources"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Goldens.self, from: data)
    }()

    private func goldens() throws -> Goldens { try XCTUnwrap(GGUFTests.goldens, "Resources/gguf_goldens.json missing or unreadable") }

    // MARK: Blocks, bit for bit

    func testBlockGoldensBitExact() throws {
        let types: [String: GGMLType] = ["F16": .f16, "BF16": .bf16, "Q8_0": .q8_0, "Q4_0": .q4_0, "Q4_1": .q4_1,
                                         "Q4_K": .q4_K, "Q6_K": .q6_K]
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
            XCTAssertTrue(mismatches.isEmpty, "\(block.type): \(mismatches.count) values differ, first at \(mismatches.first.map { "\($0.offset): 0x\(String($0.element.0, radix: 16)) vs 0x\(String($0.element.1, radix: 16))" } ?? "")")

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
        print(String(format: "GGUF: opened %@ in %.3f s; dequantised %d tensors, %.1f M values in %.3f s",
                     (path as NSString).lastPathComponent, openTime, f.tensorInfos.count, Double(elements) / 1e6, seconds))
        XCTAssertEqual(elements, 134_515_008)
    }

    // MARK: Llama rotary permutation

    /// convert_hf_to_gguf.py's `permute`, written out with index loops:
    /// `w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape)`.
    private func pythonPermute(_ w: [Float], rows: Int, cols: Int, heads nHead: Int, kvHeads: Int?) -> [Float] {
        let n = (kvHeads != nil && kvHeads != nHead) ? kvHeads! : nHead
        let half = rows / n / 2
        var out = [Float](repeating: 0, count: w.count)
        for h in 0..<n {
            for j in 0..<2 {
                for i in 0..<half {
                    let src = h * 2 * half + j * half + i    // index in [n, 2, half]
                    let dst = h * half * 2 + i * 2 + j       // index in [n, half, 2]
                    for c in 0..<cols { out[dst * cols + c] = w[src * cols + c] }
                }
            }
        }
        return out
    }

    func testUnpermuteUndoesTheConverterPermutation() {
        var rng = TestRNG(seed: 3)
        for (heads, kvHeads, headDim, cols) in [(9, 9, 8, 5), (9, 3, 8, 5), (4, 2, 16, 3), (1, 1, 2, 1)] {
            let qRows = heads * headDim
            let kRows = kvHeads * headDim
            let q = (0..<(qRows * cols)).map { _ in rng.float() }
            let k = (0..<(kRows * cols)).map { _ in rng.float() }
            let qPerm = pythonPermute(q, rows: qRows, cols: cols, heads: heads, kvHeads: heads)
            let kPerm = pythonPermute(k, rows: kRows, cols: cols, heads: heads, kvHeads: kvHeads)
            XCTAssertEqual(unpermuteLlamaRotary(Tensor(qPerm, shape: [qRows, cols]), heads: heads).scalars, q)
            XCTAssertEqual(unpermuteLlamaRotary(Tensor(kPerm, shape: [kRows, cols]), heads: kvHeads).scalars, k)
            XCTAssertEqual(permuteLlamaRotary(Tensor(q, shape: [qRows, cols]), heads: heads).scalars, qPerm)
            XCTAssertEqual(permuteLlamaRotary(Tensor(k, shape: [kRows, cols]), heads: kvHeads).scalars, kPerm)
            // Biases [rows] too.
            let bias = Array(q.prefix(qRows))
            let biasPerm = pythonPermute(bias, rows: qRows, cols: 1, heads: heads, kvHeads: nil)
            XCTAssertEqual(unpermuteLlamaRotary(Tensor(biasPerm, shape: [qRows]), heads: heads).scalars, bias)
        }
        // Rows 2i, 2i + 1 of a GGUF head are HF rows i and i + D/2.
        let rows = Tensor((0..<8).map(Float.init), shape: [8, 1])
        XCTAssertEqual(unpermuteLlamaRotary(rows, heads: 1).scalars, [0, 2, 4, 6, 1, 3, 5, 7])
    }

    func testUnpermutedRealWeightsMatchTransformers() throws {
        let hf = try XCTUnwrap(try goldens().hf, "goldens lack the transformers section")
        let path = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let f = try GGUFFile(path: path)
        let heads = try XCTUnwrap(f.metadata["llama.attention.head_count"]?.int)
        let kvHeads = try XCTUnwrap(f.metadata["llama.attention.head_count_kv"]?.int)
        for (proj, name, h) in [("q_proj", "blk.0.attn_q.weight", heads), ("k_proj", "blk.0.attn_k.weight", kvHeads)] {
            let golden = try XCTUnwrap(hf[proj])
            let w = unpermuteLlamaRotary(try f.tensor(name), heads: h)
            XCTAssertEqual(w.shape, golden.shape)
            let cols = w.shape[1]
            let x = w.scalars
            for (r, expected) in zip(golden.rows, golden.first32) {
                let ours = Array(x[(r * cols)..<(r * cols + 32)])
                for (a, b) in zip(ours, expected.map { Float(bitPattern: $0) }) {
                    XCTAssertEqual(a, b, accuracy: 1e-6 * max(abs(b), 1), "\(proj) row \(r)")
                }
            }
            for (r, expected) in golden.row_sum_squares.enumerated() {
                var s = 0.0
                for c in 0..<cols { s += Double(x[r * cols + c]) * Double(x[r * cols + c]) }
                XCTAssertEqual(s, expected, accuracy: 1e-6 * expected, "\(proj) row \(r)")
            }
            // Without the un-permutation most rows would be in the wrong place.
            let raw = try f.tensor(name).scalars
            var moved = 0
            for (r, expected) in golden.row_sum_squares.enumerated() {
                var s = 0.0
                for c in 0..<cols { s += Double(raw[r * cols + c]) * Double(raw[r * cols + c]) }
                if abs(s - expected) > 1e-6 * expected { moved += 1 }
            }
            XCTAssertGreaterThan(moved, golden.row_sum_squares.count / 2, proj)
        }
    }
}
