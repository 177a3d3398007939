// The settings every trainer shares, named as transformers' TrainingArguments: batches, AdamW, the
// learning-rate schedule, logging/evaluation/checkpoint cadence, seed and resume. They live once, in
// `RunSettings`; a trainer's config holds one (`run`) beside its own fields, and reads them as its own
// (`config.learningRate`) through dynamic member lookup. Each trainer's defaults differ only in the values
// it passes to `RunSettings.init`.

import RLHFNN
import RLHFOptim

/// transformers' `lr_scheduler_type` values that we implement.
public enum LRSchedulerType: String, CaseIterable, Codable, Sendable {
    /// Always the base rate.
    case constant
    /// Linear warm-up, then the base rate.
    case constantWithWarmup = "constant_with_warmup"
    /// Warm-up, then linear decay to 0 at the last step.
    case linear
    /// Warm-up, then half a cosine down to 0 at the last step.
    case cosine

    /// The schedule for `totalSteps` optimizer steps: `warmupSteps` when positive, else
    /// ⌈warmupRatio · totalSteps⌉ of linear warm-up, then this decay.
    public func schedule(warmupSteps: Int, warmupRatio: Double, totalSteps: Int) -> LRSchedule {
        let warm = warmupSteps > 0 ? warmupSteps : Int((warmupRatio * Double(totalSteps)).rounded(.up))
        switch self {
        case .constant: return .constant
        case .constantWithWarmup: return .constantWithWarmup(warmupSteps: warm)
        case .linear: return .linear(warmupSteps: warm, totalSteps: totalSteps)
        case .cosine: return .cosine(warmupSteps: warm, totalSteps: totalSteps)
        }
    }
}

/// Upper bounds of the shared settings: far beyond any real run, low enough that step counts, batch
/// buffers and loops stay within memory and time (a typo such as `1e300` epochs is an error, not a hang).
public enum RunLimits {
    /// Largest micro-batch (examples, pairs or prompts).
    public static let batchSize = 65_536
    /// Largest number of micro-batches per optimizer step.
    public static let accumulationSteps = 65_536
    /// Most passes over the training data.
    public static let epochs = 100_000.0
    /// Most optimizer steps.
    public static let steps = 1_000_000_000
}

/// The settings of a training run that every trainer shares (TrainingArguments' names).
public struct RunSettings: Equatable, Sendable {
    /// Where checkpoints, metrics.jsonl and TensorBoard runs go.
    public var outputDir: String
    /// Report and skip malformed data lines instead of stopping.
    public var skipBadLines = false
    /// Examples (pairs, prompts) per micro-batch.
    public var perDeviceTrainBatchSize = 8
    /// Examples per evaluation batch.
    public var perDeviceEvalBatchSize: Int
    /// Micro-batches per optimizer step.
    public var gradientAccumulationSteps = 1
    /// AdamW's base learning rate (the schedule multiplies it).
    public var learningRate: Double
    /// AdamW's decoupled weight decay.
    public var weightDecay = 0.0
    /// AdamW β1.
    public var adamBeta1 = 0.9
    /// AdamW β2.
    public var adamBeta2 = 0.999
    /// AdamW ε.
    public var adamEpsilon = 1e-8
    /// Global gradient-norm clip (0: none).
    public var maxGradNorm = 1.0
    /// The learning-rate schedule.
    public var lrSchedulerType = LRSchedulerType.linear
    /// Linear warm-up steps (> 0 overrides `warmupRatio`).
    public var warmupSteps = 0
    /// Warm-up as a fraction of the run's steps.
    public var warmupRatio = 0.0
    /// Passes over the training data (when `maxSteps` is not set).
    public var numTrainEpochs: Double
    /// > 0: optimizer steps to train (overrides `numTrainEpochs`).
    public var maxSteps = -1
    /// Log the metrics (averaged over the interval) every N steps.
    public var loggingSteps: Int
    /// Evaluate every N steps (0: at the end only).
    public var evalSteps = 0
    /// Checkpoint every N steps (0: at the end only).
    public var saveSteps: Int
    /// Seed of new weights (heads, adapters), of the data order and of sampling.
    public var seed = 42
    /// Draw a progress bar on standard error.
    public var progress = true
    /// The checkpoint folder to continue from.
    public var resumeFrom: String? = nil
    /// Non-finite steps in a row (loss or gradient norm NaN or ±∞, each skipped) that stop the run.
    public var maxNonfiniteSteps = 3
    /// Under `mpirun`: after every step, check that every rank holds bit-identical trained weights (a hash
    /// gathered from each), and stop with an error when they differ.
    public var checkRanksAgree = false

    /// The shared settings with a trainer's own defaults for the values that differ between trainers.
    public init(
        outputDir: String, learningRate: Double, perDeviceEvalBatchSize: Int = 8, numTrainEpochs: Double = 3,
        loggingSteps: Int = 10, saveSteps: Int = 500
    ) {
        self.outputDir = outputDir
        self.learningRate = learningRate
        self.perDeviceEvalBatchSize = perDeviceEvalBatchSize
        self.numTrainEpochs = numTrainEpochs
        self.loggingSteps = loggingSteps
        self.saveSteps = saveSteps
    }

