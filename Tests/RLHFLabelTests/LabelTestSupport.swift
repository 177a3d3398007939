// A labelling database for the tests, with pairs stored directly (the generation itself is tested through the
// command line on the real model, in scripts/label_checks.py and CLITests).

import Foundation
import GRDB
import RLHFTestSupport
import XCTest

@testable import RLHFLabel

/// A database under `dir` whose project has `prompts` (string prompts, or JSON prompt values when
/// `rawPrompts`), each with a pair "A i" / "B i"; `modelB` makes it a model-vs-model project.
func makeLabelDatabase(
    in dir: String, prompts: [String], rawPrompts: Bool = false, modelB: String? = nil
) throws -> LabelDatabase {
    let file = dir + "/prompts.jsonl"
    let lines = prompts.map { rawPrompts ? "{\"prompt\": \($0)}" : "{\"prompt\": \(jsonLiteral($0))}" }
    try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    let db = try LabelDatabase(path: dir + "/labels.sqlite")
    try db.createProject(LabelProjectSettings(promptsFile: file, modelA: "model-a", modelB: modelB))
    let stored = try db.promptsWithoutPair()
    try db.write { d in
        for (i, p) in stored.enumerated() {
            try d.execute(
                sql: """
                    INSERT INTO pair (prompt_id, response_a, response_b, stopped_a, stopped_b, order_key, created_at)
                    VALUES (?, ?, ?, 1, 1, ?, 0)
                    """,
                arguments: [p.id, "A \(i)", "B \(i)", i])
        }
    }
    return db
}

/// A JSON string literal.
func jsonLiteral(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])   // test data only
    return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
}

/// A rater signed in on `db`.
func signedIn(_ db: LabelDatabase, _ name: String) async throws -> Rater {
    let token = try db.addRater(name: name)
    let signed = try await db.signIn(token: token)
    return try XCTUnwrap(signed?.rater)
}
