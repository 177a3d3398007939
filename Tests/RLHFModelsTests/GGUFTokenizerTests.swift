// SmolLM2's tokenizer built from its GGUF metadata (our GGUF reader → Tokenizer.fromGGUFVocabulary)
// against the reference ids of the whole tokenizer corpus (scripts/goldens/tokenizer_goldens.py,
// `smollm2.ids`: SmolLM2's own pipeline, Digits + ByteLevel, as llama.cpp's "smollm" pre-tokenizer).

import Foundation
import XCTest
import RLHFModels
import RLHFTestSupport
import RLHFTokenizers

final class GGUFTokenizerTests: XCTestCase {
    func testSmolLM2TokenizerFromGGUFMatchesReferenceOnCorpus() throws {
        let loaded = try loadPretrained(path: try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
        guard let tok = loaded.tokenizer else { return XCTFail("the GGUF carries a vocabulary; no tokenizer was built") }
        let res = repoRoot + "/Tests/RLHFTokenizersTests/Resources/"
        let corpus = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: res + "corpus.json")))
        struct Goldens: Decodable { struct Smol: Decodable { let ids: [[Int]] }; let smollm2: Smol }
        let gold = try JSONDecoder().decode(Goldens.self, from: Data(contentsOf: URL(fileURLWithPath: res + "tokenizer_goldens.json")))
        XCTAssertEqual(corpus.count, gold.smollm2.ids.count)
        XCTAssertGreaterThanOrEqual(corpus.count, 300)
        var mismatches = 0
        for (text, ids) in zip(corpus, gold.smollm2.ids) {
            let ours = tok.encode(text)
            if ours != ids {
                mismatches += 1
                if mismatches <= 3 { XCTFail("\(text.debugDescription): ours \(ours.prefix(20)) vs reference \(ids.prefix(20))") }
            }
            XCTAssertEqual(tok.decode(ours), text, "byte-level round trip of \(text.debugDescription)")
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(tok.vocabularySize, 49152)
        XCTAssertNotNil(tok.chatTemplate)
    }
}
