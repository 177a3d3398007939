// The SFT trainer's settings, named as TRL's SFTConfig / transformers' TrainingArguments, plus LoRA's.

import Foundation
import RLHFModels
import RLHFOptim

/// Settings of `SFTTrainer` (YAML keys and flags as in TRL; defaults as TRL's where they suit a CPU).
public struct SFTConfig: FieldConfig, Equatable {
    /// HF folder or GGUF file of the decoder.
    public var model = ""
    public var trainFile = ""
    public var evalFile: String? = nil
    public var outputDir = "output/sft"
    /// Longest example in tokens (longer ones keep their start).
    public var maxLength = 512
    /// Pack examples end to end into rows of `max_length`.
    public var packing = false
    /// Prompt-completion data: loss on the completion only.
    public var completionOnlyLoss = true
    /// `messages` data: loss on assistant turns only.
    public var assistantOnlyLoss = false
    public var skipBadLines = false
    public var perDeviceTrainBatchSize = 8
    public var perDeviceEvalBatchSize = 8
    public var gradientAccumulationSteps = 1
    public var learningRate = 2e-5
    public var weightDecay = 0.0
    public var adamBeta1 = 0.9
    public var adamBeta2 = 0.999
    public var adamEpsilon = 1e-8
    public var maxGradNorm = 1.0
    public var lrSchedulerType = "linear"
    public var warmupSteps = 0
    public var warmupRatio = 0.0
    public var numTrainEpochs = 3.0
    public var maxSteps = -1
    public var loggingSteps = 10
    public var evalSteps = 0
    public var saveSteps = 500
    public var seed = 42
    /// LoRA rank (0: full fine-tuning).
    public var loraR = 0
    public var loraAlpha = 16.0
    public var loraDropout = 0.05
    /// Comma-separated module names, or "all" for every projection of the architecture.
    public var loraTargets = "all"
    public var progress = true
    public var resumeFrom: String? = nil

    public init() {}

    public static let requiredKeys = ["model", "train_file"]

    public static let fields: [ConfigField<SFTConfig>] = [
        .string("model", \.model, "decoder: HF folder (Llama, GPT-2) or Llama GGUF file"),
        .string("train_file", \.trainFile, "JSONL examples (text, messages, or prompt/completion as strings or messages)"),
        .optionalString("eval_file", \.evalFile, "JSONL examples for the evaluation loss"),
        .string("output_dir", \.outputDir, "where checkpoints, metrics.jsonl and TensorBoard runs go"),
        .int("max_length", \.maxLength, "longest example in tokens (longer ones keep their start)"),
        .bool("packing", \.packing, "pack examples end to end into rows of max_length"),
        .bool("completion_only_loss", \.completionOnlyLoss, "prompt-completion data: loss on the completion only"),
        .bool("assistant_only_loss", \.assistantOnlyLoss, "messages data: loss on assistant turns only"),
        .bool("skip_bad_lines", \.skipBadLines, "report and skip malformed data lines instead of stopping"),
        .int("per_device_train_batch_size", \.perDeviceTrainBatchSize, "examples per micro-batch"),
        .int("per_device_eval_batch_size", \.perDeviceEvalBatchSize, "examples per evaluation batch"),
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
        .double("num_train_epochs", \.numTrainEpochs, "passes over the training examples"),
        .int("max_steps", \.maxSteps, "optimizer steps to train (> 0 overrides num_train_epochs)"),
        .int("logging_steps", \.loggingSteps, "log metrics every N steps"),
        .int("eval_steps", \.evalSteps, "evaluate every N steps (0: at the end only)"),
        .int("save_steps", \.saveSteps, "checkpoint every N steps (0: at the end only)"),
        .int("seed", \.seed, "seed of the adapters' initialisation and the data order"),
        .int("lora_r", \.loraR, "LoRA rank (0: full fine-tuning)"),
        .double("lora_alpha", \.loraAlpha, "LoRA alpha (the update is scaled by alpha / r)"),
        .double("lora_dropout", \.loraDropout, "dropout on the adapters' input"),
        .string("lora_targets", \.loraTargets, "modules to adapt, comma-separated (q_proj,v_proj) or all"),
        .bool("progress", \.progress, "draw a progress bar"),
        .optionalString("resume_from", \.resumeFrom, "checkpoint folder to continue from"),
    ]

    public func validate() -> (key: String, reason: String)? {
        if maxLength < 2 { return ("max_length", "must be at least 2, is \(maxLength)") }
        if perDeviceTrainBatchSize < 1 { return ("per_device_train_batch_size", "must be at least 1") }
        if perDeviceEvalBatchSize < 1 { return ("per_device_eval_batch_size", "must be at least 1") }
        if gradientAccumulationSteps < 1 { return ("gradient_accumulation_steps", "must be at least 1") }
        if learningRate < 0 { return ("learning_rate", "must not be negative") }
        if !(0..<1).contains(adamBeta1) { return ("adam_beta1", "must be in [0, 1)") }
        if !(0..<1).contains(adamBeta2) { return ("adam_beta2", "must be in [0, 1)") }
        if adamEpsilon <= 0 { return ("adam_epsilon", "must be positive") }
        if maxGradNorm < 0 { return ("max_grad_norm", "must not be negative") }
        if warmupSteps < 0 { return ("warmup_steps", "must not be negative") }
        if !(0...1).contains(warmupRatio) { return ("warmup_ratio", "must be in [0, 1]") }
        if maxSteps <= 0 && numTrainEpochs <= 0 { return ("num_train_epochs", "must be positive when max_steps is not set") }
        if loggingSteps < 1 { return ("logging_steps", "must be at least 1") }
        if evalSteps < 0 { return ("eval_steps", "must not be negative") }
        if saveSteps < 0 { return ("save_steps", "must not be negative") }
        if loraR < 0 { return ("lora_r", "must not be negative") }
        if !(0..<1).contains(loraDropout) { return ("lora_dropout", "must be in [0, 1)") }
        if loraR > 0 && loraTargetList.isEmpty { return ("lora_targets", "names no module") }
        return nil
    }

    /// The target names (`all`: Llama's seven projections).
    public var loraTargetList: [String] {
        if loraTargets == "all" { return LoRASettings.llamaProjections }
        return loraTargets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The schedule for `totalSteps` optimizer steps.
    public func schedule(totalSteps: Int) -> LRSchedule {
        learningRateSchedule(type: lrSchedulerType, warmupSteps: warmupSteps, warmupRatio: warmupRatio, totalSteps: totalSteps)
    }
}
