// `rlhf ppo`: PPO on a policy against a reward model, from a YAML config (every field also a flag). Reports
// the mean score and KL on held-out prompts before and after, three responses before and after, and
// writes plots of score, KL, losses and response length next to the metrics.

import ArgumentParser
import Foundation
import RLHFLogging
import RLHFNN
import RLHFTraining

struct PPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo",
        abstract: "PPO with a per-token KL penalty to the frozen reference (value head on the policy, GAE, clipped losses).",
        discussion: "Every config key is also a flag, which overrides the file:\n" + PPOConfig.fieldHelp)

    @Option(help: "YAML config (keys as TRL's PPOConfig plus lora_*; see below).") var config: String?
    @OptionGroup var shared: SharedTrainingOptions
    @Argument(parsing: .allUnrecognized, help: "Config overrides: --key value.") var overrides: [String] = []

    func run() throws {
        let cfg = try loadConfig(PPOConfig.self, path: config, shared: shared, extra: overrides)
        print(try runPPO(cfg).lines.joined(separator: "\n"))
    }
}

/// Runs PPO as configured; returns the last checkpoint and the report lines (summary, before/after figures,
/// samples, plots).
func runPPO(_ cfg: PPOConfig) throws -> (checkpoint: String, lines: [String]) {
    let run = try PPORun(config: cfg) { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
    let trainer = run.trainer
    let held = run.evalPrompts
    let seed = UInt64(truncatingIfNeeded: cfg.seed) &+ 1000
    // before: the reference policy (with LoRA, the policy with its adapters off, at any point of the run)
    var before: PPOEvaluation? = nil
    if !held.isEmpty && (cfg.loraR > 0 || cfg.resumeFrom == nil) {
        before = trainer.policy.withAdaptersDisabled { trainer.evaluate(held, seed: seed) }
    }
    let logger = try TrainingLogger(outputDirectory: cfg.outputDir, totalSteps: trainer.state.totalSteps, description: "ppo",
                                    resumingAfter: cfg.resumeFrom == nil ? nil : trainer.state.globalStep, progress: cfg.progress)
    let start = Date()
    let path = try trainer.train(logger: logger, evalPrompts: held, export: run.export)
    let minutes = Date().timeIntervalSince(start) / 60
    var lines = ["PPO: trained \(trainer.state.globalStep) steps (\(trainer.episode) episodes) in \(String(format: "%.1f", minutes)) min; checkpoint \(path)"]
    if !held.isEmpty {
        let after = trainer.evaluate(held, seed: seed)
        try logger.log(step: trainer.state.globalStep, metrics: after.metrics, prefix: "eval/")
        lines += evaluationReport(before: before, after: after, decode: trainer.decode)
    }
    try logger.close()
    let plots = cfg.outputDir + "/plots.svg"
    try writeMetricPlots(metricsPath: cfg.outputDir + "/metrics.jsonl", panels: [
        PlotPanel("reward-model score (mean per response)", ["objective/scores", "objective/rlhf_reward"]),
        PlotPanel("KL to the reference (nats per response)", ["objective/kl"]),
        PlotPanel("losses", ["loss/policy_avg", "loss/value_avg"]),
        PlotPanel("response length (tokens)", ["val/response_length"]),
    ], title: "PPO: \(cfg.outputDir)", to: plots)
    lines.append("plots: \(plots)")
    return (path, lines)
}

/// Lines comparing held-out figures before and after, with three responses.
func evaluationReport(before: PPOEvaluation?, after: PPOEvaluation, decode: ([Int]) -> String) -> [String] {
    func f(_ x: Double) -> String { String(format: "%.3f", x) }
    let n = after.episodes.count
    guard let before else {
        return ["held-out prompts (\(n)): mean score \(f(after.meanScore)), KL to the reference \(f(after.meanKL)) nats, "
                + "length \(String(format: "%.1f", after.meanLength)) tokens"]
    }
    var lines = [
        "held-out prompts (\(n), never trained on), sampled at the rollout temperature with one seed:",
        "  mean score        \(f(before.meanScore)) → \(f(after.meanScore)) (change \(signed(after.meanScore - before.meanScore)) ± "
            + "\(f(pairedStandardError(before.episodes.map(\.score), after.episodes.map(\.score)))) standard error, paired by prompt)",
        "  KL to reference   \(f(before.meanKL)) → \(f(after.meanKL)) nats per response",
        "  response length   \(String(format: "%.1f", before.meanLength)) → \(String(format: "%.1f", after.meanLength)) tokens; "
            + "ended with EOS \(Int((100 * before.stoppedFraction).rounded()))% → \(Int((100 * after.stoppedFraction).rounded()))%",
        "three held-out responses, before → after PPO:",
    ]
    func oneLine(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces) }
    for i in 0..<min(3, n) {
        let (b, a) = (before.episodes[i], after.episodes[i])
        lines += ["  prompt: \(oneLine(a.prompt.text))",
                  "    before (score \(f(b.score))): \(oneLine(decode(b.response)))",
                  "    after  (score \(f(a.score))): \(oneLine(decode(a.response)))"]
    }
    return lines
}

/// The standard error of the mean of the paired differences `after[i] − before[i]`.
func pairedStandardError(_ before: [Double], _ after: [Double]) -> Double {
    let d = zip(after, before).map { $0 - $1 }
    guard d.count > 1 else { return .nan }
    let mean = d.reduce(0, +) / Double(d.count)
    let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d.count - 1)
    return (variance / Double(d.count)).squareRoot()
}

private func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + String(format: "%.3f", x) }
