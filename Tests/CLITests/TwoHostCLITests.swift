// Data parallelism across two hosts: two network namespaces of our own joined by a veth pair
// (`scripts/mpi-hosts`), mpirun launching the second host's daemon through a script instead of ssh, MPI
// over TCP only. The reward model trains on one rank per host, the ranks stay bit-identical, the run equals
// the same two ranks on one host, and the gradients really cross the veth. Skipped, with the script's
// reason, where namespaces cannot be made (not root, no CAP_SYS_ADMIN).

import Foundation
import RLHFTestSupport
import XCTest

final class TwoHostCLITests: XCTestCase {
    private let script = repoRoot + "/scripts/mpi-hosts"

    /// Runs the script with `args`; returns its status and output.
    @discardableResult
    private func hosts(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        try runProcess("/bin/bash", [script] + args, environment: environment)
    }

    /// Bytes the first host's end of the veth has sent.
    private func sentBytes() throws -> Int {
        let r = try runProcess("/usr/sbin/ip", ["netns", "exec", "rlhf-h1", "cat", "/sys/class/net/rlhf-veth1/statistics/tx_bytes"])
        return try XCTUnwrap(Int(r.out.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func testTheRewardModelTrainsAcrossTwoHostsOverTCP() throws {
        let up = try hosts(["up"])
        if up.status == 2 { throw XCTSkip(up.err.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(up.status, 0, up.err)
        addTeardownBlock { [self] in _ = try? hosts(["down"]) }

        let placement = try hosts(["run", "2", "--", "/bin/sh", "-c", "echo $OMPI_COMM_WORLD_RANK $(hostname)"])
        XCTAssertEqual(placement.status, 0, placement.err)
        XCTAssertEqual(Set(placement.out.split(separator: "\n").map(String.init)), ["0 rlhf-h1", "1 rlhf-h2"], "one rank per host")

        let work = try temporaryFolder("two-hosts", removedAfter: self)
        func args(_ out: String) throws -> [String] {
            [
                rlhfBinary.path, "train-rm", "--model", try realModelPath("minilm"), "--train-file",
                repoRoot + "/examples/preferences/train.jsonl", "--output-dir", out, "--max-steps", "3",
                "--per-device-train-batch-size", "4", "--progress", "false", "--logging-steps", "1", "--save-steps", "0",
                "--check-ranks-agree"
            ]
        }
        let before = try sentBytes()
        let across = try hosts(["run", "2", "--"] + (try args(work + "/across")), environment: ["RLHF_NUM_THREADS": "1"])
        XCTAssertEqual(across.status, 0, across.err)
        let sent = try sentBytes() - before
        // three reductions of MiniLM's 90 MB gradient, half of it leaving each host each way, at the least
        XCTAssertGreaterThan(sent, 3 * 45_000_000, "the gradients crossed the veth (\(sent) bytes)")

        // the same two ranks on one host: the same numbers, bit for bit
        let mpirun = try XCTUnwrap(["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let local = try runProcess(
            mpirun, ["-np", "2", "--oversubscribe", "--bind-to", "none", "-x", "RLHF_NUM_THREADS=1"] + (try args(work + "/local")))
        XCTAssertEqual(local.status, 0, local.err)
        XCTAssertEqual(
            try String(contentsOfFile: work + "/across/metrics.jsonl", encoding: .utf8),
            try String(contentsOfFile: work + "/local/metrics.jsonl", encoding: .utf8))
        XCTAssertEqual(
            FileManager.default.contents(atPath: work + "/across/checkpoint-3/model.safetensors"),
            FileManager.default.contents(atPath: work + "/local/checkpoint-3/model.safetensors"))
    }
}
