// PPO prompt files: TRL's prompt-only formats, bad lines named by file, line and field, long prompts
// dropped and counted, and the text the reward model reads.

import Foundation
@testable import RLHFData
import XCTest
import RLHFTestSupport
import RLHFTokenizers
@testable import RLHFTraining

final class PPODataTests: XCTestCase {
    private func tokenizer() throws -> Tokenizer { try Tokenizer.load(tokenizerJSON: repoRoot + "/models/minilm/tokenizer.json") }

    private func write(_ lines: [String]) throws -> String {
        let path = try temporaryFolder("prompts") + "/prompts.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testPromptsAreTokenizedAndLongOnesDropped() throws {
        let tok = try tokenizer()
        let path = try write([
            #"{"prompt": "What is the capital of Peru?"}"#,
            #"{"prompt": "\#(String(repeating: "very ", count: 40))long question?"}"#,
            #"{"prompt": "Name a planet."}"#
        ])
        let set = try PPOPromptSet(path: path, tokenizer: tok, maxLength: 16)
        XCTAssertEqual(set.prompts.map(\.line), [1, 3])
        XCTAssertEqual(set.tooLong, 1)
        XCTAssertEqual(set.prompts[0].text, "What is the capital of Peru?")
        XCTAssertEqual(set.prompts[0].ids, tok.encode("What is the capital of Peru?"))
    }

    func testBadLinesNameFileLineAndField() throws {
        let tok = try tokenizer()
        let cases: [(String, String)] = [
            ("not json", "not valid JSON at column"),
            ("[1, 2]", "expected a JSON object, found"),
            (#"{"question": "x"}"#, "field 'prompt': missing"),
            (#"{"prompt": 3}"#, "field 'prompt': expected a string or a list of messages"),
            (#"{"prompt": ""}"#, "field 'prompt': is empty"),
            (#"{"prompt": [{"role": "user"}]}"#, "field 'prompt[0].content': missing or not a string"),
            (#"{"prompt": [{"role": "user", "content": "hi"}]}"#, "conversational prompts need a model with a chat template")
        ]
        for (line, expected) in cases {
            let path = try write([#"{"prompt": "fine"}"#, line])
            XCTAssertThrowsError(try PPOPromptSet(path: path, tokenizer: tok, maxLength: 64)) {
                XCTAssertTrue("\($0)".hasPrefix(path + ":2"), "\($0) should name \(path):2")
                XCTAssertTrue("\($0)".contains(expected), "\($0) should contain \(expected)")
            }
            let skipped = try PPOPromptSet(path: path, tokenizer: tok, maxLength: 64, skipBadLines: true)
            XCTAssertEqual(skipped.prompts.count, 1)
            XCTAssertEqual(skipped.skipped.count, 1)
        }
        XCTAssertThrowsError(try PPOPromptSet(path: try write([#"{"prompt": "far too long for one token"}"#]), tokenizer: tok, maxLength: 1)) {
            XCTAssertTrue("\($0)".contains("every prompt is longer than 1 tokens"), "\($0)")
        }
    }
}
