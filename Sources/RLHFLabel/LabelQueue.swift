// What a rater sees and does: the next pair (their open assignment, or a new one), a label on it, and
// undo of their last label. Each request runs in one write transaction, so concurrent raters never take
// the same slot of a pair twice, and a label is answered (with the rater's next pair) only once committed.
//
// A pair goes to `overlap` raters: it has that many slots. An assignment holds a slot while it waits for a
// label and once it has one, except "skip", which gives the slot back; an assignment left unlabelled for
// `claimSeconds` gives it back too (a rater who walked away), and takes one again if it is labelled after
// all. `pair.taken` counts the slots held, kept up to date by each change, so that finding a free pair is
// an index range scan and not a count over every pair's labels. A rater gets pairs that already have raters
// first (so that shared pairs fill up and agreement can be measured), then in the project's shuffled order.

import Foundation
import GRDB

/// A rater's choice, as the page offers it (sides as shown).
public enum LabelChoice: String, CaseIterable, Sendable {
    /// The response shown on the left (A) is better.
    case left
    /// The response shown on the right (B) is better.
    case right
    /// Both are as good.
    case tie
    /// Neither is acceptable.
    case bothBad = "both_bad"
    /// The rater passes (the pair goes to another rater).
    case skip

    /// The choice in terms of the pair's responses (a, b, tie, both_bad, skip), given the side A was shown on.
    public func outcome(aOnLeft: Bool) -> String {
        switch self {
        case .left: return aOnLeft ? "a" : "b"
        case .right: return aOnLeft ? "b" : "a"
        case .tie, .bothBad, .skip: return rawValue
        }
    }
}

/// How pairs are handed out.
public struct QueuePolicy: Sendable {
    /// Raters per pair.
    public var overlap: Int
    /// Seconds an unlabelled assignment holds its slot.
    public var claimSeconds: Double
    /// A policy; `overlap` raters per pair, a slot held 30 minutes by default.
    public init(overlap: Int = 1, claimSeconds: Double = 1800) { self.overlap = overlap; self.claimSeconds = claimSeconds }
}

/// A pair as one rater sees it.
public struct ShownPair: Sendable, Equatable, Codable {
    /// The assignment a label refers to.
    public var assignment: Int64
    /// The prompt's text.
    public var prompt: String
    /// The response shown on the left (labelled A on the page).
    public var left: String
    /// The response shown on the right (labelled B on the page).
    public var right: String
}

/// What the page shows a rater.
public struct RaterState: Sendable, Equatable, Codable {
    /// The rater's name.
    public var rater: String
    /// The pair to label, or nil when none is left for this rater.
    public var pair: ShownPair?
    /// Live labels of this rater (skips included).
    public var done: Int
    /// `done` plus the pairs this rater still has or can get.
    public var assigned: Int
    /// The rater's last live label (what undo undoes), or nil.
    public var lastLabel: Int64?
}

/// The result of a label request.
public struct LabelReceipt: Sendable, Equatable {
    /// The label's row id.
    public var label: Int64
    /// Whether the request id had been seen: the label was stored by an earlier request and nothing changed.
    public var duplicate: Bool
}

extension LabelDatabase {
    /// The rater's open assignment, or a new one from the pairs with a free slot; with the progress counts.
    public func next(for rater: Rater, policy: QueuePolicy) async throws -> RaterState {
        let t = now()
        return try await asyncWrite { db in try Self.next(db, rater: rater, policy: policy, now: t) }
    }

    /// Stores the rater's `choice` on `assignment` and returns their next state, in one transaction. A
    /// request id seen before changes nothing (the earlier request stored the label; `duplicate`).
    ///
    /// - Throws: `LabelError.request` 404 for an assignment that is not this rater's, 409 for one already
    ///   labelled by another request, 400 for a bad request id or a comment over 2000 characters.
    public func record(
        rater: Rater, assignment: Int64, choice: LabelChoice, comment: String, requestId: String, policy: QueuePolicy = QueuePolicy()
    ) async throws -> (receipt: LabelReceipt, state: RaterState) {
        _ = try LabelRequest(assignment: assignment, choice: choice, comment: comment, requestId: requestId)   // the checks
        let t = now()
        return try await asyncWrite { db in
            let receipt = try Self.record(db, rater: rater, assignment: assignment, choice: choice, comment: comment, requestId: requestId, now: t)
            return (receipt, try Self.next(db, rater: rater, policy: policy, now: t))
        }
    }

    /// Undoes `label` if it is the rater's last live label: it is marked undone and its pair comes back as
    /// the rater's current one. Undoing a label already undone changes nothing (a repeated request).
    ///
    /// - Throws: `LabelError.request` 404 for a label that is not the rater's, 409 for one that is not their last.
    public func undo(rater: Rater, label: Int64, policy: QueuePolicy = QueuePolicy()) async throws -> RaterState {
        let t = now()
        return try await asyncWrite { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT assignment_id, undone_at FROM label WHERE id = ? AND rater_id = ?", arguments: [label, rater.id])
            else { throw LabelError.request(status: 404, reason: "label \(label) is not yours") }
            if (row["undone_at"] as Double?) == nil {
                let last = try Int64.fetchOne(
                    db, sql: "SELECT id FROM label WHERE rater_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
                    arguments: [rater.id])
                guard last == label else { throw LabelError.request(status: 409, reason: "label \(label) is not your last label") }
                let assignment: Int64 = row["assignment_id"]
                try db.execute(sql: "UPDATE label SET undone_at = ? WHERE id = ?", arguments: [t, label])
                try Self.hold(db, assignment: assignment, true)   // a skip had given its slot back
                try db.execute(sql: "UPDATE assignment SET open = 1, opened_at = ? WHERE id = ?", arguments: [t, assignment])
            }
            return try Self.state(db, rater: rater, policy: policy)
        }
    }

