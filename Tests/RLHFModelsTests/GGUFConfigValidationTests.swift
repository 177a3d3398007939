// GGUF llama metadata that parses but cannot be built (head counts 0 or negative, a block count the file
// does not hold, sizes that disagree with the tensors, a rotary base or RMS epsilon of 0, −1, ∞ or NaN,
// numbers stored as strings) is an error naming the file and the metadata key; it used to trap
// (GGUFWeights.swift dividing by the head count, Llama.swift) or run with other outputs.

import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFTensor

/// A tiny llama GGUF file (F32 tensors, no tokenizer: V 11, C 8, I 16, 2 heads of 4, 1 KV head, 2 blocks,
/// context 32) whose metadata a test can change before writing it.
struct TinyLlamaGGUF {
    enum Value {
        case u32(UInt32), i32(Int32), f32(Float), string(String)
    }
    var metadata: [(String, Value)] = [
        ("general.architecture", .string("llama")),
        ("llama.vocab_size", .u32(11)), ("llama.embedding_length", .u32(8)), ("llama.feed_forward_length", .u32(16)),
        ("llama.block_count", .u32(2)), ("llama.attention.head_count", .u32(2)), ("llama.attention.head_count_kv", .u32(1)),
        ("llama.context_length", .u32(32)), ("llama.rope.freq_base", .f32(10_000)),
        ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5))
    ]

    /// Replaces (or adds) one metadata value.
    mutating func set(_ key: String, _ value: Value) {
        if let i = metadata.firstIndex(where: { $0.0 == key }) { metadata[i].1 = value } else { metadata.append((key, value)) }
    }

    /// The blocks whose tensors the file holds.
    var blockNames = [0, 1]

    /// The tensors, PyTorch shapes (GGUF stores the dimensions reversed).
    var tensors: [(String, [Int])] {
        var out: [(String, [Int])] = [("token_embd.weight", [11, 8]), ("output_norm.weight", [8])]
        for b in blockNames {
            out += [
                ("blk.\(b).attn_norm.weight", [8]), ("blk.\(b).ffn_norm.weight", [8]),
                ("blk.\(b).attn_q.weight", [8, 8]), ("blk.\(b).attn_k.weight", [4, 8]), ("blk.\(b).attn_v.weight", [4, 8]),
                ("blk.\(b).attn_output.weight", [8, 8]), ("blk.\(b).ffn_gate.weight", [16, 8]),
                ("blk.\(b).ffn_up.weight", [16, 8]), ("blk.\(b).ffn_down.weight", [8, 16])
            ]
        }
        return out
    }

    func bytes() -> [UInt8] {
        var b: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); b.append(contentsOf: Array(s.utf8)) }
        b.append(contentsOf: Array("GGUF".utf8))
        u32(3)
        u64(UInt64(tensors.count))
        u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            switch value {
            case .u32(let v): u32(4); u32(v)
            case .i32(let v): u32(5); u32(UInt32(bitPattern: v))
            case .f32(let v): u32(6); u32(v.bitPattern)
            case .string(let s): u32(8); string(s)
            }
        }
        var offset: UInt64 = 0
        var data: [UInt8] = []
        var k = 0
        for (name, shape) in tensors {
            string(name)
            u32(UInt32(shape.count))
            for d in shape.reversed() { u64(UInt64(d)) }
            u32(0)   // F32
            u64(offset)
            let count = shape.reduce(1, *)
            for _ in 0..<count {
                // norms 1, matrices small deterministic values
                let v: Float = shape.count == 1 ? 1 : 0.1 * Float(sin(Double(k)))
                k += 1
                withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
            while data.count % 32 != 0 { data.append(0) }
            offset = UInt64(data.count)
        }
        while b.count % 32 != 0 { b.append(0) }
        return b + data
    }

    /// Writes the file into a temporary folder removed when `test` ends; returns its path.
    func write(_ test: XCTestCase) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-gguf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/tiny.gguf"
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
        return path
    }
}

final class GGUFConfigValidationTests: XCTestCase {
    func testTheTinyFileLoadsAndRuns() throws {
        let path = try TinyLlamaGGUF().write(self)
        let m = try loadPretrained(path: path)
        guard case .llama(let llama) = m.architecture else { return XCTFail("not a llama") }
        XCTAssertEqual(llama.config.headSize, 4)
        XCTAssertEqual(llama.positionLimit, PositionLimit(count: 32, key: "llama.context_length", isHard: false))
        let logits = withNoGrad { llama(ids: [1, 2, 3], batch: 1) }
        XCTAssertEqual(logits.shape, [1, 3, 11])
        XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
    }

