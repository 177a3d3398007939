// The two real models against transformers (scripts/goldens/real_model_goldens.py):
//   MiniLM last_hidden_state within 1e-4 (max abs), one sentence at a time and as a right-padded batch;
//   SmolLM2 (from its GGUF, dequantised as transformers does) last-position logits within 2e-3 at the
//   recorded vocabulary entries, log-sum-exp over the whole vocabulary within 2e-3, the same argmax, and
//   the same greedy continuation of up to 32 tokens (stopping at EOS as generate does).
// The models come from `scripts/fetch-models` (run by `make test`); a missing model fails the test.

import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers

struct RealGoldens: Decodable {
    struct Sentence: Decodable { let text: String; let input_ids: [Int]; let hidden_size: Int; let last_hidden_state: [Float] }
    struct Prompt: Decodable {
        let text: String; let input_ids: [Int]; let vocab_size: Int
        let logit_indices: [Int]; let logits: [Float]; let max: Float; let argmax: Int; let logsumexp: Double
        let greedy_32: [Int]
    }
    let minilm: [Sentence]
    let smollm2: [Prompt]
}

final class RealModelParityTests: XCTestCase {
    private static let goldens: RealGoldens = {
        let url = Bundle.module.url(forResource: "real_model_goldens", withExtension: "json", subdirectory: "Resources")!
        return try! JSONDecoder().decode(RealGoldens.self, from: Data(contentsOf: url))
    }()

    func testMiniLMHiddenStatesMatchTransformers() throws {
        let loaded = try loadPretrained(path: try realModelPath("minilm"))
        guard case .bert(let bert) = loaded.architecture else { return XCTFail("MiniLM did not load as BERT") }
        let sentences = Self.goldens.minilm
        XCTAssertGreaterThanOrEqual(sentences.count, 8)
        var worstSingle: Float = 0, worstBatch: Float = 0
        withNoGrad {
            for s in sentences {
                let h = bert(ids: s.input_ids, batch: 1).scalars
                worstSingle = max(worstSingle, zip(h, s.last_hidden_state).map { abs($0 - $1) }.max()!)
            }
            // one right-padded batch with an attention mask
            let t = sentences.map(\.input_ids.count).max()!, c = sentences[0].hidden_size
            var ids: [Int] = [], mask: [Float] = []
            for s in sentences {
                ids += s.input_ids + Array(repeating: 0, count: t - s.input_ids.count)
                mask += Array(repeating: 1, count: s.input_ids.count) + Array(repeating: 0, count: t - s.input_ids.count)
            }
            let h = bert(ids: ids, batch: sentences.count, attentionMask: Tensor(mask, shape: [sentences.count, t])).scalars
            for (i, s) in sentences.enumerated() {
                for j in 0..<(s.input_ids.count * c) {
                    worstBatch = max(worstBatch, abs(h[i * t * c + j] - s.last_hidden_state[j]))
                }
            }
        }
        print("MiniLM last_hidden_state max |diff|: one by one \(worstSingle), padded batch \(worstBatch)")
        XCTAssertLessThanOrEqual(worstSingle, 1e-4)
        XCTAssertLessThanOrEqual(worstBatch, 1e-4)
        if let tok = loaded.tokenizer {
            for s in sentences { XCTAssertEqual(tok.encode(s.text), s.input_ids, s.text) }
        } else {
            XCTFail("MiniLM folder has a tokenizer.json; it should load")
        }
    }

