// Replays fuzz regression inputs that reach RLHFModels, as the harnesses feed them:
// - config (fuzz-config): decoded as each family's config.json and read as a model.safetensors.index.json;
// - gguf (fuzz-gguf, the GGUF reader's folder in RLHFFormatsTests): the tokenizer of the metadata, built and used;
// - model-config (fuzz-model-config): each family's model built from the config.json and run on two tokens;
// - model-gguf (fuzz-model-gguf): a Llama GGUF loaded as `loadPretrained` does and run on two tokens.
// Each must be read or rejected with an error naming the file; a trap would end the test process. Hand-made
// hostile inputs are `hand-*` (Fuzz/make_nasty_inputs.py); the others are what the fuzzers found, minimised.

import Foundation
import XCTest
import RLHFFormats
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers
@testable import RLHFModels

/// Runs `body`; a thrown error must name `path` (`mentioning`: somewhere in the message, else at its start).
func readOrReject(
    _ path: String, mentioning: Bool = false, _ body: () throws -> Void,
    file: StaticString = #filePath, line: UInt = #line
) {
    assertReadOrRejected(
        path, mentioning: mentioning, expecting: { $0 is FormatError || $0 is ModelError || $0 is TokenizerError },
        body, file: file, line: line)
}

final class FuzzRegressionTests: XCTestCase {
    func testConfigInputs() throws {
        let dir = try temporaryFolder("fuzz-config", removedAfter: self)
        try forEachFuzzRegressionInput("config", target: "RLHFModelsTests") { path in
            readOrReject(path) { _ = try decodeConfig(BertConfig.self, from: path) }
            readOrReject(path) { _ = try decodeConfig(DistilBertConfig.self, from: path).bertConfig(source: path) }
            readOrReject(path) { _ = try decodeConfig(LlamaConfig.self, from: path) }
            readOrReject(path) { _ = try decodeConfig(GPT2Config.self, from: path) }
            let index = dir + "/model.safetensors.index.json"
            try? FileManager.default.removeItem(atPath: index)
            try FileManager.default.copyItem(atPath: path, toPath: index)
            readOrReject(dir, mentioning: true) { _ = try SafetensorsCheckpoint(directory: dir) }
        }
    }

    func testGGUFVocabularyInputs() throws {
        forEachFuzzRegressionInput("gguf", target: "RLHFFormatsTests") { path in
            readOrReject(path) {
                let file = try GGUFFile(path: path)
                let vocabulary: GGUFVocabulary
                do { vocabulary = try GGUFVocabulary(metadataOf: file) } catch let error as ModelError {
                    XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
                    return
                }
                do {
                    let tokenizer = try Tokenizer.fromGGUFVocabulary(vocabulary)
                    _ = tokenizer.decode(tokenizer.encode("Hello, wörld! 12  <|im_start|>user\nhi"), skipSpecialTokens: true)
                } catch let error as TokenizerError {
                    XCTAssertTrue("\(error)".hasPrefix("GGUF vocabulary: tokenizer."), "\(error)")
                }
            }
        }
    }

    /// The fuzz harnesses' memory budget: a valid config of a larger model is rejected by its validation.
    private let limits = ModelLimits(maxParameterBytes: 16 << 20)

    private func forward(_ architecture: Architecture, source: String) throws {
        let ids = [0, 1].map { $0 % max(1, architecture.vocabularySize) }
        try architecture.checkInput(ids, source: source)
        switch architecture {
        case .bert(let m): _ = m(ids: ids, batch: 1)
        case .llama(let m): _ = m(ids: ids, batch: 1)
        case .gpt2(let m): _ = m(ids: ids, batch: 1)
        }
    }

    func testModelConfigInputs() throws {
        forEachFuzzRegressionInput("model-config", target: "RLHFModelsTests") { path in
            var rng = RandomGenerator(seed: 0)
            var built = 0
            for family in 0..<4 {
                readOrReject(path) {
                    switch family {
                    case 0:
                        let c = try decodeConfig(BertConfig.self, from: path)
                        try c.validate(source: path, limits: limits)
                        try forward(.bert(try BertModel(c, source: path, rng: &rng)), source: path)
                    case 1:
                        let c = try decodeConfig(DistilBertConfig.self, from: path).bertConfig(source: path, limits: limits)
                        try forward(.bert(try BertModel(c, pooler: false, source: path, rng: &rng)), source: path)
                    case 2:
                        let c = try decodeConfig(LlamaConfig.self, from: path)
                        try c.validate(source: path, limits: limits)
                        try forward(.llama(try LlamaForCausalLM(c, source: path, rng: &rng)), source: path)
                    default:
                        let c = try decodeConfig(GPT2Config.self, from: path)
                        try c.validate(source: path, limits: limits)
                        try forward(.gpt2(try GPT2LMHeadModel(c, source: path, rng: &rng)), source: path)
                    }
                    built += 1
                }
            }
            if isHandMadeFuzzInput(path) {
                XCTAssertEqual(built, 0, "\(path): a hand-made hostile config built a model")
            }
        }
    }

    func testModelGGUFInputs() throws {
        forEachFuzzRegressionInput("model-gguf", target: "RLHFModelsTests") { path in
            var built = false
            readOrReject(path) {
                try llamaConfig(fromGGUF: try GGUFFile(path: path)).validate(source: path, limits: limits)
                let model = try loadPretrained(path: path)
                let ids = model.tokenizer?.encode("Hello, world") ?? [0, 1]
                try model.architecture.checkInput(ids, source: path)
                if case .llama(let llama) = model.architecture { _ = llama(ids: ids, batch: 1) }
                built = true
            }
            if isHandMadeFuzzInput(path) {
                XCTAssertFalse(built, "\(path): a hand-made hostile GGUF built a model")
            }
        }
    }
}
