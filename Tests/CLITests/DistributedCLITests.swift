// Data parallelism under `mpirun -np 2` on the real models: two ranks with micro-batch b compute what one
// process computes with micro-batch b and two accumulation steps (every logged loss and the final weights
// to 1e-5 relative), the ranks' weights stay bit-identical after every step (check_ranks_agree), a
// checkpoint of two ranks resumes on one and one of one on two, and a rank killed with SIGKILL stops
// the job with an error instead of a hang, leaving the last checkpoint good to resume from.

import Foundation
import RLHFFormats
import RLHFTestSupport
import XCTest

final class DistributedCLITests: XCTestCase {
    private var mpirun: String? {
        ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `rlhf args` under `mpirun -np n` (one thread per rank; as root where the tests run as root).
    private func runMPI(_ n: Int, _ args: [String], environment: [String] = [], timeout: Double = 600) throws -> (
        status: Int32, out: String, err: String
    ) {
        let mpirun = try XCTUnwrap(mpirun, "mpirun is missing: scripts/setup installs openmpi-bin")
        return try runProcess(
            mpirun,
            ["-np", String(n), "--oversubscribe", "--bind-to", "none", "-x", "RLHF_NUM_THREADS=1"]
                + environment.flatMap { ["-x", $0] } + [rlhfBinary.path] + args, timeout: timeout)
    }

    /// One process, same binary and thread count.
    private func runOne(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        try runProcess(rlhfBinary.path, args, environment: ["RLHF_NUM_THREADS": "1"])
    }

    /// The training lines of `metrics.jsonl` (those with a loss), by step.
    private func losses(_ dir: String) throws -> [Int: Double] {
        var out: [Int: Double] = [:]
        for line in try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n") {
            let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let step = o["step"] as? Int, let loss = o["loss"] as? Double { out[step] = loss }
        }
        return out
    }

    /// ‖a − b‖ / ‖b‖ over every tensor of two safetensors files with the same names.
    private func relativeDifference(_ a: String, _ b: String) throws -> Double {
        let fa = try SafetensorsFile(path: a), fb = try SafetensorsFile(path: b)
        XCTAssertEqual(Set(fa.tensorNames), Set(fb.tensorNames))
        var diff = 0.0, norm = 0.0
        for name in fb.tensorNames {
            let x = try fa.tensor(name).scalars, y = try fb.tensor(name).scalars
            for (u, v) in zip(x, y) {
                diff += Double(u - v) * Double(u - v)
                norm += Double(v) * Double(v)
            }
        }
        return (diff / max(norm, 1e-30)).squareRoot()
    }

    private func rewardArgs(_ out: String, steps: Int, accumulation: Int = 1, extra: [String] = []) throws -> [String] {
        [
            "train-rm", "--model", try realModelPath("minilm"), "--train-file", repoRoot + "/examples/preferences/train.jsonl",
            "--output-dir", out, "--max-steps", String(steps), "--per-device-train-batch-size", "4",
            "--gradient-accumulation-steps", String(accumulation), "--progress", "false", "--logging-steps", "1", "--save-steps", "2",
            "--learning-rate", "1e-4", "--lr-scheduler-type", "constant"
        ] + extra
    }

    private func assertSameLosses(_ a: [Int: Double], _ b: [Int: Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted(), file: file, line: line)
        for (step, x) in a {
            let y = b[step] ?? .nan
            XCTAssertLessThanOrEqual(abs(x - y), 1e-5 * max(abs(y), 1e-3), "step \(step): \(x) vs \(y)", file: file, line: line)
        }
    }

    func testRewardModelOnTwoRanksEqualsOneProcessWithTwoAccumulationSteps() throws {
        let work = try temporaryFolder("dp-reward", removedAfter: self)
        let two = try runMPI(2, try rewardArgs(work + "/two", steps: 3, extra: ["--check-ranks-agree"]))
        XCTAssertEqual(two.status, 0, two.err)
        XCTAssertEqual(two.out.split(separator: "\n").filter { $0.hasPrefix("trained 3 steps") }.count, 1, "rank 0 alone prints: \(two.out)")
        let one = try runOne(try rewardArgs(work + "/one", steps: 3, accumulation: 2))
        XCTAssertEqual(one.status, 0, one.err)
        assertSameLosses(try losses(work + "/two"), try losses(work + "/one"))
        let d = try relativeDifference(work + "/two/checkpoint-3/model.safetensors", work + "/one/checkpoint-3/model.safetensors")
        XCTAssertLessThanOrEqual(d, 1e-5)
        let state = try String(contentsOfFile: work + "/two/checkpoint-3/trainer_state.json", encoding: .utf8)
        XCTAssertTrue(state.contains("\"stepBatchSize\" : 8") && state.contains("\"worldSize\" : 2"), state)
    }

