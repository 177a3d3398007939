// A whole `rlhf ppo` run: the held-out evaluation before (the reference policy), the logged training, the
// evaluation after (logged under `eval/`), and plots of score, KL, losses and response length beside the
// metrics. The command line only prints what it returns.

import Foundation
import RLHFLogging

/// What a PPO run did, with its held-out figures.
public struct PPOOutcome: Sendable {
    /// Steps, time, last checkpoint.
    public var training: TrainingOutcome
    /// Episodes trained on.
    public var episodes: Int
    /// The reference policy on the held-out prompts (nil without them, or when a full fine-tuning run
    /// resumed: its reference is no longer at hand).
    public var before: PPOEvaluation?
    /// The trained policy on the held-out prompts (nil without them).
    public var after: PPOEvaluation?
    /// The SVG plots' path.
    public var plots: String
}

extension PPORun {
    /// Evaluates the reference, trains with logging, evaluates the result and writes the plots. Both
    /// evaluations sample with the same seed (`seed` + 1000), so they differ only by the policy.
    public func train() throws -> PPOOutcome {
        let config = trainer.config
        let held = evalPrompts
        let seed = UInt64(truncatingIfNeeded: config.seed) &+ 1000
        // before: the reference policy (with LoRA, the policy with its adapters off, at any point of the run)
        var before: PPOEvaluation? = nil
        if !held.isEmpty && (config.lora.isEnabled || config.resumeFrom == nil) {
            before = trainer.policy.withAdaptersDisabled { trainer.evaluate(held, seed: seed) }
        }
        trainer.evalPrompts = held
        trainer.checkpointExport = export
        var after: PPOEvaluation? = nil
        let training = try trainer.trainLogged(description: "ppo") { logger in
            guard !held.isEmpty else { return }
            let evaluation = trainer.evaluate(held, seed: seed)
            try logger?.log(step: trainer.state.globalStep, metrics: evaluation.metrics, prefix: "eval/")
            after = evaluation
        }
        let plots = config.outputDir + "/plots.svg"
        if trainer.core.group.isMain {
            try writeMetricPlots(
                metricsPath: config.outputDir + "/metrics.jsonl",
                panels: [
                    PlotPanel("reward-model score (mean per response)", ["objective/scores", "objective/rlhf_reward"]),
                    PlotPanel("KL to the reference (nats per response)", ["objective/kl"]),
                    PlotPanel("losses", ["loss/policy_avg", "loss/value_avg"]),
                    PlotPanel("response length (tokens)", ["val/response_length"])
                ], title: "PPO: \(config.outputDir)", to: plots)
        }
        return PPOOutcome(training: training, episodes: trainer.episode, before: before, after: after, plots: plots)
    }
}
