// `rlhf ppo`: PPO on a policy against a reward model, from a YAML config (every field also a flag). Reports
// the mean score and KL on held-out prompts before and after, three responses before and after, and
// writes plots of score, KL, losses and response length next to the metrics.

import ArgumentParser
import Foundation
import RLHFTraining

struct PPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo",
        abstract: "PPO with a per-token KL penalty to the frozen reference (value head on the policy, GAE, clipped losses).",
        discussion: "The YAML keys are TRL's PPOConfig's plus lora_*; every key is also a flag, which overrides the file:\n"
            + PPOConfig.fieldHelp)

    @OptionGroup var options: TrainingCommandOptions

    func run() throws {
        let config = try options.load(PPOConfig.self)
        let lines = try runPPO(config).lines
        try saveReport(lines, outputDir: config.outputDir)
        output(lines.joined(separator: "\n"))
    }
}

/// Runs PPO as configured; returns the last checkpoint and the report lines (summary, before/after figures,
/// samples, plots).
func runPPO(_ config: PPOConfig) throws -> (checkpoint: String, lines: [String]) {
    let run = try PPORun(config: config, report: warn)
    let o = try run.train()
    var lines = [
        "PPO: trained \(o.training.steps) steps (\(o.episodes) episodes) in \(String(format: "%.1f", o.training.seconds / 60)) min; "
            + "checkpoint \(o.training.checkpoint)"
    ]
    if let after = o.after { lines += evaluationReport(before: o.before, after: after, decode: run.trainer.decode) }
    lines.append("plots: \(o.plots)")
    return (o.training.checkpoint, lines)
}

/// Lines comparing held-out figures before and after `algorithm`, with three responses.
func evaluationReport(before: PPOEvaluation?, after: PPOEvaluation, decode: ([Int]) -> String, algorithm: String = "PPO") -> [String] {
    func f(_ x: Double) -> String { String(format: "%.3f", x) }
    let n = after.episodes.count
    guard let before else {
        return [
            "held-out prompts (\(n)): mean score \(f(after.meanScore)), KL to the reference \(f(after.meanKL)) nats, "
                + "length \(String(format: "%.1f", after.meanLength)) tokens"
        ]
    }
    var lines = [
        "held-out prompts (\(n), never trained on), sampled at the rollout temperature with one seed:",
        "  mean score        \(f(before.meanScore)) → \(f(after.meanScore)) (change \(signed(after.meanScore - before.meanScore)) ± "
            + "\(f(pairedStandardError(before.episodes.map(\.score), after.episodes.map(\.score)))) standard error, paired by prompt)",
        "  KL to reference   \(f(before.meanKL)) → \(f(after.meanKL)) nats per response",
        "  response length   \(String(format: "%.1f", before.meanLength)) → \(String(format: "%.1f", after.meanLength)) tokens; "
            + "ended with EOS \(Int((100 * before.stoppedFraction).rounded()))% → \(Int((100 * after.stoppedFraction).rounded()))%",
        "three held-out responses, before → after \(algorithm):"
    ]
    func oneLine(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces) }
    for i in 0..<min(3, n) {
        let (b, a) = (before.episodes[i], after.episodes[i])
        lines += [
            "  prompt: \(oneLine(a.prompt.text))",
            "    before (score \(f(b.score))): \(oneLine(decode(b.response)))",
            "    after  (score \(f(a.score))): \(oneLine(decode(a.response)))"
        ]
    }
    return lines
}

/// Lines with the held-out exact-answer rate before and after, overall and per family (none when no held-out
/// prompt has an `answer`).
func exactAnswerLines(before: PPOEvaluation, after: PPOEvaluation, decode: ([Int]) -> String) -> [String] {
    guard let b = exactAnswerRates(before, decode: decode), let a = exactAnswerRates(after, decode: decode) else { return [] }
    var lines = ["held-out exact-answer rate (exact_answer's normalisation), before → after:"]
    for (x, y) in zip(b, a) {
        lines.append(
            String(
                format: "  %@ %.3f ± %.3f → %.3f ± %.3f (%d prompts)", x.family.padding(toLength: 22, withPad: " ", startingAt: 0), x.rate,
                x.standardError, y.rate, y.standardError, y.count))
    }
    // the change over the prompts both evaluations answered with an answer column, paired by prompt
    let reward = ExactAnswerReward()
    func outcomes(_ e: PPOEvaluation) -> [Double?] {
        e.episodes.map { reward.rewards(prompts: [$0.prompt], completions: [decode($0.response)], completionIds: [$0.response])[0] }
    }
    let pairs = zip(outcomes(before), outcomes(after)).compactMap { x, y in x.flatMap { x in y.map { (x, $0) } } }
    let change = pairs.reduce(0.0) { $0 + $1.1 - $1.0 } / Double(max(pairs.count, 1))
    let se = pairedStandardError(pairs.map(\.0), pairs.map(\.1))
    lines.append(
        String(
            format: "  change %@%.3f ± %.3f standard error, paired by prompt (%.1f standard errors)", change >= 0 ? "+" : "", change, se,
            se > 0 ? change / se : 0))
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
