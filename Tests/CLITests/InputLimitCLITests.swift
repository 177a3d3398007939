// The `rlhf` binary on inputs that used to trap (a signal, no message): texts longer than an encoder's or
// GPT-2's positions, empty texts, max_length past the positions. Each now exits normally: 0 with a
// warning on standard error where the input is cut or the prompt starts from BOS, non-zero with one
// `error:` line where nothing can run.

import Foundation
import XCTest
import RLHFTestSupport

final class InputLimitCLITests: XCTestCase {
    private let root = repoRoot
    private var smol: String { root + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" }

    /// Runs the binary; a death by signal fails the test.
    private func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, out: String, err: String) {
        try runRLHF(args, file: file, line: line)
    }

    private func folder(_ name: String) throws -> String {
        try temporaryFolder("cli-\(name)", removedAfter: self)
    }

    /// The tiny GPT-2 of the model tests (64 positions) with a word-level tokenizer over "w0" … "w99".
    private func tinyGPT2() throws -> String {
        let dir = try folder("tiny-gpt2")
        try writeTinyGPT2Folder(to: dir)
        return dir
    }

    private func words(_ n: Int, _ word: String? = nil) -> String {
        (0..<n).map { word ?? "w\($0 % 100)" }.joined(separator: " ")
    }

    func testInspectCutsTextsToAnEncodersPositionsAndRefusesEmptyDecoderInput() throws {
        var r = try run(["inspect", "--model", root + "/models/minilm", "--text", words(600, "word"), "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(
            r.err,
            "warning: --text is 602 tokens, more than the model's 512 positions (max_position_embeddings); "
                + "using its first 511 and its last\n")
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        let ids = try XCTUnwrap(object?["input_ids"] as? [Int])
        XCTAssertEqual(ids.count, 512)
        XCTAssertEqual(ids.last, 102, "the closing [SEP] is kept")

        r = try run(["inspect", "--model", smol, "--text", ""])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.err, "error: --text: the text encodes to no tokens\n")
    }

    func testGenerateOnGPT2RespectsItsPositionTable() throws {
        let model = try tinyGPT2()
        var r = try run(["generate", "--model", model, "--prompt", words(70)])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.err, "error: --prompt: 70 tokens are more than the model's 64 positions (n_positions)\n")
        r = try run(["generate", "--model", model, "--prompt", words(64)])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.err, "error: --prompt: 64 tokens fill the model's 64 positions (n_positions); no position is left for a new token\n")
        r = try run(["generate", "--model", model, "--prompt", words(60), "--max-new-tokens", "20"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(
            r.err,
            "warning: the prompt (60 tokens) + --max-new-tokens 20 is more than the model's 64 positions (n_positions); "
                + "generating at most 4 tokens\n")
        r = try run(["generate", "--model", model, "--prompt", words(62), "--max-new-tokens", String(Int.max)])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.hasSuffix("the model's 64 positions (n_positions); generating at most 2 tokens\n"), r.err)
        r = try run(["inspect", "--model", model, "--text", words(100), "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.hasPrefix("warning: --text is 100 tokens, more than the model's 64 positions (n_positions); using its first 64"), r.err)
        // an empty prompt: the config's BOS id 50256 is outside this tiny vocabulary; without one, nothing to start from
        r = try run(["generate", "--model", model, "--prompt", ""])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(
            r.err,
            "error: --prompt (empty, from the BOS token): token id 50256 is outside the model's vocabulary of 103 (vocab_size): "
                + "the tokenizer does not match the model\n")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/config.json"))) as! [String: Any]
        config["bos_token_id"] = nil
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: model + "/config.json"))
        r = try run(["generate", "--model", model, "--prompt", ""])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(
            r.err, "error: --prompt: the prompt encodes to no tokens and \(model) has no BOS token to start from; give a non-empty prompt\n")
    }

    func testAnEmptyPromptStartsFromBOS() throws {
        let r = try run(["generate", "--model", smol, "--prompt", "", "--max-new-tokens", "2"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "note: the prompt is empty; generating from the BOS token <|im_start|>\n")
    }

    /// train-rm with max_length 1000 on MiniLM (512 positions) and pairs of 600 words, truncation on, then
    /// score a 600-word text with the checkpoint.
    func testTrainRMAndScorePastTheEncodersPositions() throws {
        let dir = try folder("rm-long")
        let long = words(600, "word")
        let lines = [
            "{\"prompt\": \"Talk.\", \"chosen\": \"\(long)\", \"rejected\": \"No.\"}",
            "{\"prompt\": \"Be brief.\", \"chosen\": \"Yes.\", \"rejected\": \"\(long)\"}"
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/pairs.jsonl", atomically: true, encoding: .utf8)
        var r = try run([
            "train-rm", "--model", root + "/models/minilm", "--train-file", dir + "/pairs.jsonl", "--output-dir", dir + "/out",
            "--max-length", "1000", "--truncate", "true", "--max-steps", "1", "--per-device-train-batch-size", "2",
            "--progress", "false"
        ])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("warning: max_length 1000 is more than the model's 512 positions (max_position_embeddings); using 512\n"), r.err)
        XCTAssertTrue(r.err.contains("2 pairs; 2 longer than max_length 512 truncated"), r.err)
        XCTAssertTrue(r.out.contains("trained 1 steps"), r.out)

        r = try run(["score", "--model", dir + "/out/checkpoint-1", "--text", long, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(
            r.err,
            "warning: --text is longer than the model's 512 positions (max_position_embeddings); "
                + "it was scored on its first 511 tokens and its last\n")
        let score = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Double]
        XCTAssertNotNil(score?["score"], r.out)
    }
}
