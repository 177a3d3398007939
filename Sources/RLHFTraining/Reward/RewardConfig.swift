// The reward-model trainer's settings, named as TRL's RewardConfig / transformers' TrainingArguments.

import Foundation
import RLHFModels
import RLHFOptim

/// Settings of `RewardTrainer` (YAML keys and flags as in TRL; defaults as TRL's where they suit a CPU).
public struct RewardConfig: LoRATrainingConfig, Equatable {
    /// HF folder or GGUF file of the backbone.
    public var model = ""
    /// JSONL preference pairs to train on.
    public var trainFile = ""
    /// JSONL preference pairs for evaluation (nil: none).
    public var evalFile: String? = nil
    /// Encoder head: pooler + linear (`hf`) or linear on the raw [CLS] state (`cls`).
    public var head = RewardHeadKind.hf
    /// Longest encoding (special tokens included) of a chosen or rejected text.
    public var maxLength = 512
    /// Truncate longer pairs (keeping the start) instead of dropping them (TRL drops them).
    public var truncate = false
    /// Weight of mean((r_c + r_r)²) in the loss (nil: off; TRL recommends 0.01).
    public var centerRewardsCoefficient: Double? = nil
    /// Turn dropout off in the backbone (TRL's default).
    public var disableDropout = true
    /// LoRA on the backbone (rank 0: train every weight); the head always trains in full.
    public var lora = LoRAOptions(dropout: 0, targets: "query,value")
    /// The shared run settings (`learning_rate` 1e-4, `output_dir` output/reward).
    public var run = RunSettings(outputDir: "output/reward", learningRate: 1e-4)

    /// The defaults.
    public init() {}

    /// Every field, in help order: the reward trainer's own, LoRA's, then the shared run settings.
    public static let fields: [ConfigField<RewardConfig>] =
        sourceFields(
            model: "backbone: HF folder (BERT/MiniLM, Llama, GPT-2) or Llama GGUF file",
            train: "JSONL preference pairs (prompt/chosen/rejected, chosen/rejected, messages, text_a/text_b/label)",
            eval: "JSONL pairs for evaluation") + [
            .choice("head", \.head, "encoder head: pooler + linear (hf) or linear on raw [CLS] (cls)"),
            .int("max_length", \.maxLength, "longest chosen/rejected encoding in tokens"),
            .bool("truncate", \.truncate, "truncate longer pairs instead of dropping them"),
            .optionalDouble("center_rewards_coefficient", \.centerRewardsCoefficient, "weight of mean((r_c + r_r)^2) (TRL suggests 0.01)"),
            .bool("disable_dropout", \.disableDropout, "turn dropout off (the backbones here have none to turn on)")
        ]
        + loraFields(
            rank: "LoRA rank on the backbone (0: full fine-tuning; the head always trains)",
            targets: "modules to adapt, comma-separated (query,value or q_proj,v_proj) or all") + runFields

    /// The reward trainer's own checks.
    public func validateOwn() -> (key: String, reason: String)? {
        if maxLength < 2 { return ("max_length", "must be at least 2, is \(maxLength)") }
        if !disableDropout { return ("disable_dropout", "the supported backbones have no dropout layers to enable; leave it true") }
        return lora.validate()
    }
}
