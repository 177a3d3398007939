// encodeBatch: truncation and padding on either side, pad ids, masks; batches equal single encodes.
import XCTest
@testable import RLHFTokenizers

final class PaddingTruncationTests: XCTestCase {
    let texts = ["hello", "hello world, how are you today?", "a b c"]

    func testRightPaddingToLongest() throws {
        let tok = try Fixtures.miniLM()
        let batch = tok.encodeBatch(texts, padding: .longest(side: .right))
        let longest = texts.map { tok.encode($0).count }.max()!
        for (text, e) in zip(texts, batch) {
            let ids = tok.encode(text)
            XCTAssertEqual(e.count, longest)
            XCTAssertEqual(Array(e.ids.prefix(ids.count)), ids)
            XCTAssertEqual(Array(e.ids.dropFirst(ids.count)), [Int](repeating: 0, count: longest - ids.count))
            XCTAssertEqual(e.attentionMask, [Int](repeating: 1, count: ids.count) + [Int](repeating: 0, count: longest - ids.count))
            XCTAssertEqual(e.tokens.last, ids.count == longest ? "[SEP]" : "[PAD]")
        }
    }

    func testLeftPaddingToFixedLengthWithGivenPadId() throws {
        let tok = try Fixtures.miniLM()
        let batch = tok.encodeBatch(texts, padding: .maxLength(16, side: .left), padTokenId: 7)
        for (text, e) in zip(texts, batch) {
            let ids = tok.encode(text)
            XCTAssertEqual(e.count, max(16, ids.count))
            let pad = e.count - ids.count
            XCTAssertEqual(Array(e.ids.suffix(ids.count)), ids)
            XCTAssertEqual(Array(e.ids.prefix(pad)), [Int](repeating: 7, count: pad))
            XCTAssertEqual(Array(e.attentionMask.prefix(pad)), [Int](repeating: 0, count: pad))
            XCTAssertEqual(Array(e.specialTokensMask.prefix(pad)), [Int](repeating: 1, count: pad))
        }
    }

    func testTruncationKeepsSpecialTokens() throws {
        let tok = try Fixtures.miniLM()
        let long = "one two three four five six seven eight nine ten"
        let full = tok.encode(long)
        let right = tok.encodeBatch([long], truncation: Truncation(maxLength: 6, side: .right))[0]
        XCTAssertEqual(right.ids, [101] + Array(full[1...4]) + [102])
        let left = tok.encodeBatch([long], truncation: Truncation(maxLength: 6, side: .left))[0]
        XCTAssertEqual(left.ids, [101] + Array(full[(full.count - 5)...(full.count - 2)]) + [102])
        let noSpecial = tok.encodeBatch([long], addSpecialTokens: false, truncation: Truncation(maxLength: 3))[0]
        XCTAssertEqual(noSpecial.ids, Array(full[1...3]))
        let tiny = tok.encodeBatch([long], truncation: Truncation(maxLength: 1))[0]
        XCTAssertEqual(tiny.ids, [101, 102], "special tokens are never truncated away")
    }

    func testTruncateThenPadLeft() throws {
        let tok = try Fixtures.miniLM()
        let batch = tok.encodeBatch(texts, padding: .maxLength(5, side: .left), truncation: Truncation(maxLength: 5, side: .left))
        for e in batch {
            XCTAssertEqual(e.count, 5)
            XCTAssertEqual(e.ids.last, 102)
            XCTAssertEqual(e.offsets.count, 5)
            XCTAssertEqual(e.typeIds.count, 5)
        }
        XCTAssertEqual(batch[0].ids, [0, 0, 101, 7592, 102])
    }

    func testByteLevelPaddingUsesPadToken() throws {
        let tok = try Fixtures.smolLM2()
        let batch = tok.encodeBatch(["Hi", "Hello there, friend"], padding: .longest(side: .left))
        XCTAssertEqual(batch[0].ids.first, 2, "SmolLM2 pads with <|im_end|>")
        XCTAssertEqual(batch[0].count, batch[1].count)
        XCTAssertEqual(Array(batch[0].ids.suffix(tok.encode("Hi").count)), tok.encode("Hi"))
    }

    func testLargeBatchIsParallelAndEqualToSequential() throws {
        let tok = try Fixtures.miniLM()
        let corpus = try Fixtures.corpus()
        let batch = tok.encodeBatch(corpus)
        XCTAssertEqual(batch.count, corpus.count)
        for (text, e) in zip(corpus, batch) { XCTAssertEqual(e, tok.encode(text, pair: nil)) }
    }
}
