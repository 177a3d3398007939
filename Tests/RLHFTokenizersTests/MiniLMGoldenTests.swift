// MiniLM (BERT WordPiece, models/minilm/tokenizer.json) against HF `tokenizers`/`transformers` on the golden corpus.
import XCTest
@testable import RLHFTokenizers

final class MiniLMGoldenTests: XCTestCase {
    func testIdsMatchHFOnWholeCorpus() throws {
        let tok = try Fixtures.miniLM()
        let corpus = try Fixtures.corpus()
        let g = try Fixtures.goldens().minilm
        XCTAssertEqual(g.ids.count, corpus.count)
        var mismatches = 0
        for (i, text) in corpus.enumerated() {
            let ids = tok.encode(text)
            if ids != g.ids[i] {
                mismatches += 1
                if mismatches <= 5 {
                    XCTFail("MiniLM ids differ for corpus[\(i)] \(text.debugDescription):\n ours \(ids)\n   HF \(g.ids[i])")
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(mismatches) of \(corpus.count) corpus strings differ")
    }

    func testFullEncodingAgreesWithIdsAndOffsetsMatchHF() throws {
        let tok = try Fixtures.miniLM()
        let corpus = try Fixtures.corpus()
        let g = try Fixtures.goldens().minilm
        for (i, offsets) in g.offsets.enumerated() {
            let e = tok.encode(corpus[i], pair: nil)
            XCTAssertEqual(e.ids, g.ids[i], "corpus[\(i)]")
            XCTAssertEqual(hfCharOffsets(e.offsets, in: corpus[i]), offsets, "offsets of corpus[\(i)] \(corpus[i].debugDescription)")
            XCTAssertEqual(e.attentionMask, [Int](repeating: 1, count: e.count))
            XCTAssertEqual(e.typeIds, [Int](repeating: 0, count: e.count))
            XCTAssertEqual(e.tokens.first, "[CLS]")
            XCTAssertEqual(e.tokens.last, "[SEP]")
            XCTAssertEqual(e.specialTokensMask.first, 1)
        }
    }

    func testPairsMatchHF() throws {
        let tok = try Fixtures.miniLM()
        for p in try Fixtures.goldens().minilm.pairs {
            let e = tok.encode(p.a, pair: p.b)
            XCTAssertEqual(e.ids, p.ids, "pair \(p.a.debugDescription) / \(p.b.debugDescription)")
            XCTAssertEqual(e.typeIds, p.typeIds)
        }
    }

    func testDecodeMatchesHF() throws {
        let tok = try Fixtures.miniLM()
        let g = try Fixtures.goldens().minilm
        for d in g.decode {
            XCTAssertEqual(tok.decode(g.ids[d.index], skipSpecialTokens: true), d.skipSpecial, "corpus[\(d.index)]")
            XCTAssertEqual(tok.decode(g.ids[d.index], skipSpecialTokens: false), d.keepSpecial, "corpus[\(d.index)]")
        }
    }

    func testWordPieceDecodeSanity() throws {
        let tok = try Fixtures.miniLM()
        // HF's WordPiece cleanup runs token by token, so "don ' t" keeps its spaces (as `tokenizers` decodes it).
        XCTAssertEqual(
            tok.decode(tok.encode("Hello, World! Don't panic."), skipSpecialTokens: true),
            "hello, world! don ' t panic.")
        let ids = tok.encode("unaffable tokenization", addSpecialTokens: false)
        XCTAssertTrue(ids.count > 2, "expected WordPiece continuations")
        XCTAssertEqual(tok.decode(ids), "unaffable tokenization")
        XCTAssertEqual(tok.decode([999_999, -1] + ids), "unaffable tokenization", "unknown ids are skipped")
    }

    func testSpecialTokensAndVocabulary() throws {
        let tok = try Fixtures.miniLM()
        XCTAssertEqual(tok.vocabularySize, 30522)
        XCTAssertEqual(tok.padTokenId, 0)
        XCTAssertEqual(tok.unkTokenId, 100)
        XCTAssertNil(tok.bosTokenId)
        XCTAssertNil(tok.eosTokenId)
        XCTAssertEqual(tok.tokenToId("[CLS]"), 101)
        XCTAssertEqual(tok.idToToken(102), "[SEP]")
        XCTAssertEqual(tok.modelMaxLength, 512)
        XCTAssertEqual(tok.defaultTruncation, Truncation(maxLength: 128, side: .right))
        XCTAssertEqual(tok.defaultPadding, .maxLength(128, side: .right))
        XCTAssertNil(tok.chatTemplate)
        XCTAssertThrowsError(try tok.requireChatTemplate())
        // Encoding ignores the file's truncation, like transformers.
        XCTAssertEqual(tok.encode(String(repeating: "word ", count: 300)).count, 302)
    }

    func testAddSpecialTokensFalse() throws {
        let tok = try Fixtures.miniLM()
        let with = tok.encode("hello world")
        let without = tok.encode("hello world", addSpecialTokens: false)
        XCTAssertEqual(with, [101] + without + [102])
        XCTAssertEqual(tok.encode("[CLS] hi [SEP]", addSpecialTokens: false).first, 101, "special tokens in the text are matched")
    }
}
