// PretrainedModel.requireTokenizer and requireCausalLM: what a model lacks for a use is a ModelError naming
// its path (no tokenizer; an encoder where a decoder is needed), and what it has is handed back as it is.

import Foundation
import XCTest
import RLHFModels

final class RequirementTests: XCTestCase {
    /// A copy of a tiny test folder with a word-level tokenizer.json over "w0" … "w99" (and "[UNK]").
    private func withTokenizer(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("requirements-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: resourceFolder(name) + "/" + file, toPath: dir + "/" + file)
        }
        let vocab = (0..<100).map { "\"w\($0)\": \($0)" }.joined(separator: ", ")
        try """
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
         "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
         "model": {"type": "WordLevel", "vocab": {\(vocab), "[UNK]": 100}, "unk_token": "[UNK]"}}
        """.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        return dir
    }

    func testAFolderWithoutTokenizerJSONHasNoTokenizer() throws {
        for name in ["tiny-bert", "tiny-llama", "tiny-gpt2"] {
            let m = try loadPretrained(path: resourceFolder(name))
            XCTAssertNil(m.tokenizer, name)
            XCTAssertThrowsError(try m.requireTokenizer(), name) { error in
                XCTAssertEqual(error as? ModelError, .noTokenizer(path: m.path))
                XCTAssertEqual("\(error)", "\(m.path): the model has no tokenizer (tokenizer.json or a GGUF vocabulary)")
            }
        }
    }

    func testATokenizerThatIsThereIsReturned() throws {
        let m = try loadPretrained(path: try withTokenizer("tiny-gpt2"))
        let t = try m.requireTokenizer()
        XCTAssertTrue(t === m.tokenizer, "the model's own tokenizer")
        XCTAssertEqual(t.encode("w3 w7", addSpecialTokens: false), [3, 7])
    }

    func testAnEncoderIsNotADecoder() throws {
        let m = try loadPretrained(path: try withTokenizer("tiny-bert"))
        XCTAssertNoThrow(try m.requireTokenizer(), "a tokenizer does not make it a decoder")
        XCTAssertThrowsError(try m.requireCausalLM(purpose: "SFT trains Llama or GPT-2 causal LMs")) { error in
            XCTAssertEqual(
                error as? ModelError,
                .notADecoder(path: m.path, architecture: "bert", purpose: "SFT trains Llama or GPT-2 causal LMs"))
            XCTAssertEqual("\(error)", "\(m.path): a bert model is not a decoder (SFT trains Llama or GPT-2 causal LMs)")
        }
        let distil = try loadPretrained(path: resourceFolder("tiny-distilbert"))
        XCTAssertThrowsError(try distil.requireCausalLM(purpose: "generation")) { error in
            XCTAssertEqual("\(error)", "\(distil.path): a bert model is not a decoder (generation)")
        }
    }

    func testDecodersAreReturnedAsThemselves() throws {
        for name in ["tiny-llama", "tiny-gpt2"] {
            let m = try loadPretrained(path: resourceFolder(name))
            let lm = try m.requireCausalLM(purpose: "unused")
            XCTAssertTrue(lm === m.architecture.causalLM, name)
        }
    }
}