    /// The first problem among the settings, as (key, reason).
    public func validate() -> (key: String, reason: String)? {
        if !(1...RunLimits.batchSize).contains(perDeviceTrainBatchSize) {
            return ("per_device_train_batch_size", "must be in 1...\(RunLimits.batchSize)")
        }
        if !(1...RunLimits.batchSize).contains(perDeviceEvalBatchSize) {
            return ("per_device_eval_batch_size", "must be in 1...\(RunLimits.batchSize)")
        }
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
        lrSchedulerType.schedule(warmupSteps: warmupSteps, warmupRatio: warmupRatio, totalSteps: totalSteps)
    }

    /// AdamW over `parameters` with the configured hyper-parameters.
    public func makeOptimizer(_ parameters: [Parameter]) -> Adam {
        AdamW(parameters: parameters, learningRate: learningRate, betas: (adamBeta1, adamBeta2), eps: adamEpsilon, weightDecay: weightDecay)
    }
}

/// A trainer config: the model and data it trains on, its own fields, and the shared `RunSettings`, read
/// and written as if they were its own (`config.learningRate` is `config.run.learningRate`).
@dynamicMemberLookup
public protocol TrainingRunConfig: FieldConfig {
    /// The model to train (an HF folder or a GGUF file).
    var model: String { get set }
    /// JSONL training data.
    var trainFile: String { get set }
    /// JSONL held-out data (nil: none).
    var evalFile: String? { get set }
    /// The shared settings.
    var run: RunSettings { get set }
    /// The trainer's own checks (the shared settings are checked before them).
    func validateOwn() -> (key: String, reason: String)?
}

extension TrainingRunConfig {
    /// A shared setting, as if it were the config's own field.
    public subscript<T>(dynamicMember path: WritableKeyPath<RunSettings, T>) -> T {
        get { run[keyPath: path] }
        set { run[keyPath: path] = newValue }
    }

    /// A derived shared figure (`config.stepBatchSize`).
    public subscript<T>(dynamicMember path: KeyPath<RunSettings, T>) -> T {
        run[keyPath: path]
    }

    /// `model` and `train_file` (a trainer that needs more lists its own).
    public static var requiredKeys: [String] { ["model", "train_file"] }

    /// The fields of `model`, `train_file` and `eval_file`, with the trainer's help lines.
    public static func sourceFields(model: String, train: String, eval: String) -> [ConfigField<Self>] {
        [.string("model", \.model, model), .string("train_file", \.trainFile, train), .optionalString("eval_file", \.evalFile, eval)]
    }

    /// The shared settings, then the trainer's own.
    public func validate() -> (key: String, reason: String)? {
        run.validate() ?? validateOwn()
    }

    /// The shared fields, in help order.
    public static var runFields: [ConfigField<Self>] {
        [
            .string("output_dir", \.run.outputDir, "where checkpoints, metrics.jsonl and TensorBoard runs go"),
            .bool("skip_bad_lines", \.run.skipBadLines, "report and skip malformed data lines instead of stopping"),
            .int("per_device_train_batch_size", \.run.perDeviceTrainBatchSize, "examples (pairs) per micro-batch"),
            .int("per_device_eval_batch_size", \.run.perDeviceEvalBatchSize, "examples (pairs) per evaluation batch"),
            .int("gradient_accumulation_steps", \.run.gradientAccumulationSteps, "micro-batches per optimizer step"),
            .double("learning_rate", \.run.learningRate, "AdamW learning rate"),
            .double("weight_decay", \.run.weightDecay, "AdamW decoupled weight decay"),
            .double("adam_beta1", \.run.adamBeta1, "AdamW β1"),
            .double("adam_beta2", \.run.adamBeta2, "AdamW β2"),
            .double("adam_epsilon", \.run.adamEpsilon, "AdamW ε"),
            .double("max_grad_norm", \.run.maxGradNorm, "global gradient-norm clip (0: no clipping)"),
            .choice("lr_scheduler_type", \.run.lrSchedulerType, "learning-rate schedule"),
            .int("warmup_steps", \.run.warmupSteps, "linear warm-up steps (overrides warmup_ratio)"),
            .double("warmup_ratio", \.run.warmupRatio, "warm-up as a fraction of the total steps"),
            .double("num_train_epochs", \.run.numTrainEpochs, "passes over the training data"),
            .int("max_steps", \.run.maxSteps, "optimizer steps to train (> 0 overrides num_train_epochs)"),
            .int("logging_steps", \.run.loggingSteps, "log metrics every N steps"),
            .int("eval_steps", \.run.evalSteps, "evaluate every N steps (0: at the end only)"),
            .int("save_steps", \.run.saveSteps, "checkpoint every N steps (0: at the end only)"),
            .int("seed", \.run.seed, "seed of new weights (heads, adapters) and of the data order"),
            .bool("progress", \.run.progress, "draw a progress bar"),
            .optionalString("resume_from", \.run.resumeFrom, "checkpoint folder to continue from"),
            .int("max_nonfinite_steps", \.run.maxNonfiniteSteps, "non-finite steps in a row (each skipped) that stop the run"),
            .bool("check_ranks_agree", \.run.checkRanksAgree, "under mpirun: check after every step that the ranks' weights are bit-identical")
        ]
    }
}