    /// The progress and current pair of a rater (read only: no assignment is made).
    public func state(for rater: Rater, policy: QueuePolicy) async throws -> RaterState {
        try await asyncRead { db in try Self.state(db, rater: rater, policy: policy) }
    }

    // MARK: inside a transaction

    static func next(_ db: Database, rater: Rater, policy: QueuePolicy, now t: Double) throws -> RaterState {
        // unlabelled assignments past the claim time give their slot back
        for row in try Row.fetchAll(
            db, sql: "SELECT id FROM assignment WHERE open = 1 AND holds = 1 AND opened_at <= ?", arguments: [t - policy.claimSeconds])
        {
            try hold(db, assignment: row["id"], false)
        }
        if try openAssignment(db, rater: rater.id) == nil,
            let pair = try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM pair WHERE taken < ? AND id NOT IN (SELECT pair_id FROM assignment WHERE rater_id = ?)
                    ORDER BY taken DESC, order_key LIMIT 1
                    """,
                arguments: [policy.overlap, rater.id])
        {
            var g = SystemRandomNumberGenerator()
            try db.execute(
                sql: "INSERT INTO assignment (pair_id, rater_id, a_on_left, opened_at) VALUES (?, ?, ?, ?)",
                arguments: [pair, rater.id, Bool.random(using: &g), t])
            try db.execute(sql: "UPDATE pair SET taken = taken + 1 WHERE id = ?", arguments: [pair])
        }
        return try state(db, rater: rater, policy: policy)
    }

    static func record(
        _ db: Database, rater: Rater, assignment: Int64, choice: LabelChoice, comment: String, requestId: String, now t: Double
    ) throws -> LabelReceipt {
        if let row = try Row.fetchOne(db, sql: "SELECT id, rater_id FROM label WHERE request_id = ?", arguments: [requestId]) {
            guard (row["rater_id"] as Int64) == rater.id else {
                throw LabelError.request(status: 409, reason: "request_id was used by another rater")
            }
            return LabelReceipt(label: row["id"], duplicate: true)
        }
        guard
            let a = try Row.fetchOne(
                db, sql: "SELECT pair_id, a_on_left, open FROM assignment WHERE id = ? AND rater_id = ?", arguments: [assignment, rater.id])
        else { throw LabelError.request(status: 404, reason: "assignment \(assignment) is not yours") }
        guard a["open"] as Bool else { throw LabelError.request(status: 409, reason: "assignment \(assignment) is already labelled (undo it first)") }
        try db.execute(
            sql: """
                INSERT INTO label (assignment_id, pair_id, rater_id, choice, outcome, comment, request_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [assignment, a["pair_id"] as Int64, rater.id, choice.rawValue, choice.outcome(aOnLeft: a["a_on_left"]), comment, requestId, t])
        let label = db.lastInsertedRowID
        try db.execute(sql: "UPDATE assignment SET open = 0 WHERE id = ?", arguments: [assignment])
        try hold(db, assignment: assignment, choice != .skip)
        return LabelReceipt(label: label, duplicate: false)
    }

    /// Makes `assignment` hold a slot of its pair or give it back, keeping `pair.taken` equal to the count
    /// of its assignments that hold one.
    static func hold(_ db: Database, assignment: Int64, _ holds: Bool) throws {
        try db.execute(
            sql: "UPDATE pair SET taken = taken + ? WHERE id = (SELECT pair_id FROM assignment WHERE id = ? AND holds = ?)",
            arguments: [holds ? 1 : -1, assignment, !holds])
        try db.execute(sql: "UPDATE assignment SET holds = ? WHERE id = ?", arguments: [holds, assignment])
    }

    /// The rater's most recently opened assignment without a live label.
    static func openAssignment(_ db: Database, rater: Int64) throws -> Row? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT a.id, a.a_on_left, p.response_a, p.response_b, q.text
                FROM assignment a JOIN pair p ON p.id = a.pair_id JOIN prompt q ON q.id = p.prompt_id
                WHERE a.rater_id = ? AND a.open = 1 ORDER BY a.opened_at DESC, a.id DESC LIMIT 1
                """,
            arguments: [rater])
    }

    /// The rater's state: their current pair and progress (`assigned`: live labels + open assignments + pairs
    /// with a free slot that they have not had).
    static func state(_ db: Database, rater: Rater, policy: QueuePolicy) throws -> RaterState {
        let done = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM label WHERE rater_id = ? AND undone_at IS NULL", arguments: [rater.id]) ?? 0
        let open = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM assignment WHERE rater_id = ? AND open = 1", arguments: [rater.id]) ?? 0
        let free =
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pair WHERE taken < ?", arguments: [policy.overlap]) ?? 0)
            - (try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM assignment a JOIN pair p ON p.id = a.pair_id WHERE a.rater_id = ? AND p.taken < ?",
                arguments: [rater.id, policy.overlap]) ?? 0)
        let last = try Int64.fetchOne(
            db, sql: "SELECT id FROM label WHERE rater_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1", arguments: [rater.id])
        var shown: ShownPair? = nil
        if let row = try openAssignment(db, rater: rater.id) {
            let aOnLeft: Bool = row["a_on_left"]
            let a: String = row["response_a"], b: String = row["response_b"]
            shown = ShownPair(assignment: row["id"], prompt: row["text"], left: aOnLeft ? a : b, right: aOnLeft ? b : a)
        }
        return RaterState(rater: rater.name, pair: shown, done: done, assigned: done + open + free, lastLabel: last)
    }
}
