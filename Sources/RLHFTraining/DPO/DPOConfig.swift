// The DPO trainer's settings, named as TRL's DPOConfig / transformers' TrainingArguments, plus LoRA's.

import Foundation
import RLHFData
import RLHFModels
import RLHFOptim

/// The losses `rlhf dpo` trains with: TRL's DPO `loss_type` values, and ORPO (TRL's ORPOTrainer on the same data,
/// without a reference model).
public enum PreferenceLossType: String, CaseIterable, Codable, Sendable {
    /// DPO's loss.
    case sigmoid
    /// Robust DPO (with `label_smoothing`).
    case robust
    /// RSO / SLiC's hinge.
    case hinge
    /// IPO (per-token means).
    case ipo
    /// ORPO: the chosen NLL plus the odds-ratio term (per-token means), `beta` as λ; no reference.
    case orpo

    /// The DPO-family loss (nil for ORPO).
    public var dpo: DPOLossType? { DPOLossType(rawValue: rawValue) }
    /// Whether the loss compares with a reference model.
    public var needsReference: Bool { self != .orpo }
}

/// Settings of `DPOTrainer` (YAML keys and flags as in TRL; defaults as TRL's where they suit a CPU).
public struct DPOConfig: LoRATrainingConfig, Equatable {
    /// HF folder or GGUF file of the decoder (the policy's start and the reference).
    public var model = ""
    /// JSONL preference pairs to train on.
    public var trainFile = ""
    /// JSONL preference pairs for evaluation (nil: none).
    public var evalFile: String? = nil
    /// β: the strength of the implicit KL constraint to the reference (TRL's default 0.1).
    public var beta = 0.1
    /// The preference loss (TRL's `loss_type`, or ORPO).
    public var lossType = PreferenceLossType.sigmoid
    /// ε of the `robust` loss: the assumed rate of flipped labels, in [0, 1/2).
    public var labelSmoothing = 0.0
    /// Weight of the NLL on the chosen completions added to the loss (RPO; TRL 1.16 spells it
    /// `loss_type: [sigmoid, sft]` with `loss_weights: [1, α]`); nil: none.
    public var rpoAlpha: Double? = nil
    /// Longest prompt + completion row in tokens (TRL's default 1024).
    public var maxLength = 1024
    /// Longest prompt in tokens, keeping its end (nil: no limit; TRL ≤ 0.19's option).
    public var maxPromptLength: Int? = nil
    /// How rows longer than `max_length` are cut.
    public var truncationMode = TruncationMode.keepStart
    /// Compute the reference's log-probs of every pair once before training (saved with the checkpoints),
    /// so no reference forward runs during training and a full fine-tune need not keep a second model.
    public var precomputeRefLogProbs = false
    /// Turn dropout off, the adapters' included (TRL's default).
    public var disableDropout = true
    /// LoRA adapters (rank 0: full fine-tuning with a frozen copy as the reference; else the reference is
    /// the model with its adapters off).
    public var lora = LoRAOptions(dropout: 0, targets: "all")
    /// The shared run settings (`learning_rate` 1e-6 as TRL's, `output_dir` output/dpo).
    public var run = RunSettings(outputDir: "output/dpo", learningRate: 1e-6)

    /// The defaults.
    public init() {}

    /// Every field, in help order: DPO's own, LoRA's, then the shared run settings.
    public static let fields: [ConfigField<DPOConfig>] =
        sourceFields(
            model: "decoder: HF folder (Llama, GPT-2) or Llama GGUF file; the policy starts from it and it is the reference",
            train: "JSONL preference pairs (prompt/chosen/rejected or chosen/rejected; text or messages)",
            eval: "JSONL preference pairs for evaluation") + [
            .double("beta", \.beta, "β, the strength of the implicit KL constraint to the reference"),
            .choice("loss_type", \.lossType, "preference loss (orpo: no reference, beta is ORPO's λ)"),
            .double("label_smoothing", \.labelSmoothing, "robust loss: assumed rate of flipped labels, in [0, 0.5)"),
            .optionalDouble("rpo_alpha", \.rpoAlpha, "weight of the NLL on chosen completions (RPO; null: none)"),
            .int("max_length", \.maxLength, "longest prompt + completion row in tokens"),
            .optionalInt("max_prompt_length", \.maxPromptLength, "longest prompt in tokens, keeping its end (null: no limit)"),
            .choice("truncation_mode", \.truncationMode, "rows past max_length keep their start or their end"),
            .bool("precompute_ref_log_probs", \.precomputeRefLogProbs, "reference log-probs computed once before training"),
            .bool("disable_dropout", \.disableDropout, "turn dropout off, the adapters' included")
        ]
        + loraFields(
            rank: "LoRA rank (0: full fine-tuning, with a frozen copy as the reference)",
            targets: "modules to adapt, comma-separated (q_proj,v_proj) or all (every projection of the architecture)") + runFields

    /// The DPO trainer's own checks.
    public func validateOwn() -> (key: String, reason: String)? {
        if !(beta > 0 && beta.isFinite) { return ("beta", "must be a finite number > 0, is \(beta)") }
        if lossType == .robust {
            if !(0..<0.5).contains(labelSmoothing) { return ("label_smoothing", "must be in [0, 0.5) for the robust loss, is \(labelSmoothing)") }
        } else if labelSmoothing != 0 {
            // TRL 1.16's sigmoid has no smoothing (cDPO's ε went with it): refuse it rather than ignore it
            return ("label_smoothing", "only the robust loss reads it (TRL 1.16 dropped it from \(lossType.rawValue)); use loss_type robust or 0")
        }
        if let a = rpoAlpha, !(a >= 0 && a.isFinite) { return ("rpo_alpha", "must be a finite number ≥ 0 or null, is \(a)") }
        if lossType == .orpo {
            if rpoAlpha != nil { return ("rpo_alpha", "ORPO has its NLL term already; leave rpo_alpha null") }
            if precomputeRefLogProbs { return ("precompute_ref_log_probs", "ORPO uses no reference model; leave it false") }
        }
        if maxLength < 2 { return ("max_length", "must be at least 2, is \(maxLength)") }
        if let m = maxPromptLength, !(1..<maxLength).contains(m) {
            return ("max_prompt_length", "must be in 1..<max_length (\(maxLength)), is \(m)")
        }
        return lora.validate()
    }

    /// The data's length limits.
    public var lengths: DPOLengths {
        DPOLengths(maxLength: maxLength, maxPromptLength: maxPromptLength, truncationMode: truncationMode)
    }
}
