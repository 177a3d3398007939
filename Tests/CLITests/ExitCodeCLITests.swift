// Which exit code an error gets: 64 for bad command-line syntax (ArgumentParser's usage errors and
// `validate()` failures), 1 for everything the library or the command finds after parsing, each as one
// `error:` line; help exits 0.

import Foundation
import XCTest
import RLHFTestSupport

final class ExitCodeCLITests: XCTestCase {
    private let root = repoRoot

    private func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, out: String, err: String) {
        try runRLHF(args, file: file, line: line)
    }

    func testSyntaxErrorsExit64() throws {
        for args in [["frobnicate"], ["demo", "toy", "--epochs", "0"], ["generate", "--prompt", "x"], ["demo", "toy", "--beta"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("error: "), "\(args): \(r.err)")
        }
    }

    func testLibraryAndCommandErrorsExit1WithTheirDescription() throws {
        var r = try run(["inspect", "--model", "/no/such/model"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.err, "error: /no/such/model: not a model: no such file or folder\n")
        r = try run(["generate", "--model", root + "/models/minilm", "--prompt", "x"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.err, "error: \(root)/models/minilm: a bert model is not a decoder (only a Llama or GPT-2 causal LM generates text)\n")
        r = try run(["demo", "reward", "--model", "/no/such/model"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.err, "error: /no/such/model: not a model: no such file or folder\n")

        let dir = NSTemporaryDirectory() + "rlhf-cli-exit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try "output_dir: x\nsfx:\n  model: m\n".write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        r = try run(["pipeline", "--config", dir + "/p.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.err, "error: \(dir)/p.yaml:2: unknown section 'sfx' (sections: sft, reward, ppo, dpo, grpo, rloo, report)\n")
        try "output_dir: x\nsft:\n  model: m\nreward:\n  model: m\nppo:\n  model: m\n".write(
            toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        r = try run(["pipeline", "--config", dir + "/p.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.err, "error: \(dir)/p.yaml: section sft: required key 'train_file' is missing\n")
    }

    /// `rlhf bench` runs each case in a process of its own: the case's error line is the only one.
    func testABenchCaseThatFailsGivesOneLine() throws {
        let r = try run(["bench", "generate", "--models-dir", "/no/such/folder"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.err, "error: /no/such/folder/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf: not a model: no such file or folder\n")
    }

    func testHelpOfASubcommandExitsZero() throws {
        for args in [["demo", "--help"], ["help", "demo"], ["demo"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.err)")
            XCTAssertTrue(r.out.contains("kl-loss"), "\(args): \(r.out)")
            XCTAssertEqual(r.err, "", "\(args)")
        }
    }
}
