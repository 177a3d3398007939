// Configured lengths past a model's positions: max_length above a learned position table (BERT, GPT-2) is
// lowered to it with a warning, as transformers' examples lower block_size to model_max_length (it used
// to trap in the embedding kernel on the first long example, truncation on or off); above a rotary
// context (Llama) it is kept with a warning (it used to pass without a word); PPO's prompt + response
// must fit a learned table.

import Foundation
@testable import RLHFData
import XCTest
import RLHFModels
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers
@testable import RLHFTraining

/// The tiny GPT-2 of the model tests (64 positions, vocabulary 103) with a word-level tokenizer over
/// "w0" … "w99", as a HF folder.
func makeTinyGPT2Folder() throws -> String {
    let dir = try temporaryFolder("tiny-gpt2")
    try writeTinyGPT2Folder(to: dir)
    return dir
}

/// `n` words of the tiny tokenizer.
func words(_ n: Int) -> String { (0..<n).map { "w\($0 % 100)" }.joined(separator: " ") }

final class PositionLimitTrainingTests: XCTestCase {
    func testRewardMaxLengthPastTheEncodersPositionsIsLowered() throws {
        let backbone = try makeTinyBertFolder()   // 128 positions
        let long = Array(repeating: "word", count: 200).joined(separator: " ")
        let dir = try temporaryFolder("rm-positions")
        let data = try writeLines(
            [
                "{\"prompt\": \"Say a lot.\", \"chosen\": \"\(long)\", \"rejected\": \"No.\"}",
                "{\"prompt\": \"Say little.\", \"chosen\": \"Fine.\", \"rejected\": \"\(long)\"}",
                "{\"prompt\": \"Hi?\", \"chosen\": \"Hello.\", \"rejected\": \"Go.\"}"
            ], dir, "pairs.jsonl")
        var c = RewardConfig()
        c.model = backbone; c.trainFile = data; c.outputDir = dir + "/out"
        c.perDeviceTrainBatchSize = 3; c.maxSteps = 1; c.saveSteps = 0; c.progress = false
        c.maxLength = 1000; c.truncate = true
        var lines: [String] = []
        let trainer = try RewardTrainer(config: c) { lines.append($0) }
        XCTAssertTrue(
            lines.contains("warning: max_length 1000 is more than the model's 128 positions (max_position_embeddings); using 128"), "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasSuffix("3 pairs; 2 longer than max_length 128 truncated") }, "\(lines)")
        XCTAssertTrue(trainer.trainPairs.allSatisfy { $0.chosen.ids.count <= 128 && $0.rejected.ids.count <= 128 })
        XCTAssertEqual(trainer.trainPairs[0].chosen.ids.count, 128)
        _ = try trainer.train()
        XCTAssertEqual(trainer.state.globalStep, 1)

        c.truncate = false
        lines = []
        let dropping = try RewardTrainer(config: c) { lines.append($0) }
        XCTAssertEqual(dropping.trainPairs.count, 1)
        XCTAssertTrue(lines.contains { $0.hasSuffix("1 pairs; 2 longer than max_length 128 dropped") }, "\(lines)")
    }

    func testSFTMaxLengthPastALearnedTableIsLowered() throws {
        let model = try makeTinyGPT2Folder()   // 64 positions
        let dir = try temporaryFolder("sft-positions")
        let data = try writeLines(["{\"text\": \"\(words(100))\"}", "{\"text\": \"\(words(10))\"}"], dir, "train.jsonl")
        var c = SFTConfig()
        c.model = model; c.trainFile = data; c.outputDir = dir + "/out"
        c.perDeviceTrainBatchSize = 2; c.maxSteps = 1; c.saveSteps = 0; c.progress = false
        c.maxLength = 512
        var lines: [String] = []
        let trainer = try SFTTrainer(config: c) { lines.append($0) }
        XCTAssertTrue(lines.contains("warning: max_length 512 is more than the model's 64 positions (n_positions); using 64"), "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasSuffix("2 examples; 1 truncated to max_length 64") }, "\(lines)")
        XCTAssertEqual(trainer.trainExamples.map(\.ids.count), [64, 10])
        _ = try trainer.train()
        XCTAssertEqual(trainer.state.globalStep, 1)
    }

    func testSFTMaxLengthPastARotaryContextIsWarned() throws {
        guard FileManager.default.fileExists(atPath: smolPath) else { return XCTFail("\(smolPath) missing: run scripts/fetch-models") }
        let dir = try temporaryFolder("sft-context")
        var c = SFTConfig()
        c.model = smolPath; c.trainFile = try writeLines(["{\"prompt\": \"Hi.\", \"completion\": \" Hello.\"}"], dir, "train.jsonl")
        c.outputDir = dir + "/out"; c.maxLength = 20000; c.loraR = 4; c.progress = false
        var lines: [String] = []
        _ = try SFTTrainer(config: c) { lines.append($0) }
        XCTAssertTrue(
            lines.contains(
                "warning: max_length 20000 is more than the model's context of 8192 positions (llama.context_length); "
                    + "it was never trained on positions past 8192"), "\(lines)")
    }

    func testPPOPromptPlusResponseMustFitALearnedTable() throws {
        let bert = try loadPretrained(path: try makeTinyBertFolder())
        var rng = RandomGenerator(seed: 0)
        let rm = RewardModel(backbone: bert.architecture, tokenizer: try XCTUnwrap(bert.tokenizer), rng: &rng)
        var c = PPOConfig()
        c.model = "policy"; c.responseLength = 10
        let prompts = [PPOPrompt(ids: Array(repeating: 1, count: 60), text: "p", line: 1), PPOPrompt(ids: [1], text: "q", line: 2)]
        let table = PositionLimit(count: 64, key: "n_positions", isHard: true)
        var lines: [String] = []
        XCTAssertThrowsError(try checkPositions(policy: table, rewardModel: rm, prompts: prompts, config: c) { lines.append($0) }) { error in
            XCTAssertEqual(
                "\(error)",
                "policy: the longest prompt (60 tokens) + response_length 10 is more than the policy's 64 positions "
                    + "(n_positions); lower max_prompt_length (longer prompts are dropped) or response_length")
        }
        c.responseLength = 4
        c.rewardMaxLength = 512
        XCTAssertNoThrow(try checkPositions(policy: table, rewardModel: rm, prompts: prompts, config: c) { lines.append($0) })
        XCTAssertEqual(lines, ["warning: reward_max_length 512 is more than the model's 128 positions (max_position_embeddings); using 128"])
        lines = []
        c.responseLength = 10; c.rewardMaxLength = 128
        let context = PositionLimit(count: 64, key: "max_position_embeddings", isHard: false)
        XCTAssertNoThrow(try checkPositions(policy: context, rewardModel: rm, prompts: prompts, config: c) { lines.append($0) })
        XCTAssertEqual(
            lines,
            [
                "warning: the longest prompt (60 tokens) + response_length 10 is more than the policy's context of 64 positions "
                    + "(max_position_embeddings); it was never trained on positions past 64"
            ])
    }

    /// A prompt that encodes to no tokens would reach generate's precondition; it is a bad line instead.
    func testPromptsThatEncodeToNoTokensAreBadLines() throws {
        let tok = try XCTUnwrap(try loadPretrained(path: try makeTinyGPT2Folder()).tokenizer)
        let dir = try temporaryFolder("ppo-empty")
        let file = try writeLines(["{\"prompt\": \"w1 w2\"}", "{\"prompt\": \"   \"}"], dir, "prompts.jsonl")
        XCTAssertThrowsError(try PPOPromptSet(path: file, tokenizer: tok, maxLength: 64)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(file):2:"), "\(error)")
            XCTAssertTrue("\(error)".contains("encodes to no tokens"), "\(error)")
        }
        let skipping = try PPOPromptSet(path: file, tokenizer: tok, maxLength: 64, skipBadLines: true)
        XCTAssertEqual(skipping.prompts.map(\.ids), [[1, 2]])
    }
}
