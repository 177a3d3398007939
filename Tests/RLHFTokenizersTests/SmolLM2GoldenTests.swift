// SmolLM2 (byte-level BPE, 49152 tokens) against the goldens. Its tokenizer ships only inside the GGUF, which this
// target cannot read; scripts/goldens/tokenizer_goldens.py exports it to models/smollm2/ (git-ignored), and these
// tests skip when that export is absent.
//   tokenizer.json                     the reference pipeline Sequence[Digits(individual), ByteLevel] → goldens "ids"
//   tokenizer.transformers-gguf.json   what transformers builds from the GGUF (plain ByteLevel) → "transformers_gguf_ids"
import XCTest
@testable import RLHFTokenizers

final class SmolLM2GoldenTests: XCTestCase {
    private func assertCorpusIds(_ tok: Tokenizer, _ expected: [[Int]], _ label: String) throws {
        let corpus = try Fixtures.corpus()
        XCTAssertEqual(expected.count, corpus.count)
        var mismatches = 0
        for (i, text) in corpus.enumerated() {
            let ids = tok.encode(text)
            if ids != expected[i] {
                mismatches += 1
                if mismatches <= 5 {
                    XCTFail("\(label) ids differ for corpus[\(i)] \(text.debugDescription):\n ours \(ids)\n   HF \(expected[i])")
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(label): \(mismatches) of \(corpus.count) corpus strings differ")
    }

    func testReferenceIdsMatchOnWholeCorpus() throws {
        try assertCorpusIds(try Fixtures.smolLM2(), try Fixtures.goldens().smollm2.ids, "SmolLM2 (reference)")
    }

    func testTransformersGGUFIdsMatchOnWholeCorpus() throws {
        try assertCorpusIds(
            try Fixtures.smolLM2("tokenizer.transformers-gguf.json"),
            try Fixtures.goldens().smollm2.transformersGgufIds, "SmolLM2 (transformers GGUF)")
    }

    func testByteLevelRoundTripOnWholeCorpus() throws {
        let tok = try Fixtures.smolLM2()
        for (i, text) in try Fixtures.corpus().enumerated() {
            XCTAssertTrue(tok.decode(tok.encode(text)).scalarsEqual(text), "decode(encode(x)) != x for corpus[\(i)] \(text.debugDescription)")
        }
    }

    func testOffsetsMatchHF() throws {
        let tok = try Fixtures.smolLM2()
        let corpus = try Fixtures.corpus()
        let g = try Fixtures.goldens().smollm2
        for (i, offsets) in g.offsets.enumerated() {
            let e = tok.encode(corpus[i], pair: nil)
            XCTAssertEqual(e.ids, g.ids[i], "corpus[\(i)]")
            XCTAssertEqual(hfCharOffsets(e.offsets, in: corpus[i]), offsets, "offsets of corpus[\(i)] \(corpus[i].debugDescription)")
        }
    }

    func testDecodeMatchesHF() throws {
        let tok = try Fixtures.smolLM2()
        let g = try Fixtures.goldens().smollm2
        for d in g.decode {
            XCTAssertEqual(tok.decode(g.ids[d.index], skipSpecialTokens: true), d.skipSpecial, "corpus[\(d.index)]")
            XCTAssertEqual(tok.decode(g.ids[d.index], skipSpecialTokens: false), d.keepSpecial, "corpus[\(d.index)]")
        }
        // Invalid UTF-8 from a partial byte sequence decodes lossily, never traps.
        let leadByte = try XCTUnwrap(tok.tokenToId("â"))   // byte 0xE2 alone
        XCTAssertEqual(tok.decode([leadByte]), "\u{FFFD}")
        XCTAssertEqual(tok.decode([leadByte] + tok.encode("ok")), "\u{FFFD}ok")
    }

    func testSpecialTokensAndChatTemplate() throws {
        let tok = try Fixtures.smolLM2()
        let g = try Fixtures.goldens()
        XCTAssertEqual(tok.vocabularySize, g.smollm2.vocabSize)
        XCTAssertEqual(tok.bosToken, g.smollm2.bosToken)
        XCTAssertEqual(tok.eosToken, g.smollm2.eosToken)
        XCTAssertEqual(tok.padToken, g.smollm2.padToken)
        XCTAssertEqual(tok.unkToken, g.smollm2.unkToken)
        XCTAssertEqual(tok.bosTokenId, 1)
        XCTAssertEqual(tok.eosTokenId, 2)
        XCTAssertEqual(tok.padTokenId, 2)
        XCTAssertEqual(tok.unkTokenId, 0)
        XCTAssertNil(tok.modelMaxLength)
        let template = try tok.requireChatTemplate()
        XCTAssertEqual(
            template.kind,
            .chatML(defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        for c in g.chat.smollm2.cases {
            XCTAssertEqual(try template.render(c.messages, addGenerationPrompt: c.addGenerationPrompt), c.text)
        }
        // A rendered conversation tokenizes with its special tokens whole.
        let ids = tok.encode(try template.render([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true))
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.filter { $0 == 1 }.count, 3)
        XCTAssertEqual(tok.decode(ids, skipSpecialTokens: true).hasPrefix("system\n"), true)
    }
}
