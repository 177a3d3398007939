// `rlhf grpo` on the real model: prompts with an `answer` column, exact_answer and length rewards, TRL's
// metric names, the held-out rewards before and after, a checkpoint that resumes to the same metrics, and
// config errors that name the key.

import Foundation
import RLHFTestSupport
import XCTest

final class GRPOCLITests: XCTestCase {
    private func metricLines(_ dir: String) throws -> [String] {
        try String(contentsOfFile: dir + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.contains("eval/") }
    }

    func testGRPOTrainsOnVerifiableRewardsAndResumes() throws {
        let dir = try temporaryFolder("cli-grpo", removedAfter: self)
        let qa = [
            ("What is the capital of France?", "Paris"), ("What is the capital of Japan?", "Tokyo"), ("What is 6 times 7?", "42"),
            ("What is the plural of mouse?", "mice")
        ]
        try (qa.map { #"{"prompt": "\#($0.0)", "answer": "\#($0.1)", "family": "demo"}"# }.joined(separator: "\n") + "\n")
            .write(toFile: dir + "/qa.jsonl", atomically: true, encoding: .utf8)
        func args(_ out: String, steps: Int = 3) -> [String] {
            [
                "grpo", "--model", repoRoot + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "--train-file", dir + "/qa.jsonl",
                "--eval-file", dir + "/qa.jsonl", "--output-dir", out, "--max-steps", String(steps), "--num-generations", "4",
                "--per-device-train-batch-size", "8", "--max-completion-length", "12", "--lora-r", "4", "--lora-targets", "q_proj,v_proj",
                "--learning-rate", "1e-4", "--reward-funcs", "exact_answer,length", "--reward-weights", "1,0.5", "--length-target", "8",
                "--save-steps", "1", "--progress", "false"
            ]
        }
        var r = try runRLHF(args(dir + "/a"))
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("trained 3 steps") && r.out.contains("held-out exact_answer ") && r.out.contains("held-out length "), r.out)
        let a = try metricLines(dir + "/a")
        XCTAssertEqual(a.count, 3)
        for key in [
            "reward", "reward_std", "rewards/exact_answer/mean", "rewards/exact_answer/std", "rewards/length/mean", "frac_reward_zero_std",
            "completions/mean_length", "completions/clipped_ratio", "clip_ratio/region_mean", "num_tokens"
        ] {
            XCTAssertTrue(a[2].contains("\"\(key)\""), "metrics lack \(key): \(a[2])")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/a/checkpoint-3/adapter/adapter_model.safetensors"))
        // resuming from the first checkpoint gives the same steps 2 and 3, bit for bit
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: false)
        r = try runRLHF(args(dir + "/b") + ["--resume-from", dir + "/a/checkpoint-1"])
        XCTAssertEqual(r.status, 0, r.err)
        func withoutTime(_ line: String) -> String { line.replacingOccurrences(of: #""time/[^,}]*[,]? ?"#, with: "", options: .regularExpression) }
        XCTAssertEqual(try metricLines(dir + "/b").map(withoutTime), a.dropFirst().map(withoutTime))

        // the pipeline with algorithm: grpo, reporting the exact-answer rate per family before and after
        try writeSmallPipeline(in: dir)
        var yaml = try String(contentsOfFile: dir + "/pipeline.yaml", encoding: .utf8).components(separatedBy: "ppo:\n")[0]
        yaml =
            "algorithm: grpo\n" + yaml + """
                grpo:
                  train_file: \(dir)/qa.jsonl
                  num_generations: 4
                  per_device_train_batch_size: 8
                  max_completion_length: 8
                  learning_rate: 1.0e-4
                  max_steps: 1
                  progress: false
                  lora_r: 4
                  lora_targets: q_proj,v_proj
                report:
                  eval_file: \(dir)/qa.jsonl
                  response_length: 8

                """
        try yaml.write(toFile: dir + "/grpo.yaml", atomically: true, encoding: .utf8)
        r = try runRLHF(["pipeline", "--config", dir + "/grpo.yaml"])
        XCTAssertEqual(r.status, 0, r.err)
        for expected in ["== GRPO", "before → after GRPO:", "held-out exact-answer rate", "  all ", "  demo "] {
            XCTAssertTrue(r.out.contains(expected), "missing '\(expected)' in:\n\(r.out)")
        }

        r = try runRLHF(["grpo", "--model", "m", "--train-file", "t", "--reward-funcs", "exact_answer,corectness"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("reward_funcs") && r.err.contains("unknown reward function 'corectness'"), r.err)
        r = try runRLHF(["grpo", "--model", "m", "--train-file", "t", "--per-device-train-batch-size", "6"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("must be a multiple of num_generations (8)"), r.err)
    }
}
