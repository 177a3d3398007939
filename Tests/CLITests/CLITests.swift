// End-to-end runs of the `rlhf` binary: demos, benchmark output format, and one-line errors.

import Foundation
import XCTest

final class CLITests: XCTestCase {
    /// The built `rlhf` next to the test bundle.
    private var binary: URL {
        let dir = Bundle.main.bundleURL
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("rlhf")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        for b in Bundle.allBundles where b.bundleURL.pathExtension == "xctest" {
            let url = b.bundleURL.deletingLastPathComponent().appendingPathComponent("rlhf")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        XCTFail("rlhf binary not found near \(dir.path)")
        return dir
    }

    private func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testKLLossDemoPrintsRewardsKLAndLoss() throws {
        let r = try run(["demo", "kl-loss"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("rewards:              [2.5000, -0.3000]"), r.out)
        for key in ["KL per example:", "loss per example:", "mean loss:"] { XCTAssertTrue(r.out.contains(key), r.out) }
        // the printed losses are −reward + β·KL of the printed KLs
        func numbers(_ prefix: String) -> [Double] {
            let line = r.out.split(separator: "\n").first { $0.hasPrefix(prefix) }!
            let inside = line.split(separator: "[")[1].split(separator: "]")[0]
            return inside.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces))! }
        }
        let kl = numbers("KL per example"), loss = numbers("loss per example")
        XCTAssertEqual(loss[0], -2.5 + 0.02 * kl[0], accuracy: 2e-4)
        XCTAssertEqual(loss[1], 0.3 + 0.02 * kl[1], accuracy: 2e-4)
    }

    func testToyDemoJSONLines() throws {
        let r = try run(["demo", "toy", "--beta", "5", "--epochs", "30", "--seed", "2", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 30)
        let obj = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as! [String: Any]
        XCTAssertEqual(Set(obj.keys), ["epoch", "loss", "reward", "kl", "mean"])
        XCTAssertEqual(obj["epoch"] as? Int, 30)
        let human = try run(["demo", "toy", "--epochs", "10"])
        XCTAssertTrue(human.out.contains("expected optimum mean* = 4 / (4 + 0.2·β) = 0.8000"), human.out)
    }

    func testBadInputGivesOneLineErrorAndNonZeroExit() throws {
        for args in [["frobnicate"], ["demo", "toy", "--beta", "abc"], ["demo", "toy", "--epochs", "0"],
                     ["demo", "toy", "--beta", "-1"], ["bench", "nosuch"], ["demo", "nosuch"]] {
            let r = try run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            let lines = r.err.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("error: "), "\(args): \(r.err)")
            XCTAssertFalse(r.err.contains("Fatal error"), "\(args)")
        }
    }

    private var smolPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    func testGenerateInspectAndTokenizeOnSmolLM2() throws {
        let gen = try run(["generate", "--model", smolPath, "--prompt", "What is the capital of France?", "--chat", "--max-new-tokens", "12"])
        XCTAssertEqual(gen.status, 0, gen.err)
        XCTAssertTrue(gen.out.contains("Paris"), gen.out)
        let inspect = try run(["inspect", "--model", smolPath])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        XCTAssertTrue(inspect.out.contains("arch:        llama"), inspect.out)
        XCTAssertTrue(inspect.out.contains("parameters:  134515008"), inspect.out)
        let json = try run(["inspect", "--model", smolPath, "--text", "Hello", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        XCTAssertEqual((obj["last_logits"] as! [Double]).count, 49152)
        XCTAssertEqual(obj["input_ids"] as! [Int], [19556])
        let tok = try run(["tokenize", "--model", smolPath, "--text", "Hello world", "--json"])
        let t = try JSONSerialization.jsonObject(with: Data(tok.out.utf8)) as! [String: Any]
        XCTAssertEqual(t["tokens"] as! [String], ["Hello", "Ġworld"])
    }

    func testModelErrorsAreOneLine() throws {
        for args in [["inspect", "--model", "/no/such/model"], ["generate", "--model", "/tmp", "--prompt", "x"],
                     ["generate", "--model", smolPath, "--prompt", "x", "--top-p", "2"]] {
            let r = try run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("error: "), r.err)
        }
    }

    func testHelpExitsZero() throws {
        let r = try run(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("bench"))
    }
}
