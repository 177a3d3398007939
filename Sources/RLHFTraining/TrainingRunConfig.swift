// The settings every trainer shares, named as transformers' TrainingArguments: batches, AdamW, the
// learning-rate schedule, logging/evaluation/checkpoint cadence, seed and resume. Each trainer's config
// adds its own fields (model, data, loss options) in front of these.

import RLHFNN
import RLHFOptim

/// A trainer config with the shared run settings.
public protocol TrainingRunConfig: FieldConfig {
    var outputDir: String { get set }
    var skipBadLines: Bool { get set }
    var perDeviceTrainBatchSize: Int { get set }
    var perDeviceEvalBatchSize: Int { get set }
    var gradientAccumulationSteps: Int { get set }
    var learningRate: Double { get set }
    var weightDecay: Double { get set }
    var adamBeta1: Double { get set }
    var adamBeta2: Double { get set }
    var adamEpsilon: Double { get set }
    var maxGradNorm: Double { get set }
    var lrSchedulerType: String { get set }
    var warmupSteps: Int { get set }
    var warmupRatio: Double { get set }
    var numTrainEpochs: Double { get set }
    var maxSteps: Int { get set }
    var loggingSteps: Int { get set }
    var evalSteps: Int { get set }
    var saveSteps: Int { get set }
    var seed: Int { get set }
    var progress: Bool { get set }
    var resumeFrom: String? { get set }
    /// Non-finite steps in a row (loss or gradient norm NaN or ±∞, each skipped) that stop the run.
    var maxNonfiniteSteps: Int { get set }
}

/// Upper bounds of the shared settings: far beyond any real run, low enough that step counts, batch
/// buffers and loops stay within memory and time (a typo such as `1e300` epochs is an error, not a hang).
public enum RunLimits {
    public static let batchSize = 65_536
    public static let accumulationSteps = 65_536
    public static let epochs = 100_000.0
    public static let steps = 1_000_000_000
}

extension TrainingRunConfig {
    /// The shared fields, in help order.
    public static var runFields: [ConfigField<Self>] {
        [
            .string("output_dir", \.outputDir, "where checkpoints, metrics.jsonl and TensorBoard runs go"),
            .bool("skip_bad_lines", \.skipBadLines, "report and skip malformed data lines instead of stopping"),
            .int("per_device_train_batch_size", \.perDeviceTrainBatchSize, "examples (pairs) per micro-batch"),
            .int("per_device_eval_batch_size", \.perDeviceEvalBatchSize, "examples (pairs) per evaluation batch"),
            .int("gradient_accumulation_steps", \.gradientAccumulationSteps, "micro-batches per optimizer step"),
            .double("learning_rate", \.learningRate, "AdamW learning rate"),
            .double("weight_decay", \.weightDecay, "AdamW decoupled weight decay"),
            .double("adam_beta1", \.adamBeta1, "AdamW β1"),
            .double("adam_beta2", \.adamBeta2, "AdamW β2"),
            .double("adam_epsilon", \.adamEpsilon, "AdamW ε"),
            .double("max_grad_norm", \.maxGradNorm, "global gradient-norm clip (0: no clipping)"),
            .choice("lr_scheduler_type", \.lrSchedulerType, ["constant", "constant_with_warmup", "linear", "cosine"], "learning-rate schedule"),
            .int("warmup_steps", \.warmupSteps, "linear warm-up steps (overrides warmup_ratio)"),
            .double("warmup_ratio", \.warmupRatio, "warm-up as a fraction of the total steps"),
            .double("num_train_epochs", \.numTrainEpochs, "passes over the training data"),
            .int("max_steps", \.maxSteps, "optimizer steps to train (> 0 overrides num_train_epochs)"),
            .int("logging_steps", \.loggingSteps, "log metrics every N steps"),
            .int("eval_steps", \.evalSteps, "evaluate every N steps (0: at the end only)"),
            .int("save_steps", \.saveSteps, "checkpoint every N steps (0: at the end only)"),
            .int("seed", \.seed, "seed of new weights (heads, adapters) and of the data order"),
            .bool("progress", \.progress, "draw a progress bar"),
            .optionalString("resume_from", \.resumeFrom, "checkpoint folder to continue from"),
            .int("max_nonfinite_steps", \.maxNonfiniteSteps, "non-finite steps in a row (each skipped) that stop the run"),
        ]
    }

