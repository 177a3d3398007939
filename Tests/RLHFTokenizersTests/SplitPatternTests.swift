// The hand-written GPT-2 and Llama-3 split matchers against HF `tokenizers` (Oniguruma) on the whole corpus, and the
// ICU fallback path against the same goldens.
import XCTest
@testable import RLHFTokenizers

final class SplitPatternTests: XCTestCase {
    /// Piece ends (in scalars) of a pattern on `text`.
    private func ends(_ pattern: ScalarPattern, _ text: String) -> [Int] {
        let aligned = AlignedText(Substring(text), base: 0)
        var found: [Range<Int>] = []
        pattern.findMatches(in: aligned, range: 0..<aligned.count, into: &found)
        // Isolated split keeps the gaps too; HF reports every piece.
        var pieces: [Int] = []
        var cursor = 0
        for m in found where !m.isEmpty {
            if m.lowerBound > cursor { pieces.append(m.lowerBound) }
            pieces.append(m.upperBound)
            cursor = m.upperBound
        }
        if cursor < aligned.count { pieces.append(aligned.count) }
        return pieces
    }

    private func check(_ pattern: ScalarPattern, _ expected: [[Int]], _ label: String) throws {
        let corpus = try Fixtures.corpus()
        var mismatches = 0
        for (i, text) in corpus.enumerated() where ends(pattern, text) != expected[i] {
            mismatches += 1
            if mismatches <= 5 {
                XCTFail("\(label) split differs for corpus[\(i)] \(text.debugDescription): ours \(ends(pattern, text)), HF \(expected[i])")
            }
        }
        XCTAssertEqual(mismatches, 0, "\(label): \(mismatches) of \(corpus.count) strings differ")
    }

    func testPatternStringsAreTheOnesRecognised() throws {
        let g = try Fixtures.goldens().regexSplits
        XCTAssertEqual(g.gpt2Pattern, gpt2SplitRegex)
        XCTAssertEqual(g.llama3Pattern, llama3SplitRegex)
        XCTAssertTrue(try makeRegexPattern(gpt2SplitRegex) is GPT2Pattern)
        XCTAssertTrue(try makeRegexPattern(llama3SplitRegex) is Llama3Pattern)
        XCTAssertTrue(try makeRegexPattern(#"\d+"#) is ICUPattern)
    }

    func testGPT2MatcherEqualsHF() throws {
        try check(GPT2Pattern(), try Fixtures.goldens().regexSplits.gpt2, "GPT-2 (hand-written)")
    }

    func testLlama3MatcherEqualsHF() throws {
        try check(Llama3Pattern(maxDigits: 3), try Fixtures.goldens().regexSplits.llama3, "Llama-3 (hand-written)")
    }

    func testICUPathOnTheSamePatterns() throws {
        // The general path, run on the two known patterns, must agree with Oniguruma too.
        try check(try ICUPattern(gpt2SplitRegex), try Fixtures.goldens().regexSplits.gpt2, "GPT-2 (ICU)")
        try check(try ICUPattern(llama3SplitRegex), try Fixtures.goldens().regexSplits.llama3, "Llama-3 (ICU)")
    }

    func testReferenceVectorsFromTheHFSource() throws {
        let pre = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
        func pieces(_ text: String) -> [String] {
            var p = PreTokenized(AlignedText(Substring(text), base: 0))
            pre.preTokenize(&p)
            return p.pieces.map { p.text.string($0) }
        }
        XCTAssertEqual(
            pieces("Hello my friend, how is your day going?"),
            ["Hello", "Ġmy", "Ġfriend", ",", "Ġhow", "Ġis", "Ġyour", "Ġday", "Ġgoing", "?"])
        XCTAssertEqual(pieces("Hello there       dear"), ["Hello", "Ġthere", "ĠĠĠĠĠĠ", "Ġdear"])
        XCTAssertEqual(ByteLevelTable.byteToScalar[0x20], "\u{120}")
        XCTAssertEqual(ByteLevelTable.byteToScalar[0x0A], "\u{10A}")
        XCTAssertEqual(ByteLevelTable.byteToScalar[0x7F], "\u{121}")
        XCTAssertEqual(ByteLevelTable.byteToScalar[0xAD], "\u{143}")
    }
}
