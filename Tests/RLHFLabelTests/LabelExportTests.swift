// Export to TRL's explicit-prompt preference pairs: the majority of a pair's labels, ties and "both bad" left
// out or kept, the agreement minimum, conversational prompts; the file reads back as our trainers read it.

import Foundation
import RLHFData
import RLHFTestSupport
import XCTest

@testable import RLHFLabel

final class LabelExportTests: TemporaryDirectoryTestCase {
    /// Labels pair i (prompt "p<i>") by each rater's outcome in `votes[i]` ("a", "b", "tie", "both_bad", "skip").
    private func label(_ db: LabelDatabase, votes: [[String]]) async throws {
        let raterCount = votes.map(\.count).max() ?? 0
        var raters: [Rater] = []
        for i in 0..<raterCount { raters.append(try await signedIn(db, "r\(i)")) }
        let policy = QueuePolicy(overlap: raterCount)
        for (k, r) in raters.enumerated() {
            while let shown = try await db.next(for: r, policy: policy).pair {
                let index = Int(shown.prompt.dropFirst())!   // test prompts are "p<i>"
                let vote = k < votes[index].count ? votes[index][k] : "skip"
                let aOnLeft = shown.left.hasPrefix("A")
                let choice: LabelChoice =
                    switch vote {
                    case "a": aOnLeft ? .left : .right
                    case "b": aOnLeft ? .right : .left
                    default: LabelChoice(rawValue: vote)!
                    }
                _ = try await db.record(rater: r, assignment: shown.assignment, choice: choice, comment: "", requestId: "request-\(k)-\(index)")
            }
        }
    }

    func testMajorityTiesAndAgreement() async throws {
        let db = try makeLabelDatabase(in: tmp, prompts: (0..<6).map { "p\($0)" })
        try await label(db, votes: [["a", "a", "b"], ["b"], ["tie"], ["both_bad", "both_bad"], ["a", "b"], ["skip"]])
        let out = tmp + "/prefs.jsonl"
        var summary = try db.exportPreferences(to: out)
        XCTAssertEqual(summary, ExportSummary(written: 2, labelledPairs: 5, ties: 2, noMajority: 1, lowAgreement: 0, empty: 0))
        let pairs = try PreferenceDataset(path: out).pairs
        XCTAssertEqual(pairs.map(\.prompt), ["p0", "p1"])
        XCTAssertEqual(pairs.map(\.chosen), ["A 0", "B 1"])
        XCTAssertEqual(pairs.map(\.rejected), ["B 0", "A 1"])
        // agreement 2/3 on p0 is under 0.75
        summary = try db.exportPreferences(to: out, options: ExportOptions(minAgreement: 0.75))
        XCTAssertEqual(summary.written, 1)
        XCTAssertEqual(summary.lowAgreement, 1)
        XCTAssertEqual(try PreferenceDataset(path: out).pairs.map(\.prompt), ["p1"])
        // kept ties name their outcome on every line
        summary = try db.exportPreferences(to: out, options: ExportOptions(keepTies: true))
        XCTAssertEqual(summary.written, 4)
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("\"outcome\": \"preferred\"") }.count, 2)
        XCTAssertEqual(lines.filter { $0.contains("\"outcome\": \"tie\"") }.count, 1)
        XCTAssertEqual(lines.filter { $0.contains("\"outcome\": \"both_bad\"") }.count, 1)
        XCTAssertTrue(lines[0].contains("\"votes\": 3"))
        // a pair with a blank response is left out
        try db.write { try $0.execute(sql: "UPDATE pair SET response_b = ' \n ' WHERE prompt_id = (SELECT id FROM prompt WHERE text = 'p1')") }
        summary = try db.exportPreferences(to: out)
        XCTAssertEqual(summary.written, 1)
        XCTAssertEqual(summary.empty, 1)
        XCTAssertTrue(summary.line.contains("1 with an empty response"), summary.line)
    }

    func testConversationalPromptsExportAsMessages() async throws {
        let messages = #"[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "p0"}]"#
        let db = try makeLabelDatabase(in: tmp, prompts: [messages], rawPrompts: true)
        let ana = try await signedIn(db, "ana")
        let first = try await db.next(for: ana, policy: QueuePolicy())
        let shown = try XCTUnwrap(first.pair)
        XCTAssertEqual(shown.prompt, "system: Be brief.\nuser: p0")
        _ = try await db.record(
            rater: ana, assignment: shown.assignment, choice: shown.left.hasPrefix("B") ? .left : .right, comment: "", requestId: "req-conv")
        let out = tmp + "/prefs.jsonl"
        XCTAssertEqual(try db.exportPreferences(to: out).written, 1)
        let line = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(line.hasPrefix(#"{"prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "p0"}], "#), line)
        XCTAssertTrue(line.contains(#""chosen": [{"role": "assistant", "content": "B 0"}]"#), line)
        XCTAssertTrue(line.contains(#""rejected": [{"role": "assistant", "content": "A 0"}]"#), line)
    }

    func testBadPromptFilesNameTheLine() throws {
        let file = tmp + "/bad.jsonl"
        for (content, line, words) in [
            ("{\"prompt\": \"ok\"}\n{\"prompt\": \n", 2, "not JSON"), ("{\"prompt\": \"ok\"}\n\n{\"text\": \"x\"}\n", 3, "\"prompt\" field"),
            ("{\"prompt\": 3}\n", 1, "a string or a non-empty list"), ("{\"prompt\": [{\"role\": \"user\"}]}\n", 1, "a string or a non-empty list"),
            ("\n\n", 0, "no prompts")
        ] {
            try content.write(toFile: file, atomically: true, encoding: .utf8)
            let db = try LabelDatabase(path: tmp + "/\(line)-\(words.count).sqlite")
            XCTAssertThrowsError(try db.createProject(LabelProjectSettings(promptsFile: file, modelA: "m"))) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("\(file):\(line):"), text)
                XCTAssertTrue(text.contains(words), text)
            }
            XCTAssertNil(try db.settings(), "nothing stored from a bad file")
        }
    }

    func testResumedInitRefusesOtherSettings() throws {
        let db = try makeLabelDatabase(in: tmp, prompts: ["p0"])
        let stored = try db.requireSettings()
        XCTAssertNoThrow(try db.createProject(stored))
        var other = stored
        other.temperature = 1.3
        XCTAssertThrowsError(try db.createProject(other)) { error in
            XCTAssertEqual(error as? LabelError, .settingsDiffer(path: db.path, key: "--temperature", stored: "0.7", given: "1.3"))
        }
        try "{\"prompt\": \"changed\"}\n".write(toFile: stored.promptsFile, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try db.createProject(stored)) { error in
            XCTAssertTrue("\(error)".contains("prompts (SHA-256 of the file)"), "\(error)")
        }
        let fresh = try LabelDatabase(path: tmp + "/empty.sqlite")
        XCTAssertThrowsError(try fresh.requireSettings()) { XCTAssertEqual($0 as? LabelError, .noProject(path: fresh.path)) }
    }
}