    /// The first problem among the shared settings, as (key, reason).
    public func validateRun() -> (key: String, reason: String)? {
        if !(1...RunLimits.batchSize).contains(perDeviceTrainBatchSize) { return ("per_device_train_batch_size", "must be in 1...\(RunLimits.batchSize)") }
        if !(1...RunLimits.batchSize).contains(perDeviceEvalBatchSize) { return ("per_device_eval_batch_size", "must be in 1...\(RunLimits.batchSize)") }
        if !(1...RunLimits.accumulationSteps).contains(gradientAccumulationSteps) {
            return ("gradient_accumulation_steps", "must be in 1...\(RunLimits.accumulationSteps)")
        }
        if !(learningRate >= 0 && learningRate.isFinite) { return ("learning_rate", "must be a finite number ≥ 0") }
        if !(weightDecay >= 0 && weightDecay.isFinite) { return ("weight_decay", "must be a finite number ≥ 0") }
        if !(0..<1).contains(adamBeta1) { return ("adam_beta1", "must be in [0, 1)") }
        if !(0..<1).contains(adamBeta2) { return ("adam_beta2", "must be in [0, 1)") }
        if !(adamEpsilon > 0 && adamEpsilon.isFinite) { return ("adam_epsilon", "must be a finite number > 0") }
        if !(maxGradNorm >= 0 && maxGradNorm.isFinite) { return ("max_grad_norm", "must be a finite number ≥ 0 (0: no clipping)") }
        if !(0...RunLimits.steps).contains(warmupSteps) { return ("warmup_steps", "must be in 0...\(RunLimits.steps)") }
        if !(0...1).contains(warmupRatio) { return ("warmup_ratio", "must be in [0, 1]") }
        if maxSteps <= 0 && !(numTrainEpochs > 0) { return ("num_train_epochs", "must be positive when max_steps is not set") }
        if !(numTrainEpochs <= RunLimits.epochs) { return ("num_train_epochs", "must be at most \(Int(RunLimits.epochs))") }
        if maxSteps > RunLimits.steps { return ("max_steps", "must be at most \(RunLimits.steps)") }
        if loggingSteps < 1 { return ("logging_steps", "must be at least 1") }
        if evalSteps < 0 { return ("eval_steps", "must not be negative") }
        if saveSteps < 0 { return ("save_steps", "must not be negative") }
        if maxNonfiniteSteps < 1 { return ("max_nonfinite_steps", "must be at least 1") }
        return nil
    }

    /// Examples one optimizer step consumes (on this process).
    public var stepBatchSize: Int { perDeviceTrainBatchSize * gradientAccumulationSteps }

    /// Micro-batches per epoch for `count` examples.
    public func batchesPerEpoch(count: Int) -> Int {
        (count + perDeviceTrainBatchSize - 1) / perDeviceTrainBatchSize
    }

    /// Optimizer steps of the run: `max_steps` when set, else ⌈epochs · steps per epoch⌉.
    public func totalSteps(batchesPerEpoch: Int) -> Int {
        let perEpoch = (batchesPerEpoch + gradientAccumulationSteps - 1) / gradientAccumulationSteps
        return maxSteps > 0 ? maxSteps : max(1, Int((numTrainEpochs * Double(perEpoch)).rounded(.up)))
    }

    /// The schedule for `totalSteps` optimizer steps.
    public func schedule(totalSteps: Int) -> LRSchedule {
        learningRateSchedule(type: lrSchedulerType, warmupSteps: warmupSteps, warmupRatio: warmupRatio, totalSteps: totalSteps)
    }

    /// AdamW over `parameters` with the configured hyper-parameters.
    public func makeOptimizer(_ parameters: [Parameter]) -> Adam {
        AdamW(parameters: parameters, learningRate: learningRate, betas: (adamBeta1, adamBeta2), eps: adamEpsilon, weightDecay: weightDecay)
    }
}