    func testSmolLM2LogitsAndGreedyMatchTransformers() throws {
        let loaded = try loadPretrained(path: try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
        guard case .llama(let llama) = loaded.architecture else { return XCTFail("SmolLM2 did not load as Llama") }
        XCTAssertEqual(llama.config.numHiddenLayers, 30)
        XCTAssertEqual(llama.config.kvHeads, 3)
        let eos = llama.config.eosTokenId ?? 2
        var worst: Float = 0, worstLSE: Double = 0
        for p in Self.goldens.smollm2 {
            if let tok = loaded.tokenizer { XCTAssertEqual(tok.encode(p.text, addSpecialTokens: false), p.input_ids, p.text) }
            let logits = withNoGrad { llama(ids: p.input_ids, batch: 1) }
            let v = llama.config.vocabSize, t = p.input_ids.count
            let last = Array(logits.scalars[((t - 1) * v)..<(t * v)])
            for (k, idx) in p.logit_indices.enumerated() { worst = max(worst, abs(last[idx] - p.logits[k])) }
            let m = last.max()!
            let lse = Double(m) + log(last.reduce(0.0) { $0 + exp(Double($1 - m)) })
            worstLSE = max(worstLSE, abs(lse - p.logsumexp))
            XCTAssertEqual(last.firstIndex(of: m), p.argmax, p.text)
            var rng = RandomGenerator(seed: 0)
            let out = generate(llama, prompts: [p.input_ids], config: GenerationConfig(maxNewTokens: 32, stopTokenIds: [eos]), rng: &rng)
            XCTAssertEqual(out.tokens[0], p.greedy_32, "greedy continuation of \(p.text.debugDescription)")
        }
        print("SmolLM2 last-position logits max |diff| \(worst), log-sum-exp max |diff| \(worstLSE)")
        XCTAssertLessThanOrEqual(worst, 2e-3)
        XCTAssertLessThanOrEqual(worstLSE, 2e-3)
    }

    func testBatchedLeftPaddedGenerationMatchesOneByOne() throws {
        let loaded = try loadPretrained(path: try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
        guard let lm = loaded.architecture.causalLM else { return XCTFail("not a decoder") }
        let prompts = Array(Self.goldens.smollm2.prefix(3).map(\.input_ids))
        var rng = RandomGenerator(seed: 0)
        let config = GenerationConfig(maxNewTokens: 12, stopTokenIds: [2])
        let batched = generate(lm, prompts: prompts, config: config, rng: &rng)
        for (i, p) in prompts.enumerated() {
            let single = generate(lm, prompts: [p], config: config, rng: &rng)
            XCTAssertEqual(batched.tokens[i], single.tokens[0], "prompt \(i)")
            for (a, b) in zip(batched.logProbs[i], single.logProbs[0]) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        }
    }

    func testFrozenModelDecodesFromTheGGUFBlocksWithTheSameResults() throws {
        let path = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let loaded = try loadPretrained(path: path)
        guard case .llama(let llama) = loaded.architecture else { return XCTFail("SmolLM2 did not load as Llama") }
        // the blocks kept for each matrix are, dequantised, exactly the Float32 weights (Q/K rows un-permuted)
        let params = llama.namedParameters()
        XCTAssertTrue(params.allSatisfy { $0.parameter.quantized == nil }, "a trainable parameter must not use its blocks")
        let weights = try GGUFLlamaWeights(GGUFFile(path: path))
        for key in [
            "model.layers.0.self_attn.q_proj.weight", "model.layers.3.self_attn.k_proj.weight",
            "model.layers.7.mlp.down_proj.weight", "model.embed_tokens.weight"
        ] {
            guard let q = try weights.quantized(key) else { XCTFail("\(key) has no blocks"); continue }
            XCTAssertEqual(q.dequantized().scalars, try weights.tensor(key).scalars, key)
        }
        let prompts = Self.goldens.smollm2.map(\.input_ids)
        let config = GenerationConfig(maxNewTokens: 32, stopTokenIds: [llama.config.eosTokenId ?? 2])
        var rng = RandomGenerator(seed: 0)
        let float32 = generate(llama, prompts: [prompts[0]], config: config, rng: &rng)
        llama.freeze()
        XCTAssertEqual(params.filter { $0.parameter.quantized != nil }.count, 211, "210 Q4_1 matrices and the Q8_0 embedding")
        let blockwise = generate(llama, prompts: [prompts[0]], config: config, rng: &rng)
        XCTAssertEqual(blockwise.tokens, float32.tokens)
        for (a, b) in zip(blockwise.logProbs[0], float32.logProbs[0]) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (p, golden) in zip(prompts, Self.goldens.smollm2) {
            XCTAssertEqual(generate(llama, prompts: [p], config: config, rng: &rng).tokens[0], golden.greedy_32)
        }
        // batched decoding (8 rows ≤ the block-product limit) agrees with one by one
        let batched = generate(llama, prompts: Array(prompts.prefix(3)), config: GenerationConfig(maxNewTokens: 8, stopTokenIds: [2]), rng: &rng)
        for i in 0..<3 {
            XCTAssertEqual(batched.tokens[i], Array(Self.goldens.smollm2[i].greedy_32.prefix(batched.tokens[i].count)), "prompt \(i)")
        }
        // unfreezing drops the blocks for good, so training can never read stale weights
        llama.unfreeze()
        XCTAssertTrue(params.allSatisfy { $0.parameter.quantized == nil })
        llama.freeze()
        XCTAssertTrue(params.allSatisfy { $0.parameter.quantized == nil })
    }
}
