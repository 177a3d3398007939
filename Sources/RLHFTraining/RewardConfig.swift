// The reward-model trainer's settings, named as TRL's RewardConfig / transformers' TrainingArguments.

import Foundation
import RLHFModels
import RLHFOptim

/// Settings of `RewardTrainer` (YAML keys and flags as in TRL; defaults as TRL's where they suit a CPU).
public struct RewardConfig: TrainingRunConfig, Equatable {
    /// HF folder or GGUF file of the backbone.
    public var model = ""
    /// JSONL preference pairs to train on.
    public var trainFile = ""
    /// JSONL preference pairs for evaluation (nil: none).
    public var evalFile: String? = nil
    public var outputDir = "output/reward"
    /// Encoder head: "hf" (pooler + linear) or "cls" (linear on the raw [CLS] state).
    public var head = "hf"
    /// Longest encoding (special tokens included) of a chosen or rejected text.
    public var maxLength = 512
    /// Truncate longer pairs (keeping the start) instead of dropping them (TRL drops them).
    public var truncate = false
    public var skipBadLines = false
    public var perDeviceTrainBatchSize = 8
    public var perDeviceEvalBatchSize = 8
    public var gradientAccumulationSteps = 1
    public var learningRate = 1e-4
    public var weightDecay = 0.0
    public var adamBeta1 = 0.9
    public var adamBeta2 = 0.999
    public var adamEpsilon = 1e-8
    public var maxGradNorm = 1.0
    /// constant, constant_with_warmup, linear, cosine.
    public var lrSchedulerType = "linear"
    public var warmupSteps = 0
    public var warmupRatio = 0.0
    public var numTrainEpochs = 3.0
    /// > 0: train this many optimizer steps (overrides epochs).
    public var maxSteps = -1
    public var loggingSteps = 10
    /// Evaluate every N steps (0: only at the end).
    public var evalSteps = 0
    /// Checkpoint every N steps (0: only at the end).
    public var saveSteps = 500
    public var seed = 42
    /// Weight of mean((r_c + r_r)²) in the loss (nil: off; TRL recommends 0.01).
    public var centerRewardsCoefficient: Double? = nil
    /// Turn dropout off in the backbone (TRL's default).
    public var disableDropout = true
    /// Draw the terminal progress bar.
    public var progress = true
    /// Continue from this checkpoint folder.
    public var resumeFrom: String? = nil
    /// Non-finite steps in a row (each skipped) that stop the run.
    public var maxNonfiniteSteps = 3
    /// LoRA rank on the backbone (0: train every weight); the head always trains.
    public var loraR = 0
    public var loraAlpha = 16.0
    public var loraDropout = 0.0
    /// Comma-separated module names to adapt (BERT: query, key, value, dense; Llama: q_proj, …; GPT-2:
    /// c_attn, c_proj, c_fc), or "all" for every projection of the architecture.
    public var loraTargets = "query,value"

    public init() {}

    public static let requiredKeys = ["model", "train_file"]

    public static let fields: [ConfigField<RewardConfig>] = [
        .string("model", \.model, "backbone: HF folder (BERT/MiniLM, Llama, GPT-2) or Llama GGUF file"),
        .string("train_file", \.trainFile, "JSONL preference pairs (prompt/chosen/rejected, chosen/rejected, messages, text_a/text_b/label)"),
        .optionalString("eval_file", \.evalFile, "JSONL pairs for evaluation"),
        .choice("head", \.head, ["hf", "cls"], "encoder head: pooler + linear (hf) or linear on raw [CLS] (cls)"),
        .int("max_length", \.maxLength, "longest chosen/rejected encoding in tokens"),
        .bool("truncate", \.truncate, "truncate longer pairs instead of dropping them"),
        .optionalDouble("center_rewards_coefficient", \.centerRewardsCoefficient, "weight of mean((r_c + r_r)^2) (TRL suggests 0.01)"),
        .bool("disable_dropout", \.disableDropout, "turn dropout off (the backbones here have none to turn on)"),
        .int("lora_r", \.loraR, "LoRA rank on the backbone (0: full fine-tuning; the head always trains)"),
        .double("lora_alpha", \.loraAlpha, "LoRA alpha (the update is scaled by alpha / r)"),
        .double("lora_dropout", \.loraDropout, "dropout on the adapters' input"),
        .string("lora_targets", \.loraTargets, "modules to adapt, comma-separated (query,value or q_proj,v_proj) or all"),
    ] + runFields

    public func validate() -> (key: String, reason: String)? {
        if let problem = validateRun() { return problem }
        if maxLength < 2 { return ("max_length", "must be at least 2, is \(maxLength)") }
        if !disableDropout { return ("disable_dropout", "the supported backbones have no dropout layers to enable; leave it true") }
        if loraR < 0 { return ("lora_r", "must not be negative") }
        if !(loraAlpha > 0 && loraAlpha.isFinite) { return ("lora_alpha", "must be a finite number > 0") }
        if !(0..<1).contains(loraDropout) { return ("lora_dropout", "must be in [0, 1)") }
        if loraR > 0 && loraTargets != "all" && LoRASettings.targetList(loraTargets).isEmpty { return ("lora_targets", "names no module") }
        return nil
    }

}
