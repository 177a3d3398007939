// The SFT trainer's settings, named as TRL's SFTConfig / transformers' TrainingArguments, plus LoRA's.

import Foundation
import RLHFModels
import RLHFOptim

/// Settings of `SFTTrainer` (YAML keys and flags as in TRL; defaults as TRL's where they suit a CPU).
public struct SFTConfig: LoRATrainingConfig, Equatable {
    /// HF folder or GGUF file of the decoder.
    public var model = ""
    /// JSONL examples to train on.
    public var trainFile = ""
    /// JSONL examples for the evaluation loss (nil: none).
    public var evalFile: String? = nil
    /// Longest example in tokens (longer ones keep their start).
    public var maxLength = 512
    /// Pack examples end to end into rows of `max_length`.
    public var packing = false
    /// Prompt-completion data: loss on the completion only.
    public var completionOnlyLoss = true
    /// `messages` data: loss on assistant turns only.
    public var assistantOnlyLoss = false
    /// LoRA adapters (rank 0: full fine-tuning).
    public var lora = LoRAOptions(dropout: 0.05, targets: "all")
    /// The shared run settings (`learning_rate` 2e-5, `output_dir` output/sft).
    public var run = RunSettings(outputDir: "output/sft", learningRate: 2e-5)

    /// The defaults.
    public init() {}

    /// Every field, in help order: SFT's own, LoRA's, then the shared run settings.
    public static let fields: [ConfigField<SFTConfig>] =
        sourceFields(
            model: "decoder: HF folder (Llama, GPT-2) or Llama GGUF file",
            train: "JSONL examples (text, messages, or prompt/completion as strings or messages)",
            eval: "JSONL examples for the evaluation loss") + [
            .int("max_length", \.maxLength, "longest example in tokens (longer ones keep their start)"),
            .bool("packing", \.packing, "pack examples end to end into rows of max_length"),
            .bool("completion_only_loss", \.completionOnlyLoss, "prompt-completion data: loss on the completion only"),
            .bool("assistant_only_loss", \.assistantOnlyLoss, "messages data: loss on assistant turns only")
        ]
        + loraFields(
            rank: "LoRA rank (0: full fine-tuning)",
            targets: "modules to adapt, comma-separated (q_proj,v_proj) or all (every projection of the architecture)") + runFields

    /// The SFT trainer's own checks.
    public func validateOwn() -> (key: String, reason: String)? {
        if maxLength < 2 { return ("max_length", "must be at least 2, is \(maxLength)") }
        return lora.validate()
    }
}
