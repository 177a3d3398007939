// The admin page's figures, computed from the live labels:
//
//   per rater      labels, skips, labels in the last hour, and the rate per hour of active time (the gaps
//                  between consecutive labels, each capped at 5 minutes, so that a break does not count)
//   position bias  the share of "left" among left/right choices, with its 95% Wilson interval: with the
//                  sides shuffled it should be 0.5
//   agreement      on pairs labelled by two or more raters (skips left out), every two raters of a pair make
//                  one comparison of their outcomes (a, b, tie, both_bad): percent agreement and Cohen's
//                  kappa, (p_o − p_e) / (1 − p_e) with p_e from each side's own marginal shares (the rater
//                  with the lower id on the first side), over all comparisons and per two raters
//   win rate       with two models: model B's share of wins per pair (a tie counts ½; the labels of a pair are
//                  averaged first, so a pair counts once), with the 95% Wilson interval over pairs

import Foundation
import GRDB

/// One live label, as the figures need it.
public struct LabelRecord: Sendable, Equatable {
    /// The pair labelled.
    public var pair: Int64
    /// The rater's id.
    public var rater: Int64
    /// The rater's name.
    public var raterName: String
    /// As shown: left, right, tie, both_bad, skip.
    public var choice: String
    /// In the pair's terms: a, b, tie, both_bad, skip.
    public var outcome: String
    /// Seconds since 1970.
    public var createdAt: Double

    /// A record from its parts.
    public init(pair: Int64, rater: Int64, raterName: String, choice: String, outcome: String, createdAt: Double) {
        self.pair = pair; self.rater = rater; self.raterName = raterName; self.choice = choice; self.outcome = outcome
        self.createdAt = createdAt
    }
}

/// A share with its 95% interval.
public struct Proportion: Sendable, Equatable {
    /// The share.
    public var value: Double
    /// Lower end of the 95% interval.
    public var low: Double
    /// Upper end of the 95% interval.
    public var high: Double
    /// How many observations it is over.
    public var count: Int
}

