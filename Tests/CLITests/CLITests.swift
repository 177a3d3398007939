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

    func testHelpExitsZero() throws {
        let r = try run(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("bench"))
    }
}
