// The programmatic rewards of GRPO and RLOO: exact_answer's normalisation (accents, case, punctuation, digit
// groups, whole words), rows without an answer, format's regular expression, length's penalty; a function that
// returns NaN, or the wrong count, is an error naming it and the prompt's line; prompt rows carry their extra
// columns to the functions.

import Foundation
@testable import RLHFData
import RLHFTestSupport
import RLHFTokenizers
import XCTest
@testable import RLHFTraining

final class RewardFunctionTests: XCTestCase {
    private func prompt(_ answer: String?, line: Int = 1) -> PPOPrompt {
        PPOPrompt(ids: [1], text: "q", line: line, columns: answer.map { ["answer": $0] } ?? [:])
    }

    func testExactAnswerNormalisesAndMatchesWholeWords() {
        XCTAssertEqual(normalizedAnswerText("  París, FRANCE!  "), "paris france")
        XCTAssertEqual(normalizedAnswerText("It costs $1,000.50."), "it costs 1000.50")
        XCTAssertEqual(normalizedAnswerText("Ag (silver)"), "ag silver")
        let r = ExactAnswerReward()
        let cases: [(String?, String, Double?)] = [
            ("Paris", "The capital of France is París.", 1),
            ("Buenos Aires", "buenos aires, of course", 1),
            ("5", "It is 15.", 0),
            ("5", "It is 5.", 1),
            ("1000", "That is 1,000 metres.", 1),
            ("3.5", "About 3.5 kg.", 1),
            ("3.5", "About 3.55 kg.", 0),
            ("-20", "So -4 °F is -20 °C.", 1),
            ("-20", "It is 20 °C.", 0),
            ("20", "a 20-minute walk", 1),
            ("went", "The past tense is 'went'.", 1),
            ("Paris", "Lyon", 0),
            (nil, "anything", nil)
        ]
        let got = r.rewards(prompts: cases.map { prompt($0.0) }, completions: cases.map(\.1), completionIds: cases.map { _ in [1] })
        for (c, g) in zip(cases, got) { XCTAssertEqual(g, c.2, "\(c.0 ?? "nil") in '\(c.1)'") }
    }

    func testFormatAndLength() throws {
        let f = try FormatReward(pattern: "^The answer is [0-9]+\\.$")
        XCTAssertEqual(f.rewards(prompts: [prompt(nil), prompt(nil)], completions: ["The answer is 42.", "42"], completionIds: [[], []]), [1, 0])
        XCTAssertThrowsError(try FormatReward(pattern: "(unclosed")) { XCTAssertTrue("\($0)".contains("format_pattern '(unclosed'"), "\($0)") }
        let l = LengthReward(target: 4)
        XCTAssertEqual(
            l.rewards(
                prompts: [prompt(nil), prompt(nil), prompt(nil)], completions: ["", "", ""], completionIds: [[1, 2], [1, 2, 3, 4, 5, 6], Array(0..<8)]
            ), [0, -0.5, -1])
    }

    private struct Broken: CompletionReward {
        let name = "broken"
        let value: Double?
        let count: Int?
        func rewards(prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]) -> [Double?] {
            (0..<(count ?? completions.count)).map { $0 == 1 ? value : 0.5 }
        }
    }

    func testANaNRewardIsAnErrorNamingTheFunctionAndLine() throws {
        let prompts = [prompt("a", line: 3), prompt("b", line: 7)]
        XCTAssertThrowsError(
            try rewardsPerFunction(
                [ExactAnswerReward(), Broken(value: .nan, count: nil)], prompts: prompts, completions: ["a", "b"], completionIds: [[], []])
        ) { XCTAssertEqual("\($0)", "reward function 'broken' returned nan for the prompt on line 7; a reward must be a finite number or none") }
        XCTAssertThrowsError(try rewardsPerFunction([Broken(value: 1, count: 1)], prompts: prompts, completions: ["a", "b"], completionIds: [[], []]))
        {
            XCTAssertEqual($0 as? RewardFunctionError, .wrongCount(function: "broken", expected: 2, got: 1))
        }
        // none is allowed: the table keeps nil, and a completion with no reward at all is unscorable (NaN → advantage 0)
        let table = try rewardsPerFunction([Broken(value: nil, count: nil)], prompts: prompts, completions: ["a", "b"], completionIds: [[], []])
        XCTAssertEqual(table.map { $0[0] }, [0.5, nil])
        let r = weightedRewards(table, weights: [1])
        XCTAssertTrue(r[1].isNaN)
        XCTAssertEqual(grpoAdvantages(rewards: r, groupSize: 2, scaling: .group), [0, 0])
    }

    func testPromptRowsCarryTheirExtraColumns() throws {
        let tok = try Tokenizer.load(tokenizerJSON: repoRoot + "/models/minilm/tokenizer.json")
        let path = try writeLines(
            [#"{"prompt": "What is 6 times 7?", "answer": 42, "family": "arithmetic", "checked": true, "meta": {"x": 1}}"#],
            try temporaryFolder("qa"), "qa.jsonl")
        let p = try PPOPromptSet(path: path, tokenizer: tok, maxLength: 64).prompts[0]
        XCTAssertEqual(p.columns, ["answer": "42", "family": "arithmetic", "checked": "true"], "strings, numbers and booleans, as text")
        XCTAssertEqual(ExactAnswerReward().rewards(prompts: [p], completions: ["6 × 7 = 42."], completionIds: [[]]), [1])
    }
}