/// The Wilson score interval (95%) of `successes` in `n` trials (successes may be fractional, as with ties).
public func wilsonInterval(successes: Double, n: Int) -> Proportion? {
    guard n > 0 else { return nil }
    let z = 1.959964, nn = Double(n), p = successes / nn
    let denom = 1 + z * z / nn
    let centre = (p + z * z / (2 * nn)) / denom
    let half = z * ((p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()) / denom
    return Proportion(value: p, low: max(0, centre - half), high: min(1, centre + half), count: n)
}

/// Cohen's kappa of paired ratings (first, second): nil without ratings or when chance agreement is 1.
public func cohensKappa(_ ratings: [(String, String)]) -> Double? {
    guard !ratings.isEmpty else { return nil }
    let n = Double(ratings.count)
    let po = Double(ratings.filter { $0.0 == $0.1 }.count) / n
    var first: [String: Double] = [:], second: [String: Double] = [:]
    for (x, y) in ratings { first[x, default: 0] += 1 / n; second[y, default: 0] += 1 / n }
    let pe = first.reduce(0.0) { $0 + $1.value * (second[$1.key] ?? 0) }
    guard pe < 1 - 1e-12 else { return nil }
    return (po - pe) / (1 - pe)
}

/// One rater's figures.
public struct RaterFigures: Sendable, Equatable {
    /// The rater's name.
    public var name: String
    /// Live labels, skips included.
    public var labels: Int
    /// Of which skips.
    public var skips: Int
    /// Labels in the last hour.
    public var lastHour: Int
    /// Labels per hour of active time (nil under two labels).
    public var perHour: Double?
    /// Share of "left" among their left/right choices.
    public var left: Proportion?
}

/// Agreement between two raters (or all).
public struct Agreement: Sendable, Equatable {
    /// Who is compared ("all", or "name1 / name2").
    public var raters: String
    /// Comparisons (pairs labelled by both).
    public var comparisons: Int
    /// Share of comparisons with the same outcome.
    public var agreement: Double
    /// Cohen's kappa (nil when chance agreement is 1).
    public var kappa: Double?
}

/// Everything the admin page shows.
public struct LabelFigures: Sendable, Equatable {
    /// Pairs in the project.
    public var pairs: Int
    /// Live labels.
    public var labels: Int
    /// Pairs with at least one live label other than skip.
    public var labelledPairs: Int
    /// Per rater, by name.
    public var raters: [RaterFigures]
    /// Share of "left" among all left/right choices.
    public var positionBias: Proportion?
    /// Over all comparisons, then per two raters.
    public var agreement: [Agreement]
    /// Model B's win rate (nil unless two models are compared or no pair has a decision).
    public var winRateB: Proportion?
    /// Counts of the outcomes a, b, tie, both_bad, skip.
    public var outcomes: [String: Int]
    /// For each pair with a label other than skip, how many such labels it has.
    public var decidedPerPair: [Int]

    /// The labels that fill a pair's slots, at most `overlap` per pair (skips and extra labels left out).
    public func filledSlots(overlap: Int) -> Int { decidedPerPair.map { min($0, overlap) }.reduce(0, +) }
}

/// The figures of `labels` (see the file's description); `now` is for "the last hour".
public func labelFigures(_ labels: [LabelRecord], pairs: Int, comparesModels: Bool, now t: Double) -> LabelFigures {
    let names = Dictionary(labels.map { ($0.rater, $0.raterName) }, uniquingKeysWith: { a, _ in a })
    var raters: [RaterFigures] = []
    for (id, name) in names.sorted(by: { $0.value < $1.value }) {
        let mine = labels.filter { $0.rater == id }.sorted { $0.createdAt < $1.createdAt }
        let active = zip(mine.dropFirst(), mine).map { min($0.0.createdAt - $0.1.createdAt, 300) }.reduce(0, +)
        let sides = mine.filter { $0.choice == "left" || $0.choice == "right" }
        raters.append(
            RaterFigures(
                name: name, labels: mine.count, skips: mine.filter { $0.outcome == "skip" }.count,
                lastHour: mine.filter { $0.createdAt > t - 3600 }.count,
                perHour: mine.count >= 2 && active > 0 ? Double(mine.count - 1) / active * 3600 : nil,
                left: wilsonInterval(successes: Double(sides.filter { $0.choice == "left" }.count), n: sides.count)))
    }
    let sides = labels.filter { $0.choice == "left" || $0.choice == "right" }
    let decided = labels.filter { $0.outcome != "skip" }
    let byPair = Dictionary(grouping: decided, by: \.pair)
    // agreement: every two raters of a pair, the lower id first
    var comparisons: [(Int64, Int64, String, String)] = []
    for (_, ls) in byPair where ls.count > 1 {
        let sorted = ls.sorted { $0.rater < $1.rater }
        for i in sorted.indices {
            for j in sorted.indices where j > i { comparisons.append((sorted[i].rater, sorted[j].rater, sorted[i].outcome, sorted[j].outcome)) }
        }
    }
    func agreement(_ name: String, _ cs: [(Int64, Int64, String, String)]) -> Agreement {
        Agreement(
            raters: name, comparisons: cs.count, agreement: Double(cs.filter { $0.2 == $0.3 }.count) / Double(max(cs.count, 1)),
            kappa: cohensKappa(cs.map { ($0.2, $0.3) }))
    }
    var agreements: [Agreement] = []
    if !comparisons.isEmpty {
        agreements.append(agreement("all", comparisons))
        let groups = Dictionary(grouping: comparisons, by: { "\($0.0)-\($0.1)" })
        for (_, cs) in groups.sorted(by: { $0.key < $1.key }) {
            agreements.append(agreement("\(names[cs[0].0] ?? "?") / \(names[cs[0].1] ?? "?")", cs))
        }
    }
    var winRate: Proportion? = nil
    if comparesModels {
        let perPair = byPair.values.compactMap { ls -> Double? in
            let votes = ls.compactMap { l -> Double? in l.outcome == "b" ? 1 : l.outcome == "a" ? 0 : l.outcome == "tie" ? 0.5 : nil }
            return votes.isEmpty ? nil : votes.reduce(0, +) / Double(votes.count)
        }
        winRate = wilsonInterval(successes: perPair.reduce(0, +), n: perPair.count)
    }
    return LabelFigures(
        pairs: pairs, labels: labels.count, labelledPairs: byPair.count, raters: raters,
        positionBias: wilsonInterval(successes: Double(sides.filter { $0.choice == "left" }.count), n: sides.count),
        agreement: agreements, winRateB: winRate, outcomes: Dictionary(grouping: labels, by: \.outcome).mapValues(\.count),
        decidedPerPair: byPair.values.map(\.count).sorted())
}

extension LabelDatabase {
    /// Every live label, oldest first.
    public func liveLabels() throws -> [LabelRecord] {
        try read { db in try Self.liveLabels(db) }
    }

    /// The admin page's figures, now.
    public func figures() async throws -> LabelFigures {
        let t = now()
        return try await asyncRead { db in
            let compares = try Bool.fetchOne(db, sql: "SELECT model_b IS NOT NULL FROM project WHERE id = 1") ?? false
            let pairs = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pair") ?? 0
            return labelFigures(try Self.liveLabels(db), pairs: pairs, comparesModels: compares, now: t)
        }
    }

    static func liveLabels(_ db: Database) throws -> [LabelRecord] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT l.pair_id, l.rater_id, r.name, l.choice, l.outcome, l.created_at FROM label l JOIN rater r ON r.id = l.rater_id
                WHERE l.undone_at IS NULL ORDER BY l.created_at, l.id
                """
        ).map { LabelRecord(pair: $0[0], rater: $0[1], raterName: $0[2], choice: $0[3], outcome: $0[4], createdAt: $0[5]) }
    }
}
