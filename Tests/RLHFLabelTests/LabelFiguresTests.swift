// The admin figures: Cohen's kappa and the Wilson interval against textbook values, and position bias,
// agreement and the per-pair win rate on labels whose answers are known.

import Foundation
import XCTest

@testable import RLHFLabel

final class LabelFiguresTests: XCTestCase {
    func testCohensKappaOnTheTextbookTable() {
        // 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 → p_o 0.7, p_e 0.5, κ 0.4
        let ratings =
            Array(repeating: ("yes", "yes"), count: 20) + Array(repeating: ("yes", "no"), count: 5)
            + Array(repeating: ("no", "yes"), count: 10) + Array(repeating: ("no", "no"), count: 15)
        XCTAssertEqual(cohensKappa(ratings) ?? .nan, 0.4, accuracy: 1e-12)
        XCTAssertEqual(cohensKappa(Array(repeating: ("a", "a"), count: 5)), nil, "one category only: chance agreement is 1")
        XCTAssertEqual(cohensKappa([("a", "b"), ("b", "a")]) ?? .nan, -1, accuracy: 1e-12)
        XCTAssertNil(cohensKappa([]))
    }

    func testWilsonInterval() throws {
        let p = try XCTUnwrap(wilsonInterval(successes: 8, n: 10))
        XCTAssertEqual(p.value, 0.8)
        XCTAssertEqual(p.low, 0.4902, accuracy: 1e-4)
        XCTAssertEqual(p.high, 0.9433, accuracy: 1e-4)
        let zero = try XCTUnwrap(wilsonInterval(successes: 0, n: 5))
        XCTAssertEqual(zero.low, 0)
        XCTAssertGreaterThan(zero.high, 0.4)
        XCTAssertNil(wilsonInterval(successes: 0, n: 0))
    }

    func testFiguresOfKnownLabels() throws {
        func l(_ pair: Int64, _ rater: Int64, _ choice: String, _ outcome: String, _ t: Double) -> LabelRecord {
            LabelRecord(pair: pair, rater: rater, raterName: rater == 1 ? "ana" : "ben", choice: choice, outcome: outcome, createdAt: t)
        }
        let labels = [
            l(1, 1, "left", "a", 0), l(1, 2, "right", "a", 10),   // agree on a
            l(2, 1, "left", "b", 20), l(2, 2, "left", "a", 30),   // disagree
            l(3, 1, "tie", "tie", 40), l(3, 2, "tie", "tie", 50),   // agree on tie
            l(4, 1, "right", "b", 1000), l(5, 2, "skip", "skip", 60)
        ]
        let f = labelFigures(labels, pairs: 6, comparesModels: true, now: 1100)
        XCTAssertEqual(f.labels, 8)
        XCTAssertEqual(f.labelledPairs, 4)
        // ana: gaps 20, 20, 960 → capped 20 + 20 + 300 = 340 s for 3 intervals
        let ana = try XCTUnwrap(f.raters.first { $0.name == "ana" })
        XCTAssertEqual(ana.labels, 4)
        XCTAssertEqual(ana.perHour ?? 0, 3.0 / 340 * 3600, accuracy: 1e-9)
        XCTAssertEqual(ana.lastHour, 4)
        XCTAssertEqual(ana.left?.value ?? 0, 2.0 / 3, accuracy: 1e-12)   // left, left, right
        // position bias: left in 3 of 5 left/right choices
        XCTAssertEqual(f.positionBias?.count, 5)
        XCTAssertEqual(f.positionBias?.value ?? 0, 0.6, accuracy: 1e-12)
        // agreement: 3 comparisons (pairs 1, 2, 3), 2 agree; κ from the marginals
        let all = try XCTUnwrap(f.agreement.first)
        XCTAssertEqual(all.raters, "all")
        XCTAssertEqual(all.comparisons, 3)
        XCTAssertEqual(all.agreement, 2.0 / 3, accuracy: 1e-12)
        // ana: a, b, tie; ben: a, a, tie → p_e = 1/3·2/3 + 1/3·0 + 1/3·1/3 = 1/3; κ = (2/3 − 1/3) / (2/3) = 0.5
        XCTAssertEqual(all.kappa ?? .nan, 0.5, accuracy: 1e-12)
        XCTAssertEqual(f.agreement.count, 2)
        XCTAssertEqual(f.agreement[1].raters, "ana / ben")
        // win rate of B per pair: pair 1 → 0, pair 2 → ½ (b and a), pair 3 → ½ (tie), pair 4 → 1; mean 0.5 over 4 pairs
        let w = try XCTUnwrap(f.winRateB)
        XCTAssertEqual(w.count, 4)
        XCTAssertEqual(w.value, 0.5, accuracy: 1e-12)
        XCTAssertLessThan(w.low, 0.5)
        XCTAssertGreaterThan(w.high, 0.5)
        XCTAssertNil(labelFigures(labels, pairs: 6, comparesModels: false, now: 1100).winRateB)
        // slots: pairs 1–3 have two decided labels, pair 4 one; the skip fills none
        XCTAssertEqual(f.decidedPerPair, [1, 2, 2, 2])
        XCTAssertEqual(f.filledSlots(overlap: 1), 4)
        XCTAssertEqual(f.filledSlots(overlap: 2), 7)
    }
}
