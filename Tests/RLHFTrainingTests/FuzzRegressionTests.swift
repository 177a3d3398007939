// Replays the fuzz regression inputs of the data and config readers (Resources/fuzz-regressions/jsonl and
// yaml), as the fuzz-jsonl and fuzz-yaml harnesses feed them: each JSONL file to every dataset reader of
// TRL's formats, strict and skipping bad lines; each YAML file to the pipeline's section reader and each
// trainer's config. Every input must be read or rejected with a DataError, FormatError or ConfigError that
// names the file; a trap would end the test process. Hand-made hostile inputs are `hand-*`
// (Fuzz/make_nasty_inputs.py); the others are what the fuzzers found, minimised.

import Foundation
@testable import RLHFData
import XCTest
import RLHFFormats
import RLHFTestSupport
import RLHFTokenizers
@testable import RLHFTraining

final class FuzzRegressionTests: XCTestCase {
    /// The fuzz-jsonl harness's tokenizer: GPT-2's byte alphabet, two merges, ChatML specials and template.
    static let tokenizer: Tokenizer? = {
        var alphabet: [String] = []
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            alphabet.append(String(Character(Unicode.Scalar(printable ? UInt32(b) : next)!)))
            if !printable { next += 1 }
        }
        let chatML =
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
        return try? Tokenizer.fromGGUFVocabulary(
            GGUFVocabulary(
                model: "gpt2", tokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + alphabet + ["Ġt", "he"],
                tokenTypes: [3, 3, 3] + Array(repeating: 1, count: 258), merges: ["Ġ t", "h e"], bosTokenId: 1, eosTokenId: 2,
                chatTemplate: chatML))
    }()

    /// Runs `body`; an error must be one of ours and name `path`.
    private func readOrReject(_ path: String, _ body: () throws -> Void, line: UInt = #line) {
        assertReadOrRejected(path, expecting: { $0 is DataError || $0 is FormatError || $0 is ConfigError }, body, line: line)
    }

    func testJSONLinesInputs() throws {
        let tokenizer = try XCTUnwrap(Self.tokenizer, "the harness's tokenizer does not build")
        forEachFuzzRegressionInput("jsonl", target: "RLHFTrainingTests") { path in
            readOrReject(path) { _ = try readJSONLines(path: path) }
            for skip in [false, true] {
                readOrReject(path) { _ = try PreferenceDataset(path: path, chatTemplate: tokenizer.chatTemplate, skipBadLines: skip) }
                readOrReject(path) { _ = try PreferenceDataset(path: path, chatTemplate: nil, skipBadLines: skip) }
                readOrReject(path) { _ = try PPOPromptSet(path: path, tokenizer: tokenizer, maxLength: 32, skipBadLines: skip) }
            }
            for (completionOnly, assistantOnly) in [(true, false), (false, true)] {
                readOrReject(path) {
                    let data = try SFTDataset(
                        path: path, tokenizer: tokenizer, maxLength: 24, completionOnlyLoss: completionOnly,
                        assistantOnlyLoss: assistantOnly, skipBadLines: true)
                    _ = SFTDataset.packed(data.examples, length: 16)
                }
            }
        }
    }

    func testYAMLInputs() throws {
        forEachFuzzRegressionInput("yaml", target: "RLHFTrainingTests") { path in
            readOrReject(path) { _ = try readYAMLSections(path: path) }
            readOrReject(path) { _ = try RewardConfig.load(path: path) }
            readOrReject(path) { _ = try SFTConfig.load(path: path) }
            readOrReject(path) { _ = try PPOConfig.load(path: path) }
        }
    }
}
