// Inputs longer than a model's positions, empty inputs and ids outside the vocabulary: the entry points'
// check throws a message naming the limit and its key; generation stops at a learned position table;
// scoring cuts to it. Each used to trap in the embedding kernel (Embedding.swift) or a slice.

import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers

final class PositionLimitTests: XCTestCase {
    private func assertInvalidInput(
        _ body: @autoclosure () throws -> Void, _ fragment: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            try body()
            XCTFail("expected an invalid input (\(fragment)), got success", file: file, line: line)
        } catch let error as ModelError {
            guard case .invalidInput = error else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue("\(error)".contains(fragment), "'\(fragment)' not in: \(error)", file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testLimitsComeFromTheConfigKeys() throws {
        let bert = try loadPretrained(path: resourceFolder("tiny-bert")).architecture
        let llama = try loadPretrained(path: resourceFolder("tiny-llama")).architecture
        let gpt2 = try loadPretrained(path: resourceFolder("tiny-gpt2")).architecture
        XCTAssertEqual(bert.positionLimit, PositionLimit(count: 64, key: "max_position_embeddings", isHard: true))
        XCTAssertEqual(llama.positionLimit, PositionLimit(count: 64, key: "max_position_embeddings", isHard: false))
        XCTAssertEqual(gpt2.positionLimit, PositionLimit(count: 64, key: "n_positions", isHard: true))
        XCTAssertEqual(gpt2.causalLM?.positionLimit, gpt2.positionLimit)
    }

    func testCheckInputRefusesWhatTheModelCannotRun() throws {
        let bert = try loadPretrained(path: resourceFolder("tiny-bert")).architecture
        let llama = try loadPretrained(path: resourceFolder("tiny-llama")).architecture
        assertInvalidInput(
            try bert.checkInput(Array(repeating: 5, count: 65), source: "--text"),
            "--text: 65 tokens are more than the model's 64 positions (max_position_embeddings)")
        assertInvalidInput(try bert.checkInput([], source: "--text"), "--text: the text encodes to no tokens")
        assertInvalidInput(try bert.checkInput([1, 97], source: "x"), "token id 97 is outside the model's vocabulary of 97")
        assertInvalidInput(try llama.checkInput([-1], source: "x"), "token id -1 is outside")
        XCTAssertNoThrow(try bert.checkInput(Array(repeating: 5, count: 64), source: "--text"))
        // rotary positions run past the context (with a warning from the callers)
        XCTAssertNoThrow(try llama.checkInput(Array(repeating: 5, count: 100), source: "--text"))
    }

    func testConfiguredLengthsAreLoweredToALearnedTableAndWarnedPastARotaryContext() {
        let hard = PositionLimit(count: 512, key: "max_position_embeddings", isHard: true)
        let soft = PositionLimit(count: 8192, key: "llama.context_length", isHard: false)
        XCTAssertEqual(hard.length(for: 256, key: "max_length").length, 256)
        XCTAssertNil(hard.length(for: 512, key: "max_length").warning)
        let lowered = hard.length(for: 1000, key: "max_length")
        XCTAssertEqual(lowered.length, 512)
        XCTAssertEqual(lowered.warning, "warning: max_length 1000 is more than the model's 512 positions (max_position_embeddings); using 512")
        let kept = soft.length(for: 20000, key: "max_length")
        XCTAssertEqual(kept.length, 20000)
        XCTAssertEqual(
            kept.warning,
            "warning: max_length 20000 is more than the model's context of 8192 positions (llama.context_length); "
                + "it was never trained on positions past 8192")
    }

    func testGenerationStopsAtALearnedPositionTable() throws {
        guard let gpt2 = try loadPretrained(path: resourceFolder("tiny-gpt2")).architecture.causalLM else { return XCTFail() }
        var rng = RandomGenerator(seed: 0)
        let config = GenerationConfig(maxNewTokens: 20)
        let out = generate(gpt2, prompts: [Array(repeating: 7, count: 60), [3, 4]], config: config, rng: &rng)
        XCTAssertEqual(out.tokens.map(\.count), [4, 4], "prompt 60 + 4 new tokens fill the 64 positions")
        XCTAssertEqual(out.stopped, [false, false])
        let full = generate(gpt2, prompts: [Array(repeating: 7, count: 64)], config: config, rng: &rng)
        XCTAssertEqual(full.tokens, [[]], "a prompt that fills the table leaves no position for a new token")
        // the generated sequence runs again whole, as PPO does with its responses
        let again = withNoGrad {
            gpt2.hiddenStates(
                ids: Array(repeating: 7, count: 60) + out.tokens[0], batch: 1, attentionMask: nil,
                positions: nil, cache: nil)
        }
        XCTAssertEqual(again.shape, [1, 64, 32])
    }

    func testRewardScoresCutTextsToTheEncodersPositions() throws {
        let backbone = try loadPretrained(path: try realModelPath("minilm"))
        var rng = RandomGenerator(seed: 0)
        let rm = RewardModel(backbone: backbone.architecture, tokenizer: try XCTUnwrap(backbone.tokenizer), rng: &rng)
        let long = Array(repeating: "word", count: 600).joined(separator: " ")
        XCTAssertEqual(rm.encode(prompt: nil, response: long).ids.count, 602)
        XCTAssertEqual(rm.scoredLength(), 512)
        XCTAssertEqual(rm.scoredLength(100), 100)
        XCTAssertEqual(rm.scoredLength(1000), 512)
        let scores = rm.score([(nil, long), (nil, "short")])
        XCTAssertTrue(scores.allSatisfy(\.isFinite))
        XCTAssertEqual(scores[0], rm.score([(nil, long)], maxLength: 512)[0], accuracy: 1e-5, "the same cut as maxLength 512")
    }
}
