// The llama Q/K rotary (un-)permutation of GGUF files (`unpermuteLlamaRotary`, `permuteLlamaRotary`) against
// convert_hf_to_gguf.py's formula and against transformers: layer 0's q_proj/k_proj of the real SmolLM2-135M
// Q4_1 file as transformers un-permutes them (the `hf` section of RLHFFormatsTests' gguf_goldens.json,
// written by scripts/goldens/gguf_goldens.py).

import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFTensor
import RLHFTestSupport

/// The transformers section of Tests/RLHFFormatsTests/Resources/gguf_goldens.json.
private struct RotaryGoldens: Decodable {
    struct Projection: Decodable { let shape: [Int]; let rows: [Int]; let first32: [[UInt32]]; let row_sum_squares: [Double] }
    let hf: [String: Projection]?
}

final class LlamaRotaryTests: XCTestCase {
    private static let goldens: RotaryGoldens? = {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: testResourcePath("RLHFFormatsTests", "gguf_goldens.json"))) else {
            return nil
        }
        return try? JSONDecoder().decode(RotaryGoldens.self, from: data)
    }()

    private func goldens() throws -> RotaryGoldens {
        try XCTUnwrap(LlamaRotaryTests.goldens, "Tests/RLHFFormatsTests/Resources/gguf_goldens.json missing or unreadable")
    }

    /// convert_hf_to_gguf.py's `permute`, written out with index loops:
    /// `w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape)`.
    private func pythonPermute(_ w: [Float], rows: Int, cols: Int, heads nHead: Int, kvHeads: Int?) -> [Float] {
        let n = (kvHeads != nil && kvHeads != nHead) ? kvHeads! : nHead
        let half = rows / n / 2
        var out = [Float](repeating: 0, count: w.count)
        for h in 0..<n {
            for j in 0..<2 {
                for i in 0..<half {
                    let src = h * 2 * half + j * half + i   // index in [n, 2, half]
                    let dst = h * half * 2 + i * 2 + j   // index in [n, half, 2]
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
