// Generation on the tiny Llama: greedy equals top-k 1, sampling is reproducible under a seed, the
// log-probabilities are those of the sampling distribution, stop tokens and stop strings end a sequence,
// and the KV cache gives the same logits as recomputing the whole sequence.

import Foundation
import XCTest
import RLHFFormats
@testable import RLHFModels
import RLHFTensor

final class GenerationTests: XCTestCase {
    private func tinyLlama() throws -> LlamaForCausalLM {
        let folder = resourceFolder("tiny-llama")
        var rng = RandomGenerator(seed: 0)
        let m = try LlamaForCausalLM(try decodeConfig(LlamaConfig.self, from: folder + "/config.json"), rng: &rng)
        try m.loadParameters(from: try SafetensorsCheckpoint(directory: folder))
        return m
    }

    func testCachedDecodingMatchesFullRecomputation() throws {
        let m = try tinyLlama()
        let ids = [1, 15, 99, 42, 7, 63, 20, 2, 33, 71]
        let full = withNoGrad { m(ids: ids, batch: 1) }
        let cache = m.makeCache(capacity: 4)   // too small on purpose: the cache must grow
        var stepLogits: [Float] = []
        withNoGrad {
            stepLogits += m(ids: Array(ids[0..<6]), batch: 1, cache: cache).scalars
            for t in 6..<ids.count { stepLogits += m(ids: [ids[t]], batch: 1, cache: cache).scalars }
        }
        XCTAssertEqual(cache.length, ids.count)
        let diff = zip(full.scalars, stepLogits).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(diff, 1e-5)
    }

    func testGreedyEqualsTopKOneAndSamplingIsSeeded() throws {
        let m = try tinyLlama()
        let prompts = [[1, 15, 99], [1, 88, 3, 3, 51]]
        var rng = RandomGenerator(seed: 1)
        let greedy = generate(m, prompts: prompts, config: GenerationConfig(maxNewTokens: 10), rng: &rng)
        let topK1 = generate(m, prompts: prompts, config: GenerationConfig(maxNewTokens: 10, temperature: 0.7, topK: 1), rng: &rng)
        XCTAssertEqual(greedy.tokens, topK1.tokens)
        // top-k 1 leaves one candidate, but its log-probability is still that of softmax(logits / 0.7)
        XCTAssertTrue(topK1.logProbs.flatMap { $0 }.allSatisfy { $0 <= 0 })
        var r1 = RandomGenerator(seed: 7), r2 = RandomGenerator(seed: 7), r3 = RandomGenerator(seed: 8)
        let config = GenerationConfig(maxNewTokens: 12, temperature: 1.5, topP: 0.95)
        let a = generate(m, prompts: prompts, config: config, rng: &r1)
        let b = generate(m, prompts: prompts, config: config, rng: &r2)
        let c = generate(m, prompts: prompts, config: config, rng: &r3)
        XCTAssertEqual(a.tokens, b.tokens)
        XCTAssertEqual(a.logProbs, b.logProbs)
        XCTAssertNotEqual(a.tokens, c.tokens)
        XCTAssertEqual(a.tokens.map(\.count), [12, 12])
    }

