// What every training command (`sft`, `train-rm`, `ppo`) takes: a YAML config, a few common flags, and
// any config key as a flag (`--learning-rate 1e-5`), which overrides the file.

import ArgumentParser
import RLHFTraining

/// The options of a training command.
struct TrainingCommandOptions: ParsableArguments {
    @Option(help: "YAML config (keys as TRL's; see below).") var config: String?
    @Option(help: "Where checkpoints, metrics.jsonl and TensorBoard runs go.") var outputDir: String?
    @Option(help: "Optimizer steps to train (overrides epochs).") var maxSteps: Int?
    @Option(help: "Random seed.") var seed: Int?
    @Option(help: "Checkpoint folder to continue from.") var resumeFrom: String?
    @Argument(parsing: .allUnrecognized, help: "Config overrides: --key value.") var overrides: [String] = []

    /// The config: defaults, then the YAML file, then the common flags, then the other flags.
    ///
    /// - Throws: `ConfigError` naming the file and line, or the flag.
    func load<C: FieldConfig>(_ type: C.Type) throws -> C {
        var common: [String] = []
        if let outputDir { common += ["--output-dir", outputDir] }
        if let maxSteps { common += ["--max-steps", String(maxSteps)] }
        if let seed { common += ["--seed", String(seed)] }
        if let resumeFrom { common += ["--resume-from", resumeFrom] }
        return try C.load(path: config, overrides: common + overrides)
    }
}
