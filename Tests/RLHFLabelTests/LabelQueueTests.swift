// The database side of labelling: WAL mode, one-time sign-in with hashed tokens, assignments and overlap,
// labels that a repeated request stores once, undo, and concurrent raters.

import Foundation
import GRDB
import RLHFTestSupport
import XCTest

@testable import RLHFLabel

final class LabelQueueTests: TemporaryDirectoryTestCase {
    func testDatabaseIsInWALModeWithFullSync() throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["p"])
        XCTAssertEqual(try db.journalMode(), "wal")
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }, 2)   // FULL
    }

    func testSignInLinkWorksOnceAndTokensAreStoredHashed() async throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["p"])
        let token = try db.addRater(name: "ana")
        XCTAssertEqual(token.count, 64)
        let first = try await db.signIn(token: token)
        let session = try XCTUnwrap(first?.session)
        let again = try await db.signIn(token: token)
        XCTAssertNil(again, "a sign-in link works once")
        let viaSession = try await db.rater(session: session)
        XCTAssertEqual(viaSession?.name, "ana")
        let stranger = try await db.rater(session: makeToken())
        XCTAssertNil(stranger)
        // no table holds a token as given; the session's SHA-256 is stored
        let dump = try db.read { d in
            try Row.fetchAll(d, sql: "SELECT * FROM rater").map { "\($0)" } + Row.fetchAll(d, sql: "SELECT * FROM session").map { "\($0)" }
        }.joined()
        XCTAssertFalse(dump.contains(token))
        XCTAssertFalse(dump.contains(session))
        XCTAssertTrue(dump.contains(tokenHash(session)))
        // a new link for the same name ends the old sessions
        _ = try db.addRater(name: "ana")
        let ended = try await db.rater(session: session)
        XCTAssertNil(ended)
    }

    func testLabelUndoAndRepeatedRequests() async throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["p0", "p1", "p2"])
        let ana = try await signedIn(db, "ana")
        let policy = QueuePolicy(overlap: 1)
        var s = try await db.next(for: ana, policy: policy)
        XCTAssertEqual(s.done, 0)
        XCTAssertEqual(s.assigned, 3)
        let shown = try XCTUnwrap(s.pair)
        let again = try await db.next(for: ana, policy: policy)
        XCTAssertEqual(again.pair, shown, "the open assignment comes back unchanged")
        let receipt = try await db.record(rater: ana, assignment: shown.assignment, choice: .left, comment: "ok", requestId: "req-0001").receipt
        XCTAssertFalse(receipt.duplicate)
        let repeated = try await db.record(rater: ana, assignment: shown.assignment, choice: .left, comment: "ok", requestId: "req-0001").receipt
        XCTAssertEqual(repeated, LabelReceipt(label: receipt.label, duplicate: true))
        do {
            _ = try await db.record(rater: ana, assignment: shown.assignment, choice: .right, comment: "", requestId: "req-0002")
            XCTFail("a second label on one assignment")
        } catch LabelError.request(let status, _) { XCTAssertEqual(status, 409) }
        s = try await db.next(for: ana, policy: policy)
        XCTAssertEqual(s.done, 1)
        XCTAssertEqual(s.assigned, 3)
        XCTAssertEqual(s.lastLabel, receipt.label)
        XCTAssertNotEqual(s.pair?.assignment, shown.assignment)
        // the outcome is in the pair's terms: left is A when A was shown on the left
        let (outcome, aOnLeft) = try db.read { d in
            let row = try XCTUnwrap(try Row.fetchOne(d, sql: "SELECT outcome, a_on_left FROM label JOIN assignment a ON a.id = label.assignment_id"))
            return (row[0] as String, row[1] as Bool)
        }
        XCTAssertEqual(outcome, aOnLeft ? "a" : "b")
        // undo: the pair comes back first, in the same order; undoing again changes nothing
        _ = try await db.undo(rater: ana, label: receipt.label)
        _ = try await db.undo(rater: ana, label: receipt.label)
        s = try await db.state(for: ana, policy: policy)
        XCTAssertEqual(s.pair, shown)
        XCTAssertEqual(s.done, 0)
        XCTAssertNil(s.lastLabel)
        _ = try await db.record(rater: ana, assignment: shown.assignment, choice: .tie, comment: "", requestId: "req-0003")
        let live = try db.liveLabels()
        XCTAssertEqual(live.map(\.outcome), ["tie"])
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM label") }, 2, "the undone label is kept, marked undone")
    }

    func testRequestsOfAnotherRaterAreRefused() async throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["p0", "p1"])
        let ana = try await signedIn(db, "ana"), ben = try await signedIn(db, "ben")
        let first = try await db.next(for: ana, policy: QueuePolicy())
        let shown = try XCTUnwrap(first.pair)
        do {
            _ = try await db.record(rater: ben, assignment: shown.assignment, choice: .left, comment: "", requestId: "req-0001")
            XCTFail("ben labelled ana's assignment")
        } catch LabelError.request(let status, _) { XCTAssertEqual(status, 404) }
        let label = try await db.record(rater: ana, assignment: shown.assignment, choice: .left, comment: "", requestId: "req-0002").receipt.label
        do {
            _ = try await db.undo(rater: ben, label: label)
            XCTFail("ben undid ana's label")
        } catch LabelError.request(let status, _) { XCTAssertEqual(status, 404) }
        for bad in ["short", "has space in it", String(repeating: "x", count: 101)] {
            do {
                _ = try await db.record(rater: ana, assignment: shown.assignment, choice: .left, comment: "", requestId: bad)
                XCTFail("request id \(bad) accepted")
            } catch LabelError.request(let status, _) { XCTAssertEqual(status, 400) }
        }
    }

    func testOverlapSendsAPairToThatManyRaters() async throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["p0", "p1", "p2", "p3"])
        let raters = [try await signedIn(db, "ana"), try await signedIn(db, "ben"), try await signedIn(db, "cy")]
        // overlap 2: the second rater gets the pair the first has; the third gets another
        let two = QueuePolicy(overlap: 2)
        let first = try await db.next(for: raters[0], policy: two).pair?.prompt
        let second = try await db.next(for: raters[1], policy: two).pair?.prompt
        let third = try await db.next(for: raters[2], policy: two).pair?.prompt
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first, third)
        // overlap 1 in a fresh database: three raters, three different pairs
        let dir2 = tmp + "/one"
        try FileManager.default.createDirectory(atPath: dir2, withIntermediateDirectories: true)
        let db2 = try makeLabelDatabase(in: dir2, prompts: ["p0", "p1", "p2", "p3"])
        var seen = Set<String>()
        for name in ["ana", "ben", "cy"] {
            let r = try await signedIn(db2, name)
            let state = try await db2.next(for: r, policy: QueuePolicy(overlap: 1))
            seen.insert(try XCTUnwrap(state.pair?.prompt))
        }
        XCTAssertEqual(seen.count, 3)
    }

    func testSkipAndAbandonedAssignmentsFreeTheirSlot() async throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["only"])
        let ana = try await signedIn(db, "ana"), ben = try await signedIn(db, "ben")
        let one = QueuePolicy(overlap: 1, claimSeconds: 1800)
        let first = try await db.next(for: ana, policy: one)
        let shown = try XCTUnwrap(first.pair)
        let benWhileHeld = try await db.next(for: ben, policy: one)
        XCTAssertNil(benWhileHeld.pair, "ana holds the only slot")
        // an assignment older than the claim time no longer holds it
        let expired = try await db.next(for: ben, policy: QueuePolicy(overlap: 1, claimSeconds: -1))
        XCTAssertNotNil(expired.pair)
        // a skip frees the slot for another rater
        let db2dir = tmp + "/skip"
        try FileManager.default.createDirectory(atPath: db2dir, withIntermediateDirectories: true)
        let db2 = try makeLabelDatabase(in: db2dir, prompts: ["only"])
        let a2 = try await signedIn(db2, "ana"), b2 = try await signedIn(db2, "ben")
        let first2 = try await db2.next(for: a2, policy: one)
        let s2 = try XCTUnwrap(first2.pair)
        _ = try await db2.record(rater: a2, assignment: s2.assignment, choice: .skip, comment: "", requestId: "skip-0001")
        let afterSkip = try await db2.next(for: b2, policy: one)
        XCTAssertEqual(afterSkip.pair?.prompt, shown.prompt)
        let anaAfter = try await db2.next(for: a2, policy: one)
        XCTAssertNil(anaAfter.pair, "a skipped pair does not come back to its rater")
        XCTAssertEqual(anaAfter.done, 1)
    }

    func testConcurrentRatersNeverDoubleALabel() async throws {
        let prompts = (0..<40).map { "prompt \($0)" }
        let db = try makeLabelDatabase(in: tmp, prompts: prompts)
        var raters: [Rater] = []
        for i in 0..<6 { raters.append(try await signedIn(db, "r\(i)")) }
        let policy = QueuePolicy(overlap: 3)
        let acked = try await withThrowingTaskGroup(of: [String].self) { group in
            for r in raters {
                group.addTask {
                    var mine: [String] = []
                    for k in 0..<30 {
                        guard let p = try await db.next(for: r, policy: policy).pair else { break }
                        let id = "\(r.name)-\(k)-req"
                        _ = try await db.record(rater: r, assignment: p.assignment, choice: k % 2 == 0 ? .left : .right, comment: "", requestId: id)
                        // a retry of the same request, as after a lost answer
                        _ = try await db.record(rater: r, assignment: p.assignment, choice: k % 2 == 0 ? .left : .right, comment: "", requestId: id)
                        mine.append(id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let stored = try db.read { try String.fetchAll($0, sql: "SELECT request_id FROM label WHERE undone_at IS NULL") }
        XCTAssertEqual(stored.sorted(), acked.sorted())
        XCTAssertEqual(acked.count, 40 * 3, "every pair got exactly its three raters")
        let perPair = try db.read { try Int.fetchAll($0, sql: "SELECT COUNT(*) FROM label GROUP BY pair_id") }
        XCTAssertEqual(Set(perPair), [3])
        let doubled = try db.read { try Int.fetchAll($0, sql: "SELECT COUNT(*) FROM label GROUP BY pair_id, rater_id HAVING COUNT(*) > 1") }
        XCTAssertEqual(doubled, [])
        try assertSlotCountsAgree(db)
    }

    /// `pair.taken` equals the count of its assignments that hold a slot; an assignment with a live label
    /// holds one unless the label is a skip (an open one may hold one or, past the claim time, not).
    private func assertSlotCountsAgree(_ db: LabelDatabase, file: StaticString = #filePath, line: UInt = #line) throws {
        let (pairs, assignments) = try db.read { d in
            (
                try Int.fetchOne(
                    d, sql: "SELECT COUNT(*) FROM pair p WHERE p.taken != (SELECT COUNT(*) FROM assignment a WHERE a.pair_id = p.id AND a.holds = 1)"),
                try Int.fetchOne(
                    d,
                    sql: """
                        SELECT COUNT(*) FROM assignment a JOIN label l ON l.assignment_id = a.id AND l.undone_at IS NULL
                        WHERE a.open = 1 OR a.holds != (l.outcome != 'skip')
                        """)
            )
        }
        XCTAssertEqual(pairs, 0, "pairs whose slot count is off", file: file, line: line)
        XCTAssertEqual(assignments, 0, "labelled assignments that hold a slot wrongly or are open", file: file, line: line)
    }

    func testSlotCountsFollowLabelsSkipsAndUndo() async throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["p0", "p1", "p2"])
        let ana = try await signedIn(db, "ana"), ben = try await signedIn(db, "ben")
        let two = QueuePolicy(overlap: 2)
        var k = 0
        for choice in [LabelChoice.skip, .left, .skip, .tie] {
            for r in [ana, ben] {
                guard let p = try await db.next(for: r, policy: two).pair else { continue }
                let done = try await db.record(rater: r, assignment: p.assignment, choice: choice, comment: "", requestId: "slot-\(k)-req")
                k += 1
                try assertSlotCountsAgree(db)
                if choice == .skip && r == ana {
                    _ = try await db.undo(rater: r, label: done.receipt.label, policy: two)
                    try assertSlotCountsAgree(db)
                    _ = try await db.record(rater: r, assignment: p.assignment, choice: .right, comment: "", requestId: "slot-\(k)-req")
                    k += 1
                    try assertSlotCountsAgree(db)
                }
            }
        }
        _ = try await db.next(for: ana, policy: QueuePolicy(overlap: 2, claimSeconds: -1))   // releases open claims
        try assertSlotCountsAgree(db)
    }
}