    /// Rows with the same prompt (GRPO's groups) prefill it once and decode on copies of its cache: each row
    /// samples what it samples alone, with the same log-probs.
    func testSharedPromptsPrefillOnceAndSampleAsAlone() throws {
        let m = try tinyLlama()
        let prompts = [[1, 15, 99], [1, 88, 3, 3, 51], [1, 15, 99], [1, 15, 99], [1, 88, 3, 3, 51]]
        XCTAssertEqual(distinctRows(prompts)?.rowOf, [0, 1, 0, 0, 1])
        XCTAssertNil(distinctRows([[1], [2]]))
        let config = GenerationConfig(maxNewTokens: 8, temperature: 1.2)
        var rngs = (0..<prompts.count).map { RandomGenerator(seed: 40 + UInt64($0)) }
        let together = generate(m, prompts: prompts, config: config, rngs: &rngs)
        XCTAssertEqual(Set(together.tokens.map { $0 }).count, prompts.count, "each row samples its own answer")
        for (i, prompt) in prompts.enumerated() {
            var one = [RandomGenerator(seed: 40 + UInt64(i))]
            let alone = generate(m, prompts: [prompt], config: config, rngs: &one)
            XCTAssertEqual(together.tokens[i], alone.tokens[0], "row \(i)")
            for (a, b) in zip(together.logProbs[i], alone.logProbs[0]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    /// The fast path of plain sampling (no top-k or top-p) picks the token the general formula picks: weights
    /// exp(x − max) summed and walked in id order, for rows whose length is not a multiple of the SIMD width.
    func testPlainSamplingPicksAsTheScalarFormula() {
        var rng = RandomGenerator(seed: 5)
        for v in [1, 15, 16, 37, 1000] {
            let row = (0..<v).map { _ in Float(rng.nextDouble() * 12 - 6) }
            var scratch = [Float](repeating: 0, count: v)
            for u in [0.0, 0.1, 0.5, 0.9, 0.999_999] {
                let m = row.max()!
                let weights = row.map { Double(sexp($0 - m)) }
                var left = u * weights.reduce(0, +), expected = v - 1
                for (j, w) in weights.enumerated() {
                    if left < w { expected = j; break }
                    left -= w
                }
                let got = row.withUnsafeBufferPointer { r in
                    scratch.withUnsafeMutableBufferPointer { sampleWhole(row: r.baseAddress!, count: v, weights: $0, uniform: u) }
                }
                XCTAssertEqual(got, expected, "v \(v), u \(u)")
            }
        }
    }

    func testLogProbsAreThoseOfTheTemperatureScaledDistribution() throws {
        let m = try tinyLlama()
        var rng = RandomGenerator(seed: 3)
        let prompt = [1, 15, 99, 42]
        let out = generate(m, prompts: [prompt], config: GenerationConfig(maxNewTokens: 5, temperature: 0.8), rng: &rng)
        // recompute: log softmax(logits / 0.8) of each chosen token given the prefix
        let seq = prompt + out.tokens[0]
        let logits = withNoGrad { m(ids: seq, batch: 1) }.reshaped([seq.count, 101])
        let lp = withNoGrad { logSoftmax(logits * (1 / 0.8), axis: -1) }
        for (k, tok) in out.tokens[0].enumerated() {
            XCTAssertEqual(out.logProbs[0][k], lp[prompt.count - 1 + k, tok], accuracy: 1e-4)
        }
    }

    func testStopTokensAndStopStringsEndSequences() throws {
        let m = try tinyLlama()
        var rng = RandomGenerator(seed: 0)
        let greedy = generate(m, prompts: [[1, 15, 99]], config: GenerationConfig(maxNewTokens: 10), rng: &rng)
        let stopAt = greedy.tokens[0][3]
        let stopped = generate(m, prompts: [[1, 15, 99]], config: GenerationConfig(maxNewTokens: 10, stopTokenIds: [stopAt]), rng: &rng)
        XCTAssertEqual(stopped.tokens[0], Array(greedy.tokens[0].prefix(through: greedy.tokens[0].firstIndex(of: stopAt)!)))
        XCTAssertEqual(stopped.stopped, [true])
        // a stop string over a toy decoding (token id → "<id>")
        let decode: ([Int]) -> String = { $0.map { "<\($0)>" }.joined() }
        let byString = generate(
            m, prompts: [[1, 15, 99]], config: GenerationConfig(maxNewTokens: 10, stopStrings: ["<\(greedy.tokens[0][2])>"]),
            rng: &rng, decode: decode)
        let target = greedy.tokens[0][2]
        XCTAssertEqual(byString.tokens[0], Array(greedy.tokens[0].prefix(through: greedy.tokens[0].firstIndex(of: target)!)))
        XCTAssertEqual(byString.stopped, [true])
        XCTAssertEqual(greedy.stopped, [false])
    }
}