    func testSFTWithLoRAOnTwoRanksEqualsOneProcessWithTwoAccumulationSteps() throws {
        let work = try temporaryFolder("dp-sft", removedAfter: self)
        func args(_ out: String, _ accumulation: Int) throws -> [String] {
            [
                "sft", "--model", try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
                "--train-file", repoRoot + "/examples/sft/train.jsonl", "--output-dir", out, "--max-steps", "3",
                "--max-length", "64", "--per-device-train-batch-size", "2", "--gradient-accumulation-steps", String(accumulation),
                "--lora-r", "4", "--lora-dropout", "0", "--learning-rate", "1e-3", "--lr-scheduler-type", "constant",
                "--progress", "false", "--logging-steps", "1", "--save-steps", "0", "--check-ranks-agree"
            ]
        }
        let two = try runMPI(2, try args(work + "/two", 1))
        XCTAssertEqual(two.status, 0, two.err)
        let one = try runOne(try args(work + "/one", 2))
        XCTAssertEqual(one.status, 0, one.err)
        assertSameLosses(try losses(work + "/two"), try losses(work + "/one"))
        let d = try relativeDifference(
            work + "/two/checkpoint-3/adapter/adapter_model.safetensors", work + "/one/checkpoint-3/adapter/adapter_model.safetensors")
        XCTAssertLessThanOrEqual(d, 1e-5)
    }

