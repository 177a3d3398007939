// `rlhf bench grpo-step`: one GRPO step of `GRPOTrainer` on SmolLM2-135M with LoRA, against bench/peer/grpo.py
// (TRL's GRPOTrainer, and a plain PyTorch + PEFT loop).
//
//   model      SmolLM2-135M-Instruct (the GGUF, dequantised to float32), LoRA r = 16, alpha 32, no dropout, on
//              all seven projections; only the adapters train; β = 0, so there is no reference
//   prompts    4 prompts of exactly 32 tokens, prompt i token j = 1000 + (i·7919 + j·104729) mod 48000 (the
//              first 4 of `ppo-step`'s, the peer's ids), the same 4 every step
//   one step   `GRPOTrainer.step()`: G = 8 completions per prompt (32 rows) of exactly 64 tokens at
//              temperature 1 (EOS is no stop token here; the peer forbids EOS with min_new_tokens: the same
//              64 tokens of work per row); the reward is the share of a completion's ids that are even;
//              group-scaled advantages; one update over the 32 completions as one micro-batch (dapo, ε 0.2):
//              the policy's forward with log-probs at the 64 completion positions, backward, clip 1.0,
//              AdamW (lr 1e-6, constant, no weight decay); TRL's metrics
//
// Seconds per step: median after 1 warm-up step over ≥ 3 timed steps and ≥ 10 s; generation, scoring (rewards
// and advantages) and update are the medians of the step's own timings over the same steps.

import Foundation
import RLHFData
import RLHFModels
import RLHFTensor
import RLHFTraining

/// The bench's reward: the share of a completion's token ids that are even (the peer's).
struct EvenTokenShareReward: CompletionReward {
    let name = "even_tokens"
    func rewards(prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]) -> [Double?] {
        completionIds.map { ids in Double(ids.filter { $0 % 2 == 0 }.count) / Double(max(ids.count, 1)) }
    }
}

/// Runs the one case of `grpo-step` (`step`) in this process.
public func runGRPOBenchCase(caseName: String, modelsDir: String, report: (BenchResult) -> Void) throws {
    guard caseName == "step" else { throw BenchError.unknownCase(bench: "grpo-step", caseName: caseName) }
    let pre = try loadPretrained(path: modelsDir + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard let lm = pre.architecture.causalLM, let tok = pre.tokenizer else { return }
    lm.addLoRA(targets: LoRASettings.llamaProjections, rank: 16, alpha: 32, dropout: 0, seed: 1)

    let work = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-bench-grpo-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: work) }
    var config = GRPOConfig()
    config.numGenerations = 8
    config.maxCompletionLength = 64
    config.temperature = 1
    config.beta = 0
    config.lossType = .dapo
    config.scaleRewards = .group
    config.run.outputDir = work
    config.run.perDeviceTrainBatchSize = 32
    config.run.gradientAccumulationSteps = 1
    config.run.learningRate = 1e-6
    config.run.lrSchedulerType = .constant
    config.run.maxSteps = 1000
    config.run.saveSteps = 0
    config.run.progress = false
    config.run.seed = 0
    let decode: ([Int]) -> String = { tok.decode($0, skipSpecialTokens: true) }
    let prompts = ppoBenchPromptIds(count: 4).enumerated().map { PPOPrompt(ids: $1, text: decode($1), line: $0 + 1) }
    let trainer = try GRPOTrainer(
        config: config, policy: lm, reference: nil, rewards: [EvenTokenShareReward()], prompts: prompts, eosTokenId: nil,
        padTokenId: tok.padTokenId ?? tok.eosTokenId ?? 0, decode: decode)

    var totals: [Double] = [], generation: [Double] = [], scoring: [Double] = [], update: [Double] = [], losses: [Double] = []
    _ = trainer.step()   // warm-up
    while totals.count < 3 || totals.reduce(0, +) < 10 {
        let t0 = now()
        let m = trainer.step()
        totals.append(now() - t0)
        precondition(m["completions/min_length"] == 64 && m["completions/max_length"] == 64, "grpo-step: completions not of 64 tokens")
        generation.append(m["time/generation"] ?? .nan)
        scoring.append(m["time/scoring"] ?? .nan)
        update.append(m["time/update"] ?? .nan)
        losses.append(m["loss"] ?? .nan)
    }
    // one iteration: the ratio is 1 and each group's advantages sum to zero, so the loss is 0 (as the peer checks)
    precondition(losses.allSatisfy { abs($0) < 1e-4 }, "grpo-step: losses \(losses.prefix(4))")
    precondition(
        lm.loraParameters().contains { $0.key.contains("lora_B") && $0.parameter.value.scalars.contains { $0 != 0 } },
        "grpo-step: lora_B did not move")
    let name = "smollm2.lora16.grpo4x8x64"
    report(BenchResult(bench: "grpo-step", metric: name + ".seconds_per_step", value: median(totals), unit: "s"))
    report(BenchResult(bench: "grpo-step", metric: name + ".generation", value: median(generation), unit: "s"))
    report(BenchResult(bench: "grpo-step", metric: name + ".scoring", value: median(scoring), unit: "s"))
    report(BenchResult(bench: "grpo-step", metric: name + ".update", value: median(update), unit: "s"))
    report(BenchResult(bench: "grpo-step", metric: name + ".peak_rss", value: peakRSSMegabytes(), unit: "MB"))
}
