// `rlhf grpo` and `rlhf rloo`: GRPO or RLOO on a policy with programmatic and model rewards, from a YAML
// config (every field also a flag). Report the held-out rewards before and after.

import ArgumentParser
import Foundation
import RLHFTraining

struct GRPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpo",
        abstract: "GRPO: G completions per prompt, group-relative advantages, clipped per-token surrogate (no value model).",
        discussion: "The YAML keys are TRL's GRPOConfig's plus lora_* and the reward functions' settings; every key is also a flag:\n"
            + GRPOConfig.fieldHelp)

    @OptionGroup var options: TrainingCommandOptions

    func run() throws {
        let config = try options.load(GRPOConfig.self)
        let line = try runGRPO(config).line
        try saveReport([line], outputDir: config.outputDir)
        output(line)
    }
}

struct RLOO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rloo",
        abstract: "RLOO: K completions per prompt, KL folded into the reward, leave-one-out baseline (no value model).",
        discussion: "The YAML keys are TRL's RLOOConfig's plus lora_* and the reward functions' settings; every key is also a flag:\n"
            + RLOOConfig.fieldHelp)

    @OptionGroup var options: TrainingCommandOptions

    func run() throws {
        let config = try options.load(RLOOConfig.self)
        let line = try runGRPO(config.base, estimator: .rloo(normalizeAdvantages: config.normalizeAdvantages)).line
        try saveReport([line], outputDir: config.base.outputDir)
        output(line)
    }
}

/// Trains as configured; returns the outcome and a summary with the held-out rewards before (a fresh run) and after.
func runGRPO(_ config: GRPOConfig, estimator: CriticFreeEstimator = .grpo) throws -> (outcome: TrainingOutcome, line: String) {
    let run = try GRPORun(config: config, estimator: estimator, report: warn)
    let before = config.resumeFrom == nil ? run.trainer.evaluate() : [:]
    let outcome = try run.trainer.trainLogged(description: estimator == .grpo ? "grpo" : "rloo")
    var line = outcome.summary
    let keys = outcome.eval.keys.filter { $0.hasPrefix("rewards/") && $0.hasSuffix("/mean") }.sorted()
    for key in ["reward"] + keys {
        guard let after = outcome.eval[key] else { continue }
        let name = key == "reward" ? "reward" : String(key.dropFirst("rewards/".count).dropLast("/mean".count))
        line += "; held-out \(name) " + (before[key].map { String(format: "%.3f → %.3f", $0, after) } ?? String(format: "%.3f", after))
    }
    return (outcome, line)
}