    func testMetadataOutOfRangeNamesTheKey() throws {
        let cases: [(String, TinyLlamaGGUF.Value, String)] = [
            ("llama.attention.head_count", .u32(0), "llama.attention.head_count is 0"),
            ("llama.attention.head_count", .i32(-2), "llama.attention.head_count is -2"),
            ("llama.attention.head_count_kv", .u32(0), "llama.attention.head_count_kv is 0; it must be in 1…2"),
            ("llama.attention.head_count_kv", .u32(3), "llama.attention.head_count_kv is 3"),
            ("llama.block_count", .u32(1000), "llama.block_count is 1000, but"),
            ("llama.block_count", .i32(-1), "llama.block_count is -1"),
            ("llama.embedding_length", .u32(0), "llama.embedding_length is 0"),
            ("llama.embedding_length", .u32(12), "llama.embedding_length 12 gives model.embed_tokens.weight the shape [11, 12]"),
            ("llama.feed_forward_length", .u32(17), "llama.feed_forward_length 17 gives model.layers.0.mlp.gate_proj.weight the shape [17, 8]"),
            ("llama.vocab_size", .u32(1 << 30), "llama.vocab_size is 1073741824"),
            ("llama.vocab_size", .u32(12), "llama.vocab_size 12 gives"),
            ("llama.context_length", .u32(0), "llama.context_length is 0"),
            ("llama.rope.dimension_count", .u32(3), "llama.rope.dimension_count is 3; it must be even"),
            ("llama.rope.freq_base", .f32(0), "llama.rope.freq_base is 0.0; the rotary base must be a finite number above 1"),
            ("llama.rope.freq_base", .f32(-1), "llama.rope.freq_base is -1.0"),
            ("llama.rope.freq_base", .f32(.nan), "llama.rope.freq_base is nan"),
            ("llama.rope.freq_base", .f32(.infinity), "llama.rope.freq_base is inf"),
            ("llama.attention.layer_norm_rms_epsilon", .f32(0), "llama.attention.layer_norm_rms_epsilon is 0.0"),
            ("llama.attention.layer_norm_rms_epsilon", .f32(.infinity), "llama.attention.layer_norm_rms_epsilon is inf"),
            ("llama.attention.layer_norm_rms_epsilon", .f32(.nan), "llama.attention.layer_norm_rms_epsilon is nan")
        ]
        for (key, value, fragment) in cases {
            var g = TinyLlamaGGUF()
            g.set(key, value)
            let path = try g.write(self)
            assertInvalidConfig(try loadPretrained(path: path), key: key, source: path, fragment)
        }
    }

    /// Tensors of blocks 0 and 5 only, with block_count 6: the gap is found before six blocks are built.
    func testEveryBlockUpToTheCountMustBeInTheFile() throws {
        var g = TinyLlamaGGUF()
        g.set("llama.block_count", .u32(6))
        g.blockNames = [0, 5]
        let path = try g.write(self)
        assertInvalidConfig(
            try loadPretrained(path: path), key: "llama.block_count", source: path,
            "llama.block_count is 6, but \(path) holds 1 layer (model.layers.1.self_attn.q_proj.weight is missing)")
    }

    func testAHugeMaxNewTokensReservesNoMoreThanTheContext() throws {
        let m = try loadPretrained(path: try TinyLlamaGGUF().write(self))
        guard let lm = m.architecture.causalLM else { return XCTFail() }
        var rng = RandomGenerator(seed: 0)
        // stops at once on its first token; the cache must not reserve a billion positions first
        let first = generate(lm, prompts: [[1, 2]], config: GenerationConfig(maxNewTokens: 1), rng: &rng).tokens[0][0]
        for huge in [1_000_000_000, Int.max] {
            let out = generate(lm, prompts: [[1, 2]], config: GenerationConfig(maxNewTokens: huge, stopTokenIds: [first]), rng: &rng)
            XCTAssertEqual(out.tokens, [[first]])
        }
    }

    func testNumbersOfTheWrongTypeAreErrors() throws {
        for key in ["llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon", "llama.attention.head_count_kv", "llama.context_length"] {
            var g = TinyLlamaGGUF()
            g.set(key, .string("ten"))
            let path = try g.write(self)
            XCTAssertThrowsError(try loadPretrained(path: path)) { error in
                XCTAssertEqual("\(error)".hasPrefix(path + ": metadata key '\(key)' is not"), true, "\(error)")
            }
        }
    }
}
