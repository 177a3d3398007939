// A training run as the command line starts one: the loop with a `TrainingLogger` in `output_dir`
// (metrics.jsonl, TensorBoard, the progress bar), the logs of a resumed run continued after its
// checkpoint's step, and what the run did in one line.

import Foundation
import RLHFFormats
import RLHFLogging

/// What a logged run did.
public struct TrainingOutcome: Sendable {
    /// The final evaluation (empty when the trainer has none at the end).
    public var eval: [String: Double]
    /// The last checkpoint's path.
    public var checkpoint: String
    /// The step the run ended at.
    public var steps: Int
    /// Wall-clock seconds of the loop.
    public var seconds: Double

    /// "trained N steps in M min; checkpoint P".
    public var summary: String {
        "trained \(steps) steps in \(String(format: "%.1f", seconds / 60)) min; checkpoint \(checkpoint)"
    }
}

extension TrainingAlgorithm {
    /// Runs the loop (`runLoop`) with a logger in `output_dir`; a resumed run keeps its metrics up to the
    /// checkpoint's step and continues after it.
    ///
    /// - Parameters:
    ///   - description: the progress bar's label ("sft", "reward", "ppo").
    ///   - afterwards: logs more before the logger closes (PPO's final evaluation); nil on ranks other than 0.
    public func trainLogged(description: String, afterwards: (TrainingLogger?) throws -> Void = { _ in }) throws -> TrainingOutcome {
        let run = core.run
        // under mpirun, rank 0 alone logs (the ranks' metrics are already reduced over all of them)
        let logger =
            core.group.isMain
            ? try TrainingLogger(
                outputDirectory: run.outputDir, totalSteps: core.state.totalSteps, description: description,
                resumingAfter: run.resumeFrom == nil ? nil : core.state.globalStep, progress: run.progress) : nil
        if logger != nil, let yaml = configYAML {
            try AtomicFileWriter.write(to: run.outputDir + "/config.yaml") { try $0.write(Array(yaml.utf8)) }
        }
        let start = Date()
        let (eval, checkpoint) = try runLoop(logger: logger)
        let seconds = Date().timeIntervalSince(start)
        try afterwards(logger)
        try logger?.close()
        return TrainingOutcome(eval: eval, checkpoint: checkpoint, steps: core.state.globalStep, seconds: seconds)
    }
}
