// PPO's evaluation on held-out prompts, its sample tables, and what it tells the core's loop (which does
// the logging with TRL's metric names, the evaluation cadence and the checkpoints).

import Foundation
import RLHFData
import RLHFLogging
import RLHFNN
import RLHFTensor

/// Score and KL of the policy on a set of prompts.
public struct PPOEvaluation: Sendable {
    /// Mean reward-model score (after the missing-EOS penalty).
    public var meanScore: Double
    /// Mean over responses of Σₜ (log π − log π_ref) (TRL's `objective/kl`).
    public var meanKL: Double
    /// Mean response length in tokens.
    public var meanLength: Double
    /// Share of responses that ended with the stop token.
    public var stoppedFraction: Double
    /// The evaluated episodes, in the prompts' order.
    public var episodes: [RolloutEpisode]

    /// The figures of `episodes` (KL: k1, summed over each response).
    public init(episodes: [RolloutEpisode]) {
        let n = Double(max(episodes.count, 1))
        let kl = klRows(episodes, estimator: .k1).map { $0.reduce(0, +) }
        meanScore = episodes.map(\.score).reduce(0, +) / n
        meanKL = kl.reduce(0, +) / n
        meanLength = Double(episodes.map(\.response.count).reduce(0, +)) / n
        stoppedFraction = Double(episodes.filter(\.stopped).count) / n
        self.episodes = episodes
    }

    /// The figures as metrics (`score`, `kl`, `response_length`, `eos_fraction`).
    public var metrics: [String: Double] {
        ["score": meanScore, "kl": meanKL, "response_length": meanLength, "eos_fraction": stoppedFraction]
    }
}

extension PPOTrainer {
    /// Samples one response per prompt (the rollout temperature; prompt i draws from a generator of its
    /// own seeded by (`seed`, i), so two evaluations with the same seed and policy agree, on any number of
    /// ranks) and measures score and KL. Under `mpirun` each rank samples its contiguous share of the
    /// prompts and every rank gets all the episodes.
    public func evaluate(_ prompts: [PPOPrompt], seed: UInt64) -> PPOEvaluation {
        let mine = Array(core.share(of: prompts.count))
        let seeds = mine.map { promptSeed(Int(truncatingIfNeeded: seed), step: -1, index: $0) }
        let local = sampler.sample(mine.map { prompts[$0] }, seeds: seeds).episodes
        return PPOEvaluation(episodes: core.gatheredEpisodes(local, promptIndices: mine, prompts: prompts))
    }

    /// A markdown table of prompt / response / score for the first `limit` episodes.
    public func sampleTable(_ episodes: [RolloutEpisode], limit: Int = 4) -> String {
        func cell(_ s: String) -> String {
            s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var lines = ["| prompt | response | score |", "|---|---|---|"]
        for e in episodes.prefix(limit) {
            lines.append("| \(cell(e.prompt.text)) | \(cell(decode(e.response))) | \(String(format: "%.3f", e.score)) |")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: TrainingAlgorithm

    /// Whether `train` was given held-out prompts.
    public var hasEvaluation: Bool { !evalPrompts.isEmpty }

    /// The held-out prompts given to `train` (sampled with the run's seed).
    public func evaluate() -> [String: Double] {
        evaluate(evalPrompts, seed: UInt64(truncatingIfNeeded: config.seed)).metrics
    }

    /// A checkpoint with the export `train` was given.
    public func writeCheckpoint() throws -> String { try saveCheckpoint(export: checkpointExport) }
    /// Score and KL.
    public var progressFigures: [(label: String, key: String)] { [("score", "objective/scores"), ("kl", "objective/kl")] }
    /// The learning rate, the episode count and β, at their last value.
    public var latestMetricKeys: Set<String> { ["lr", "episode", "objective/kl_coef"] }
    /// The before/after evaluation is the caller's (`rlhf ppo` reports it), not the loop's.
    public var evaluatesAtEnd: Bool { false }

    /// A sample table (prompt / response / score) `num_sample_generations` times over the run.
    public func afterStep(_ step: Int, logger: TrainingLogger?) throws {
        let total = state.totalSteps
        let sampleEvery = config.numSampleGenerations > 0 ? max(1, total / config.numSampleGenerations) : 0
        if sampleEvery > 0 && (step % sampleEvery == 0 || step == total) {
            try logger?.text(tag: "samples", step: step, markdown: sampleTable(lastEpisodes))
        }
    }

    /// Runs to the last step with logging, sample tables, evaluation and checkpoints as configured.
    ///
    /// - Parameters:
    ///   - evalPrompts: held-out prompts evaluated every `eval_steps` (under `eval/`).
    ///   - export: adds user-facing files (the merged policy) to each checkpoint folder.
    /// - Returns: the final checkpoint's path.
    @discardableResult
    public func train(logger: TrainingLogger? = nil, evalPrompts: [PPOPrompt] = [], export: ((String) throws -> Void)? = nil) throws -> String {
        self.evalPrompts = evalPrompts
        checkpointExport = export
        return try runLoop(logger: logger).checkpoint
    }
}
