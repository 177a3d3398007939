// `rlhf label` on the command line: init, add-rater and export in order, each error naming the file, line
// or flag, and a database without a project refused by every subcommand. The server itself is driven in a
// browser, killed and loaded by scripts/label_checks.py.

import Foundation
import RLHFTestSupport
import XCTest

final class LabelCLITests: XCTestCase {
    func testInitAddRaterExportAndTheirErrors() throws {
        let dir = try temporaryFolder("cli-label", removedAfter: self)
        let model = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        try "{\"prompt\": \"Name a primary colour.\"}\n{\"prompt\": \"Name a planet.\"}\n".write(
            toFile: dir + "/p.jsonl", atomically: true, encoding: .utf8)
        let db = dir + "/l.sqlite"
        var r = try runRLHF(["label", "init", "--prompts", dir + "/p.jsonl", "--model", model, "--db", db, "--max-new-tokens", "8", "--no-progress"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "\(db): 2 pairs of 2 prompts (2 generated now)\n")
        r = try runRLHF(["label", "init", "--prompts", dir + "/p.jsonl", "--model", model, "--db", db, "--max-new-tokens", "8", "--no-progress"])
        XCTAssertEqual(r.out, "\(db): 2 pairs of 2 prompts (0 generated now)\n", "a second init resumes and finds nothing to do")
        r = try runRLHF(["label", "init", "--prompts", dir + "/p.jsonl", "--model", model, "--db", db, "--max-new-tokens", "8", "--seed", "3"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.err, "error: \(db): the project was made with --seed 42, not 3; use another --db or the same settings\n")

        r = try runRLHF(["label", "add-rater", "ana", "--db", db, "--url", "http://127.0.0.1:9999/"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("http://127.0.0.1:9999/signin?token="), r.out)
        XCTAssertEqual(r.out.count, "http://127.0.0.1:9999/signin?token=".count + 64 + 1)

        r = try runRLHF(["label", "export", "--db", db, "--out", dir + "/prefs.jsonl"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "\(dir)/prefs.jsonl: wrote 0 preference pairs of 0 labelled pairs\n")

        // bad input: each error names what is wrong
        try "{\"prompt\": \"ok\"}\n{\"prompt\": [1, 2]}\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        r = try runRLHF(["label", "init", "--prompts", dir + "/bad.jsonl", "--model", model, "--db", dir + "/bad.sqlite"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("error: \(dir)/bad.jsonl:2: \"prompt\" must be a string"), r.err)
        r = try runRLHF(["label", "init", "--prompts", dir + "/missing.jsonl", "--model", model, "--db", dir + "/m.sqlite"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("error: \(dir)/missing.jsonl: cannot read the prompt file"), r.err)
        for args in [
            ["label", "export", "--db", dir + "/empty.sqlite", "--out", dir + "/x.jsonl"],
            ["label", "add-rater", "ana", "--db", dir + "/empty.sqlite"],
            ["label", "serve", "--db", dir + "/empty.sqlite", "--port", "0"]
        ] {
            r = try runRLHF(args)
            XCTAssertEqual(r.status, 1, args.joined(separator: " "))
            XCTAssertEqual(r.err, "error: \(dir)/empty.sqlite: no labelling project in this database (run `rlhf label init` first)\n")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/empty.sqlite"), "only init makes a database")
        }
        try "not a database".write(toFile: dir + "/text.sqlite", atomically: true, encoding: .utf8)
        r = try runRLHF(["label", "export", "--db", dir + "/text.sqlite", "--out", dir + "/x.jsonl"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("error: \(dir)/text.sqlite: "), r.err)
        XCTAssertTrue(r.err.contains("not a database"), r.err)
        for (args, message) in [
            (["label", "serve", "--db", db, "--overlap", "0"], "--overlap must be in 1...100, got 0"),
            (["label", "serve", "--db", db, "--port", "70000"], "--port must be in 0...65535, got 70000"),
            (["label", "export", "--db", db, "--out", "x", "--min-agreement", "1.5"], "--min-agreement must be in 0...1, got 1.5"),
            (["label", "init", "--prompts", "p", "--model", "m", "--db", "d", "--temperature", "0"], "--temperature must be > 0, got 0.0")
        ] {
            r = try runRLHF(args)
            XCTAssertEqual(r.status, 64, args.joined(separator: " "))
            XCTAssertEqual(r.err, "error: \(message)\n")
        }
    }
}
