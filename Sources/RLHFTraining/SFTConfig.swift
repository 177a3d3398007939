// The SFT trainer's settings, named as TRL's SFTConfig / transformers' TrainingArguments, plus LoRA's.

import Foundation
import RLHFModels
import RLHFOptim

/// Settings of `SFTTrainer` (YAML keys and flags as in TRL; defaults as TRL's where they suit a CPU).
public struct SFTConfig: TrainingRunConfig, Equatable {
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
    /// Non-finite steps in a row (each skipped) that stop the run.
    public var maxNonfiniteSteps = 3

    public init() {}

    public static let requiredKeys = ["model", "train_file"]

    public static let fields: [ConfigField<SFTConfig>] = [
        .string("model", \.model, "decoder: HF folder (Llama, GPT-2) or Llama GGUF file"),
        .string("train_file", \.trainFile, "JSONL examples (text, messages, or prompt/completion as strings or messages)"),
        .optionalString("eval_file", \.evalFile, "JSONL examples for the evaluation loss"),
        .int("max_length", \.maxLength, "longest example in tokens (longer ones keep their start)"),
        .bool("packing", \.packing, "pack examples end to end into rows of max_length"),
        .bool("completion_only_loss", \.completionOnlyLoss, "prompt-completion data: loss on the completion only"),
        .bool("assistant_only_loss", \.assistantOnlyLoss, "messages data: loss on assistant turns only"),
        .int("lora_r", \.loraR, "LoRA rank (0: full fine-tuning)"),
        .double("lora_alpha", \.loraAlpha, "LoRA alpha (the update is scaled by alpha / r)"),
        .double("lora_dropout", \.loraDropout, "dropout on the adapters' input"),
        .string("lora_targets", \.loraTargets, "modules to adapt, comma-separated (q_proj,v_proj) or all (every projection of the architecture)"),
    ] + runFields

    public func validate() -> (key: String, reason: String)? {
        if let problem = validateRun() { return problem }
        if maxLength < 2 { return ("max_length", "must be at least 2, is \(maxLength)") }
        if loraR < 0 { return ("lora_r", "must not be negative") }
        if !(loraAlpha > 0 && loraAlpha.isFinite) { return ("lora_alpha", "must be a finite number > 0") }
        if !(0..<1).contains(loraDropout) { return ("lora_dropout", "must be in [0, 1)") }
        if loraR > 0 && loraTargets != "all" && LoRASettings.targetList(loraTargets).isEmpty { return ("lora_targets", "names no module") }
        return nil
    }

    /// The target names for a model (`all`: every projection of its architecture, e.g. Llama's seven,
    /// GPT-2's c_attn, c_proj, c_fc).
    public func loraTargetList(for architecture: Architecture) -> [String] {
        LoRASettings.targets(loraTargets, for: architecture)
    }

}
