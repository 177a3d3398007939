// Replays the fuzz regression inputs of the tokenizer.json loader (Resources/fuzz-regressions/tokenizer/),
// as the fuzz-tokenizer harness feeds them: the bytes up to the first NUL are tokenizer.json, the rest (if
// any) tokenizer_config.json. Each must load (and then encode, decode, pad and truncate with its own
// settings, and render its chat template) or be rejected with a TokenizerError naming the file; a trap or a
// runaway allocation would end the test process. Hand-made hostile inputs are `hand-*`
// (Fuzz/make_nasty_inputs.py); the others are what the fuzzer found, minimised.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFTokenizers

final class FuzzRegressionTests: XCTestCase {
    private let sample = "Hello, wörld! 12 345  [CLS] <|im_start|>user\nhi<|im_end|>\t你好 🙂 a\u{301}\r\n"

    func testTokenizerInputs() throws {
        try forEachFuzzRegressionInput("tokenizer", target: "RLHFTokenizersTests") { path in
            let name = (path as NSString).lastPathComponent
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let dir = try temporaryFolder("fuzz")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let split = bytes.firstIndex(of: 0)
            try bytes[..<(split ?? bytes.endIndex)].write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
            if let split { try bytes[(split + 1)...].write(to: URL(fileURLWithPath: dir + "/tokenizer_config.json")) }
            do {
                let tokenizer = try Tokenizer.load(tokenizerJSON: dir + "/tokenizer.json")
                let ids = tokenizer.encode(sample)
                _ = tokenizer.decode(ids + [-1, 0, 1 << 40], skipSpecialTokens: true)
                _ = tokenizer.encode(sample, pair: "the pair")
                _ = tokenizer.encodeBatch(
                    [sample, "", "x"], padding: tokenizer.defaultPadding ?? .longest(side: .left),
                    truncation: tokenizer.defaultTruncation)
                if let template = tokenizer.chatTemplate {
                    _ = try template.render([ChatMessage(role: "user", content: sample)], addGenerationPrompt: true)
                }
            } catch let error as TokenizerError {
                if case .chatTemplateRender = error { return }
                XCTAssertTrue(error.description.contains(dir), "\(name): the message does not name the file: \(error)")
            }
        }
    }
}
