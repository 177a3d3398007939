// `rlhf label init`'s generation on the real SmolLM2: resuming fills in exactly the missing pairs with the
// responses a whole run gives, the two samples of a prompt differ, and two models sample with the same seeds
// (so model B = model A gives the same response twice).

import Foundation
import GRDB
import RLHFTestSupport
import XCTest

@testable import RLHFLabel

final class LabelGenerationTests: TemporaryDirectoryTestCase {
    private func prompts() throws -> String {
        let file = tmp + "/prompts.jsonl"
        let lines = [
            #"{"prompt": "Name the capital city of France."}"#, #"{"prompt": "Give me one word that rhymes with cat."}"#,
            #"{"prompt": [{"role": "user", "content": "What is the past tense of 'run'?"}]}"#, #"{"prompt": "Name a primary colour."}"#
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    private func pairs(_ db: LabelDatabase) throws -> [Int: [String]] {
        try db.read { d in
            try Row.fetchAll(d, sql: "SELECT q.line, p.response_a, p.response_b, p.order_key FROM pair p JOIN prompt q ON q.id = p.prompt_id")
                .reduce(into: [:]) { $0[$1[0] as Int] = [$1[1] as String, $1[2] as String, "\($1[3] as Int64)"] }
        }
    }

    func testResumedGenerationFillsTheMissingPairsWithTheSameResponses() throws {
        let model = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let settings = LabelProjectSettings(promptsFile: try prompts(), modelA: model, temperature: 0.9, maxNewTokens: 12, seed: 7)
        let whole = try LabelDatabase(path: tmp + "/whole.sqlite")
        try whole.createProject(settings)
        XCTAssertEqual(try generateLabelPairs(db: whole, batchSize: 4, progress: false), 4)
        let reference = try pairs(whole)
        XCTAssertEqual(reference.count, 4)
        XCTAssertTrue(reference.values.contains { $0[0] != $0[1] }, "two samples of a prompt differ")
        XCTAssertTrue(reference.values.allSatisfy { !$0[0].isEmpty && !$0[1].isEmpty })

        // an interrupted run: two pairs made, in other batches; the rest comes from a second run
        let resumed = try LabelDatabase(path: tmp + "/resumed.sqlite")
        try resumed.createProject(settings)
        XCTAssertEqual(try generateLabelPairs(db: resumed, batchSize: 1, progress: false), 4)
        try resumed.write { try $0.execute(sql: "DELETE FROM pair WHERE prompt_id IN (SELECT id FROM prompt WHERE line IN (2, 3))") }
        XCTAssertEqual(try resumed.counts().pairs, 2)
        XCTAssertEqual(try generateLabelPairs(db: resumed, batchSize: 3, progress: false), 2)
        XCTAssertEqual(try generateLabelPairs(db: resumed, batchSize: 3, progress: false), 0, "nothing left to make")
        XCTAssertEqual(try pairs(resumed), reference)
    }

    func testTwoModelsSampleWithTheSameSeeds() throws {
        let model = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let db = try LabelDatabase(path: tmp + "/ab.sqlite")
        try db.createProject(LabelProjectSettings(promptsFile: try prompts(), modelA: model, modelB: model, temperature: 0.9, maxNewTokens: 12))
        try generateLabelPairs(db: db, progress: false)
        let made = try pairs(db)
        XCTAssertEqual(made.count, 4)
        for (line, p) in made { XCTAssertEqual(p[0], p[1], "line \(line): the same model with the same seed") }
        XCTAssertTrue(try db.requireSettings().comparesModels)
    }
}
