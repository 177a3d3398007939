// `rlhf dpo` and `rlhf pipeline` with `algorithm: dpo` on the real models: SFT → reward model → DPO, the
// DPO checkpoint (merged model, adapters, precomputed reference log-probs), the held-out report sampled
// before and after and scored by the reward model; finished stages skipped on a second run; config errors.

import Foundation
import XCTest
import RLHFTestSupport

final class DPOCLITests: XCTestCase {
    func testPipelineRunsSFTRewardAndDPOAndReportsBeforeAndAfter() throws {
        let dir = try temporaryFolder("cli-dpo-pipeline", removedAfter: self)
        try writeSmallPipeline(in: dir)
        var yaml = try String(contentsOfFile: dir + "/pipeline.yaml", encoding: .utf8)
        yaml = "algorithm: dpo\n" + yaml.components(separatedBy: "ppo:\n")[0]
        yaml += """
            dpo:
              train_file: \(dir)/pairs.jsonl
              eval_file: \(dir)/pairs.jsonl
              max_length: 64
              per_device_train_batch_size: 2
              learning_rate: 5.0e-4
              max_steps: 2
              precompute_ref_log_probs: true
              progress: false
              lora_r: 4
              lora_targets: q_proj,v_proj
            report:
              eval_file: \(repoRoot)/examples/prompts/test.jsonl
              eval_samples: 3
              response_length: 6

            """
        try yaml.write(toFile: dir + "/dpo.yaml", atomically: true, encoding: .utf8)
        var r = try runRLHF(["pipeline", "--config", dir + "/dpo.yaml"])
        XCTAssertEqual(r.status, 0, r.err)
        for expected in [
            "== SFT", "== reward model", "== DPO", "held-out preference accuracy ", "held-out prompts (3, never trained on)",
            "mean score", "KL to reference   ", "three held-out responses, before → after DPO:", "before (score", "after  (score"
        ] {
            XCTAssertTrue(r.out.contains(expected), "missing '\(expected)' in:\n\(r.out)")
        }
        XCTAssertFalse(r.out.contains("== PPO"))
        for path in [
            "dpo/checkpoint-2/config.json", "dpo/checkpoint-2/adapter/adapter_model.safetensors", "dpo/checkpoint-2/reference_logps.json",
            "dpo/metrics.jsonl", "dpo/completed.json"
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/out/" + path), path)
        }
        let metrics = try String(contentsOfFile: dir + "/out/dpo/metrics.jsonl", encoding: .utf8)
        for key in [
            "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
            "logits/chosen", "logits/rejected", "eval/rewards/accuracies"
        ] {
            XCTAssertTrue(metrics.contains("\"\(key)\""), "metrics.jsonl lacks \(key)")
        }
        r = try runRLHF(["pipeline", "--config", dir + "/dpo.yaml"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out.components(separatedBy: "done earlier, skipped").count - 1, 3, r.out)
        XCTAssertTrue(r.out.contains("before → after DPO:"), "the DPO report is printed again")

        try (yaml.replacingOccurrences(of: "algorithm: dpo", with: "algorithm: kto")).write(
            toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        r = try runRLHF(["pipeline", "--config", dir + "/bad.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("bad.yaml:1: key 'algorithm': expected ppo, dpo, grpo or rloo, found 'kto'"), r.err)
    }

    func testDPOConfigErrorsAreOneLine() throws {
        var r = try runRLHF(["dpo", "--model", "m", "--train-file", "t", "--loss-type", "sigmod"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("expected one of sigmoid, robust, hinge, ipo, orpo, found 'sigmod'; did you mean 'sigmoid'?"), r.err)
        r = try runRLHF(["dpo", "--model", "m", "--train-file", "t", "--label-smoothing", "0.1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("label_smoothing") && r.err.contains("robust"), r.err)
        r = try runRLHF(["dpo", "--model", repoRoot + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "--train-file", "/nonexistent.jsonl"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("error: ") && r.err.contains("/nonexistent.jsonl"), r.err)
    }
}
