// The training loop, written once for every trainer. A trainer is a `TrainingAlgorithm`: it owns a
// `TrainerCore` and supplies one step, an evaluation, and its checkpoint; `runLoop` does the rest:
//
//   until the last step:
//     1. step() (one optimizer step; PPO: one rollout batch and its updates)
//     2. stop when the non-finite guard says so (or, with `check_ranks_agree`, when the ranks' weights differ)
//     3. the progress bar; every `logging_steps` (and at the last step) the metrics averaged over the interval
//     4. the trainer's extra outputs (PPO's sample tables)
//     5. every `eval_steps` (not at the last step) the evaluation, under `eval/`
//     6. every `save_steps` (not at the last step) a checkpoint
//   then the final evaluation (trainers that evaluate at the end) and the final checkpoint.

import RLHFLogging

/// A trainer as the loop sees it.
public protocol TrainingAlgorithm: AnyObject {
    /// The shared machinery: cursor, optimizer, schedule, state, checkpoints.
    var core: TrainerCore { get }
    /// One optimizer step (PPO: one rollout batch); returns its metrics.
    func step() -> [String: Double]
    /// Whether `evaluate()` has anything to evaluate (held-out data was given).
    var hasEvaluation: Bool { get }
    /// Held-out metrics (logged under `eval/`).
    func evaluate() -> [String: Double]
    /// Writes a checkpoint of the current step; returns its path.
    func writeCheckpoint() throws -> String
    /// The two figures of the progress bar: (label, metric key).
    var progressFigures: [(label: String, key: String)] { get }
    /// Metrics the log window reports at their last value, not their mean.
    var latestMetricKeys: Set<String> { get }
    /// Whether the loop evaluates after the last step (and returns those metrics).
    var evaluatesAtEnd: Bool { get }
    /// After step `step` is logged: the trainer's extra outputs (default: none).
    func afterStep(_ step: Int, logger: TrainingLogger?) throws
    /// An error that stopped the last step before its update (a reward function that failed); the loop
    /// throws it. Default: none.
    var stepFailure: Error? { get }
    /// The config as it runs, as YAML (`config.yaml` in the output folder, for the runs view). Default: none.
    var configYAML: String? { get }
}

extension TrainingAlgorithm {
    /// Default: the learning rate, the epoch and the token count.
    public var latestMetricKeys: Set<String> { ["learning_rate", "epoch", "num_tokens"] }
    /// Default: true.
    public var evaluatesAtEnd: Bool { true }
    /// Default: nothing.
    public func afterStep(_ step: Int, logger: TrainingLogger?) throws {}
    /// None.
    public var stepFailure: Error? { nil }
    /// None.
    public var configYAML: String? { nil }

    /// Runs to the run's last step with logging, evaluation and checkpoints as configured (see the file's
    /// header for the order of things in a step).
    ///
    /// - Returns: the final evaluation (empty when there is none) and the last checkpoint's path.
    /// - Throws: `TrainingError.nonFinite` when the guard stops the run; logging and checkpoint errors.
    public func runLoop(logger: TrainingLogger?) throws -> (eval: [String: Double], checkpoint: String) {
        let run = core.run
        var window = MetricWindow()
        window.latest = latestMetricKeys
        let total = core.state.totalSteps
        while core.state.globalStep < total {
            let m = step()
            if let stepFailure { throw stepFailure }
            try core.nonFinite.check()
            if run.checkRanksAgree { try core.checkRanksAgree() }
            window.append(m)
            let s = core.state.globalStep
            logger?.advance(to: s, metrics: progressFigures.map { ($0.label, m[$0.key] ?? 0) })
            if s % run.loggingSteps == 0 || s == total { try logger?.log(step: s, metrics: window.flush()) }
            try afterStep(s, logger: logger)
            if run.evalSteps > 0 && s % run.evalSteps == 0 && s < total && hasEvaluation {
                try logger?.log(step: s, metrics: evaluate(), prefix: "eval/")
            }
            if run.saveSteps > 0 && s % run.saveSteps == 0 && s < total {
                let path = try writeCheckpoint()   // (not inside `logger?.…`, which would skip it without a logger)
                logger?.message("saved \(path)")
            }
        }
        let eval = evaluatesAtEnd ? evaluate() : [:]
        if !eval.isEmpty { try logger?.log(step: core.state.globalStep, metrics: eval, prefix: "eval/") }
        let path = try writeCheckpoint()
        logger?.message("saved \(path)")
        return (eval, path)
    }
}
