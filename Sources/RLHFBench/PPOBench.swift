// `rlhf bench ppo-step`: one PPO step of `PPOTrainer` on real models, against bench/peer/ppo.py (a plain
// PyTorch loop: transformers' generate, PEFT's LoRA, the same losses).
//
//   policy     SmolLM2-135M-Instruct with LoRA r = 16, alpha 32, no dropout, on all seven projections, and a
//              value head Linear(576, 1) on its final hidden states (one forward gives log-probs and values)
//   reference  the same model with its adapters off
//   reward     MiniLM (models/minilm) as a reward model with a new, random head, reading the decoded prompt
//              and response as a sentence pair
//   prompts    8 prompts of exactly 32 policy tokens: prompt i, token j = 1000 + (i·7919 + j·104729) mod 48000
//              (the same ids as the peer); the prompt text for the reward model is their decoding
//   one step   rollout of 48 new tokens per prompt at temperature 0.7 (plain sampling, stop_token none: every
//              response has 48 tokens), policy log-probs and values, reference log-probs, rewards; k1 KL
//              (β 0.05), GAE, whitening; 1 PPO epoch of 1 minibatch of 8: clipped losses, backward, clip 1.0,
//              AdamW (lr 3e-6, constant)
//
// Seconds per step: median after 1 warm-up step over ≥ 3 timed steps; generation, scoring (policy
// log-probs and values, reference log-probs, reward) and update are the medians of `PPOTrainer.step()`'s
// own timings over the same steps.

import Foundation
import RLHFData
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTraining

/// The ids of the 8 bench prompts (shared with bench/peer/ppo.py).
func ppoBenchPromptIds(count: Int = 8, length: Int = 32) -> [[Int]] {
    (0..<count).map { i in (0..<length).map { j in 1000 + (i * 7919 + j * 104_729) % 48_000 } }
}

/// The cases of `ppo-step` (one: the whole step).
public let ppoBenchCases = ["step"]

/// An unknown `--case` for `ppo-step`.
public struct PPOBenchCaseError: Error, CustomStringConvertible {
    /// The case's name as `rlhf bench` takes it.
    public let caseName: String
    public var description: String { "unknown case '\(caseName)' for bench ppo-step (\(ppoBenchCases.joined(separator: ", ")))" }
}

/// Runs the one case of `ppo-step` in this process.
public func runPPOBenchCase(caseName: String, modelsDir: String, report: (BenchResult) -> Void) throws {
    guard ppoBenchCases.contains(caseName) else { throw PPOBenchCaseError(caseName: caseName) }
    let pre = try loadPretrained(path: modelsDir + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard let lm = pre.architecture.causalLM, let tok = pre.tokenizer else { return }
    let rmPre = try loadPretrained(path: modelsDir + "/minilm")
    guard let rmTok = rmPre.tokenizer else { return }

    var config = PPOConfig()
    config.responseLength = 48
    config.temperature = 0.7
    config.stopToken = .none
    config.numPPOEpochs = 1
    config.numMiniBatches = 1
    config.perDeviceTrainBatchSize = 8
    config.gradientAccumulationSteps = 1
    config.localRolloutForwardBatchSize = 8
    config.perDeviceEvalBatchSize = 8
    config.lrSchedulerType = .constant
    config.maxSteps = 1000
    config.loraR = 16
    config.loraAlpha = 32
    config.seed = 0

    lm.addLoRA(targets: LoRASettings.llamaProjections, rank: config.loraR, alpha: config.loraAlpha, dropout: 0, seed: 1)
    var rng = RandomGenerator(seed: 1)
    let valueHead = makeValueHead(hiddenSize: RewardModel.hiddenSize(of: pre.architecture), rng: &rng)
    var rmRng = RandomGenerator(seed: 0)
    let rewardModel = RewardModel(backbone: rmPre.architecture, tokenizer: rmTok, rng: &rmRng)
    let decode: ([Int]) -> String = { tok.decode($0, skipSpecialTokens: true) }
    let scorer = RewardModelScorer(model: rewardModel, decode: decode, batchSize: 8, maxLength: config.rewardMaxLength)
    let prompts = ppoBenchPromptIds().enumerated().map { PPOPrompt(ids: $1, text: decode($1), line: $0 + 1) }
    let trainer = try PPOTrainer(
        config: config, policy: lm, reference: nil, valueHead: valueHead, reward: scorer, prompts: prompts,
        eosTokenId: tok.eosTokenId, padTokenId: tok.padTokenId ?? tok.eosTokenId ?? 0, decode: decode)

    var totals: [Double] = [], generation: [Double] = [], scoring: [Double] = [], update: [Double] = []
    _ = trainer.step()   // warm-up
    while totals.count < 3 {
        let t0 = now()
        let m = trainer.step()
        totals.append(now() - t0)
        precondition(m["val/response_length"] == Double(config.responseLength), "ppo-step: responses shorter than 48 tokens")
        generation.append(m["time/generation"] ?? .nan)
        scoring.append(m["time/scoring"] ?? .nan)
        update.append(m["time/update"] ?? .nan)
    }
    let name = "smollm2.lora16.8x32+48"
    report(BenchResult(bench: "ppo-step", metric: name + ".seconds_per_step", value: median(totals), unit: "s"))
    report(BenchResult(bench: "ppo-step", metric: name + ".generation", value: median(generation), unit: "s"))
    report(BenchResult(bench: "ppo-step", metric: name + ".scoring", value: median(scoring), unit: "s"))
    report(BenchResult(bench: "ppo-step", metric: name + ".update", value: median(update), unit: "s"))
    report(BenchResult(bench: "ppo-step", metric: name + ".peak_rss", value: peakRSSMegabytes(), unit: "MB"))
}
