// Replays fuzz regression inputs that reach RLHFModels, as the harnesses feed them:
// - config (fuzz-config): decoded as each family's config.json and read as a model.safetensors.index.json;
// - gguf (fuzz-gguf, the GGUF reader's folder in RLHFFormatsTests): the tokenizer of the metadata, built and used.
// Each must be read or rejected with an error naming the file; a trap would end the test process. Hand-made
// hostile inputs are `hand-*` (Fuzz/make_nasty_inputs.py); the others are what the fuzzers found, minimised.

import Foundation
import XCTest
import RLHFFormats
import RLHFTokenizers
@testable import RLHFModels

/// The files of `Tests/<target>/Resources/fuzz-regressions/<reader>/`, sorted; fails when there are none.
func fuzzRegressionInputs(_ reader: String, target: String = "RLHFModelsTests",
                          file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
    let folder = repoRoot + "/Tests/\(target)/Resources/fuzz-regressions/" + reader
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    XCTAssertFalse(names.isEmpty, "no regression inputs in \(folder)", file: file, line: line)
    return names.sorted().map { folder + "/" + $0 }
}

/// Runs `body`; a thrown error must name `path` (`mentioning`: somewhere in the message, else at its start).
func readOrReject(_ path: String, mentioning: Bool = false, _ body: () throws -> Void,
                  file: StaticString = #filePath, line: UInt = #line) {
    do { try body() } catch {
        let text = "\(error)"
        if error is FormatError || error is ModelError || error is TokenizerError {
            XCTAssertTrue(mentioning ? text.contains(path) : text.hasPrefix(path), "the message does not name \(path): \(text)",
                          file: file, line: line)
        } else {
            XCTFail("\(path): unexpected error \(type(of: error)): \(text)", file: file, line: line)
        }
    }
}

final class FuzzRegressionTests: XCTestCase {
    func testConfigInputs() throws {
        let dir = NSTemporaryDirectory() + "rlhf-fuzz-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for path in try fuzzRegressionInputs("config") {
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
        for path in try fuzzRegressionInputs("gguf", target: "RLHFFormatsTests") {
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
}