    /// DPO with a precomputed reference and an eval file: each rank computes its share of the reference's
    /// log-probs and of the evaluation, and the run equals one process with two accumulation steps.
    func testDPOOnTwoRanksEqualsOneProcessWithTwoAccumulationSteps() throws {
        let work = try temporaryFolder("dp-dpo", removedAfter: self)
        let pairs = try String(contentsOfFile: repoRoot + "/examples/preferences/train.jsonl", encoding: .utf8).split(separator: "\n").prefix(14)
        try (pairs.joined(separator: "\n") + "\n").write(toFile: work + "/pairs.jsonl", atomically: true, encoding: .utf8)
        func args(_ out: String, _ accumulation: Int) throws -> [String] {
            [
                "dpo", "--model", try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"), "--train-file", work + "/pairs.jsonl",
                "--eval-file", work + "/pairs.jsonl", "--output-dir", out, "--max-steps", "2", "--max-length", "64",
                "--per-device-train-batch-size", "2", "--per-device-eval-batch-size", "4", "--gradient-accumulation-steps", String(accumulation),
                "--lora-r", "4", "--lora-targets", "q_proj,v_proj", "--learning-rate", "1e-3", "--lr-scheduler-type", "constant",
                "--precompute-ref-log-probs", "true", "--progress", "false", "--logging-steps", "1", "--save-steps", "0", "--check-ranks-agree"
            ]
        }
        let two = try runMPI(2, try args(work + "/two", 1))
        XCTAssertEqual(two.status, 0, two.err)
        let one = try runOne(try args(work + "/one", 2))
        XCTAssertEqual(one.status, 0, one.err)
        assertSameLosses(try losses(work + "/two"), try losses(work + "/one"))
        let reference = { (dir: String) in try String(contentsOfFile: dir + "/checkpoint-2/reference_logps.json", encoding: .utf8) }
        let a = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try reference(work + "/two").utf8)) as? [String: [String: [Double]]])
        let b = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try reference(work + "/one").utf8)) as? [String: [String: [Double]]])
        for part in ["train", "eval"] {
            for side in ["chosen", "rejected"] {
                let x = try XCTUnwrap(a[part]?[side]), y = try XCTUnwrap(b[part]?[side])
                XCTAssertEqual(x.count, 14)
                for (u, v) in zip(x, y) { XCTAssertEqual(u, v, accuracy: 1e-4 * abs(v), "\(part) \(side): the ranks' shares in order") }
            }
        }
        for key in ["eval/rewards/accuracies", "eval/loss"] {
            func last(_ dir: String) throws -> Double {
                let lines = try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
                let o = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.last { $0[key] != nil }
                return try XCTUnwrap(o?[key] as? Double, key)
            }
            XCTAssertEqual(try last(work + "/two"), try last(work + "/one"), accuracy: 1e-4, key)
        }
    }

    /// GRPO: two ranks each sampling whole groups of one prompt equal one process sampling both prompts' groups
    /// with two accumulation steps (every completion is seeded by its prompt and index; the advantages, the
    /// dapo normaliser and the metrics are over all ranks).
    func testGRPOOnTwoRanksEqualsOneProcessWithTwoAccumulationSteps() throws {
        let work = try temporaryFolder("dp-grpo", removedAfter: self)
        let qa = try String(contentsOfFile: repoRoot + "/examples/qa/train.jsonl", encoding: .utf8).split(separator: "\n").prefix(8)
        try (qa.joined(separator: "\n") + "\n").write(toFile: work + "/qa.jsonl", atomically: true, encoding: .utf8)
        func args(_ out: String, _ accumulation: Int) throws -> [String] {
            [
                "grpo", "--model", try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"), "--train-file", work + "/qa.jsonl",
                "--output-dir", out, "--max-steps", "2", "--num-generations", "4", "--per-device-train-batch-size", "4",
                "--gradient-accumulation-steps", String(accumulation), "--max-completion-length", "8", "--lora-r", "4",
                "--lora-targets", "q_proj,v_proj", "--learning-rate", "1e-3", "--reward-funcs", "exact_answer,length", "--length-target", "4",
                "--progress", "false", "--logging-steps", "1", "--save-steps", "0", "--check-ranks-agree"
            ]
        }
        let two = try runMPI(2, try args(work + "/two", 1))
        XCTAssertEqual(two.status, 0, two.err)
        let one = try runOne(try args(work + "/one", 2))
        XCTAssertEqual(one.status, 0, one.err)
        assertSameLosses(try losses(work + "/two"), try losses(work + "/one"))
        let d = try relativeDifference(
            work + "/two/checkpoint-2/adapter/adapter_model.safetensors", work + "/one/checkpoint-2/adapter/adapter_model.safetensors")
        XCTAssertLessThanOrEqual(d, 1e-5)
    }

    /// PPO (LoRA policy, value head): two ranks each rolling out two prompts equal one process rolling out
    /// four in chunks of two with two accumulation steps: every prompt samples from its own generator, the
    /// ranks exchange their episodes, and whitening, GAE and the statistics are over all of them.
    func testPPOOnTwoRanksEqualsOneProcessWithTwoAccumulationSteps() throws {
        let work = try temporaryFolder("dp-ppo", removedAfter: self)
        let rm = try runOne(try rewardArgs(work + "/rm", steps: 1))
        XCTAssertEqual(rm.status, 0, rm.err)
        func args(_ out: String, _ accumulation: Int) throws -> [String] {
            [
                "ppo", "--model", try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"), "--reward-model", work + "/rm/checkpoint-1",
                "--train-file", repoRoot + "/examples/prompts/train.jsonl", "--output-dir", out, "--max-steps", "3",
                "--per-device-train-batch-size", "2", "--gradient-accumulation-steps", String(accumulation),
                "--local-rollout-forward-batch-size", "2", "--response-length", "8", "--num-ppo-epochs", "2", "--lora-r", "4",
                "--learning-rate", "1e-3", "--progress", "false", "--logging-steps", "1", "--save-steps", "0",
                "--num-sample-generations", "0", "--check-ranks-agree"
            ]
        }
        let two = try runMPI(2, try args(work + "/two", 1))
        XCTAssertEqual(two.status, 0, two.err)
        let one = try runOne(try args(work + "/one", 2))
        XCTAssertEqual(one.status, 0, one.err)
        for key in ["loss/policy_avg", "loss/value_avg", "objective/scores", "objective/kl"] {
            assertSameLosses(try series(work + "/two", key), try series(work + "/one", key))
        }
        for file in ["policy.safetensors", "value_head.safetensors"] {
            let d = try relativeDifference(work + "/two/checkpoint-3/" + file, work + "/one/checkpoint-3/" + file)
            XCTAssertLessThanOrEqual(d, 1e-5, file)
        }
    }

    /// One metric of `metrics.jsonl`, by step.
    private func series(_ dir: String, _ key: String) throws -> [Int: Double] {
        var out: [Int: Double] = [:]
        for line in try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n") {
            let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if let step = o["step"] as? Int, let v = o[key] as? Double { out[step] = v }
        }
        return out
    }

    /// A NaN in one rank's gradient (injected at its second update) skips that step on both ranks alike:
    /// the run says so, goes on, and the ranks stay bit-identical.
    func testANaNGradientOnOneRankSkipsTheStepOnEveryRank() throws {
        let work = try temporaryFolder("dp-nan", removedAfter: self)
        let r = try runMPI(2, try rewardArgs(work + "/run", steps: 3, extra: ["--check-ranks-agree"]), environment: ["RLHF_FAULT_NAN_GRADIENT=1:2"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("warning: step 2: loss") && r.err.contains("not finite, step skipped"), r.err)
        XCTAssertEqual(r.err.components(separatedBy: "step skipped").count - 1, 1, "one step skipped, reported once: \(r.err)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/checkpoint-3/model.safetensors"))
    }

    /// `rlhf pipeline` runs unchanged on two ranks: the report once (rank 0), every stage's checkpoint and
    /// completed.json, and a second run skips the finished stages on both ranks.
    func testThePipelineRunsOnTwoRanks() throws {
        let dir = try temporaryFolder("dp-pipeline", removedAfter: self)
        try writeSmallPipeline(in: dir)
        var r = try runMPI(2, ["pipeline", "--config", dir + "/pipeline.yaml"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out.components(separatedBy: "== PPO").count - 1, 1, "rank 0 alone reports: \(r.out)")
        XCTAssertTrue(r.out.contains("PPO: trained 2 steps (8 episodes)"), "two ranks × 2 prompts a step: \(r.out)")
        for stage in ["sft", "reward", "ppo"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/\(stage)/completed.json"), stage)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/\(stage)/checkpoint-2/config.json"), stage)
        }
        r = try runMPI(2, ["pipeline", "--config", dir + "/pipeline.yaml"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out.components(separatedBy: "done earlier, skipped").count - 1, 3, r.out)
    }

    /// With LoRA dropout each rank draws its own masks and saves its own generator: two ranks resumed from
    /// a checkpoint continue bit for bit as the uninterrupted two-rank run.
    func testTwoRanksWithAdapterDropoutResumeBitForBit() throws {
        let work = try temporaryFolder("dp-dropout", removedAfter: self)
        func args(_ out: String, _ steps: Int, _ extra: [String] = []) throws -> [String] {
            [
                "sft", "--model", try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
                "--train-file", repoRoot + "/examples/sft/train.jsonl", "--output-dir", out, "--max-steps", String(steps),
                "--max-length", "48", "--per-device-train-batch-size", "2", "--lora-r", "4", "--lora-dropout", "0.1",
                "--lora-targets", "q_proj,v_proj", "--learning-rate", "1e-3", "--lr-scheduler-type", "constant",
                "--progress", "false", "--logging-steps", "1", "--save-steps", "2"
            ] + extra
        }
        let straight = try runMPI(2, try args(work + "/straight", 4))
        XCTAssertEqual(straight.status, 0, straight.err)
        let first = try runMPI(2, try args(work + "/resumed", 2))
        XCTAssertEqual(first.status, 0, first.err)
        let second = try runMPI(2, try args(work + "/resumed", 4, ["--resume-from", work + "/resumed/checkpoint-2"]))
        XCTAssertEqual(second.status, 0, second.err)
        XCTAssertEqual(try losses(work + "/resumed"), try losses(work + "/straight"))
        XCTAssertEqual(
            FileManager.default.contents(atPath: work + "/resumed/checkpoint-4/adapter/adapter_model.safetensors"),
            FileManager.default.contents(atPath: work + "/straight/checkpoint-4/adapter/adapter_model.safetensors"))
        let state = try String(contentsOfFile: work + "/straight/checkpoint-2/trainer_state.json", encoding: .utf8)
        XCTAssertTrue(state.contains("adapterRNGByRank"), "every rank's dropout generators are saved")
    }

    /// A checkpoint of two ranks continues on one (twice the accumulation: the same global batch) and one of
    /// one process on two; both end where the straight two-rank run ends.
    func testACheckpointResumesOnAnotherNumberOfRanks() throws {
        let work = try temporaryFolder("dp-resume", removedAfter: self)
        let straight = try runMPI(2, try rewardArgs(work + "/straight", steps: 4))
        XCTAssertEqual(straight.status, 0, straight.err)
        // 2 → 1
        let first = try runMPI(2, try rewardArgs(work + "/a", steps: 2))
        XCTAssertEqual(first.status, 0, first.err)
        let onOne = try runOne(try rewardArgs(work + "/a", steps: 4, accumulation: 2, extra: ["--resume-from", work + "/a/checkpoint-2"]))
        XCTAssertEqual(onOne.status, 0, onOne.err)
        // 1 → 2
        let firstOne = try runOne(try rewardArgs(work + "/b", steps: 2, accumulation: 2))
        XCTAssertEqual(firstOne.status, 0, firstOne.err)
        let onTwo = try runMPI(2, try rewardArgs(work + "/b", steps: 4, extra: ["--resume-from", work + "/b/checkpoint-2"]))
        XCTAssertEqual(onTwo.status, 0, onTwo.err)
        let reference = try losses(work + "/straight")
        for dir in ["/a", "/b"] {
            assertSameLosses(try losses(work + dir), reference)
            let d = try relativeDifference(work + dir + "/checkpoint-4/model.safetensors", work + "/straight/checkpoint-4/model.safetensors")
            XCTAssertLessThanOrEqual(d, 1e-5, dir)
        }
        // a global batch that differs is refused, naming the fix
        let wrong = try runOne(try rewardArgs(work + "/c", steps: 4, extra: ["--resume-from", work + "/a/checkpoint-2"]))
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.err.contains("it took 8 examples per step, the config takes 4"), wrong.err)
    }

    /// SIGKILL to one rank mid-run: the job ends (no hang) with a non-zero status, the checkpoints written
    /// before are complete, and a new job resumes from the last one.
    func testARankKilledMidRunStopsTheJobAndTheLastCheckpointResumes() throws {
        let work = try temporaryFolder("dp-kill", removedAfter: self)
        let mpirun = try XCTUnwrap(mpirun, "mpirun is missing")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: mpirun)
        p.arguments =
            ["-np", "2", "--oversubscribe", "--bind-to", "none", "-x", "RLHF_NUM_THREADS=1", rlhfBinary.path]
            + (try rewardArgs(work + "/run", steps: 400))
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // wait for a checkpoint, then kill the rank that is not the launcher's first child
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && !FileManager.default.fileExists(atPath: work + "/run/checkpoint-4/trainer_state.json") {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let ranks = childProcesses(of: p.processIdentifier)
        XCTAssertEqual(ranks.count, 2, "two ranks under mpirun")
        let victim = try XCTUnwrap(ranks.max())
        kill(victim, SIGKILL)
        let killedAt = Date()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(killedAt)
        XCTAssertLessThan(seconds, 60, "the job ended \(seconds) s after the kill")
        XCTAssertNotEqual(p.terminationStatus, 0)
        let text = String(decoding: e, as: UTF8.self)
        XCTAssertTrue(text.contains("exited on signal 9"), "the job says which rank stopped it and how: \(text)")
        // every checkpoint left is complete; resume from the last on two ranks
        let saved = try FileManager.default.contentsOfDirectory(atPath: work + "/run").filter { $0.hasPrefix("checkpoint-") }
        let last = try XCTUnwrap(saved.compactMap { Int($0.dropFirst("checkpoint-".count)) }.max())
        for name in saved { XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/\(name)/optimizer.json"), name) }
        let resumed = try runMPI(2, try rewardArgs(work + "/run", steps: last + 2, extra: ["--resume-from", work + "/run/checkpoint-\(last)"]))
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: work + "/run/checkpoint-\(last + 2)/model.safetensors"))
    }

    /// The processes whose parent is `pid` (from /proc).
    private func childProcesses(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid
        }
    }
}
