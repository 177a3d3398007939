// The GRPO trainer's settings, named as TRL's GRPOConfig / transformers' TrainingArguments, plus LoRA's.

import Foundation
import RLHFModels
import RLHFOptim

/// Settings of `GRPOTrainer` (TRL's names; defaults as TRL's where they suit a CPU).
public struct GRPOConfig: LoRATrainingConfig, Equatable {
    /// HF folder or GGUF file of the policy (the SFT model).
    public var model = ""
    /// JSONL prompts (with extra columns for the reward functions, e.g. `answer`).
    public var trainFile = ""
    /// JSONL held-out prompts (nil: none).
    public var evalFile: String? = nil
    /// Completions sampled per prompt, G (a group).
    public var numGenerations = 8
    /// Longest prompt in policy tokens (longer ones are dropped).
    public var maxPromptLength = 512
    /// New tokens per completion at most.
    public var maxCompletionLength = 64
    /// Sampling temperature; log-probs are of logits / temperature.
    public var temperature = 1.0
    /// Weight of the k3 KL to the reference in the loss (0: no reference is used at all).
    public var beta = 0.0
    /// Lower clip of the ratio, 1 − ε.
    public var epsilon = 0.2
    /// Upper clip, 1 + ε_high (nil: ε).
    public var epsilonHigh: Double? = nil
    /// How the per-token losses are aggregated.
    public var lossType = GRPOLossType.dapo
    /// How the group-centred rewards are scaled.
    public var scaleRewards = RewardScaling.group
    /// Updates per generation batch, μ (each a full pass over its completions).
    public var numIterations = 1
    /// The reward functions, comma-separated: built-ins (exact_answer, format, length) or reward_model.
    public var rewardFuncs = "exact_answer"
    /// Their weights, comma-separated (nil: 1 each).
    public var rewardWeights: String? = nil
    /// The reward model read by `reward_model` (a `rlhf train-rm` checkpoint or *ForSequenceClassification folder).
    public var rewardModel: String? = nil
    /// The regular expression of `format`.
    public var formatPattern: String? = nil
    /// Completion tokens `length` allows before its penalty.
    public var lengthTarget = 64
    /// The prompt column `exact_answer` reads.
    public var answerColumn = "answer"
    /// Held-out prompts evaluated (0: all).
    public var evalSamples = 0
    /// LoRA adapters (rank 0: full fine-tuning, with a frozen copy as the reference when β > 0).
    public var lora = LoRAOptions(dropout: 0, targets: "all")
    /// The shared run settings (`learning_rate` 1e-6 as TRL's, `output_dir` output/grpo; a micro-batch is
    /// `per_device_train_batch_size` completions).
    public var run = RunSettings(outputDir: "output/grpo", learningRate: 1e-6, loggingSteps: 1)

    /// The defaults.
    public init() {}

    /// Every field, in help order: GRPO's own, LoRA's, then the shared run settings.
    public static let fields: [ConfigField<GRPOConfig>] =
        sourceFields(
            model: "policy: HF folder (Llama, GPT-2) or Llama GGUF file", train: "JSONL prompts (with extra columns such as answer)",
            eval: "JSONL held-out prompts") + [
            .int("num_generations", \.numGenerations, "completions sampled per prompt (a group)"),
            .int("max_prompt_length", \.maxPromptLength, "longest prompt in tokens (longer ones are dropped)"),
            .int("max_completion_length", \.maxCompletionLength, "new tokens per completion at most"),
            .double("temperature", \.temperature, "sampling temperature"),
            .double("beta", \.beta, "weight of the k3 KL to the reference (0: no reference)"),
            .double("epsilon", \.epsilon, "lower ratio clip, 1 - epsilon"),
            .optionalDouble("epsilon_high", \.epsilonHigh, "upper ratio clip, 1 + epsilon_high (null: epsilon)"),
            .choice("loss_type", \.lossType, "aggregation of the per-token losses"),
            .choice("scale_rewards", \.scaleRewards, "scaling of the group-centred rewards"),
            .int("num_iterations", \.numIterations, "updates per generation batch"),
            .string("reward_funcs", \.rewardFuncs, "reward functions, comma-separated: exact_answer, format, length, reward_model"),
            .optionalString("reward_weights", \.rewardWeights, "their weights, comma-separated (null: 1 each)"),
            .optionalString("reward_model", \.rewardModel, "the reward model of reward_model"),
            .optionalString("format_pattern", \.formatPattern, "the regular expression of format"),
            .int("length_target", \.lengthTarget, "completion tokens length allows before its penalty"),
            .string("answer_column", \.answerColumn, "the prompt column exact_answer reads"),
            .int("eval_samples", \.evalSamples, "held-out prompts evaluated (0: all)")
        ]
        + loraFields(
            rank: "LoRA rank (0: full fine-tuning)",
            targets: "modules to adapt, comma-separated (q_proj,v_proj) or all (every projection of the architecture)") + runFields

    /// The reward function names, in order.
    public var rewardFunctionNames: [String] {
        rewardFuncs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The reward weights (1 each when not given), or nil when they do not parse.
    public var rewardWeightValues: [Double]? {
        guard let rewardWeights else { return Array(repeating: 1, count: rewardFunctionNames.count) }
        let values = rewardWeights.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        return values.contains(nil) ? nil : values.compactMap { $0 }
    }

    /// Prompts one step samples (on one process): the step's completions over G.
    public var promptsPerStep: Int { run.stepBatchSize / max(1, numGenerations) }

    /// The GRPO trainer's own checks.
    public func validateOwn() -> (key: String, reason: String)? {
        if numGenerations < 2 { return ("num_generations", "must be at least 2 (a group of one has no baseline), is \(numGenerations)") }
        if run.stepBatchSize % numGenerations != 0 {
            return (
                "num_generations",
                "per_device_train_batch_size × gradient_accumulation_steps (\(run.stepBatchSize) completions) must be a multiple of num_generations (\(numGenerations))"
            )
        }
        if maxPromptLength < 1 { return ("max_prompt_length", "must be at least 1") }
        if maxCompletionLength < 1 { return ("max_completion_length", "must be at least 1") }
        if !(temperature > 0 && temperature.isFinite) { return ("temperature", "must be a finite number > 0") }
        if !(beta >= 0 && beta.isFinite) { return ("beta", "must be a finite number ≥ 0") }
        if !(epsilon > 0 && epsilon < 1) { return ("epsilon", "must be in (0, 1)") }
        if let e = epsilonHigh, !(e > 0 && e.isFinite) { return ("epsilon_high", "must be a finite number > 0 or null") }
        if numIterations < 1 { return ("num_iterations", "must be at least 1") }
        let names = rewardFunctionNames
        if names.isEmpty { return ("reward_funcs", "names no reward function") }
        for n in names where !["exact_answer", "format", "length", "reward_model"].contains(n) {
            return ("reward_funcs", "unknown reward function '\(n)' (built-ins: exact_answer, format, length; or reward_model)")
        }
        guard let weights = rewardWeightValues else { return ("reward_weights", "expected numbers separated by commas") }
        if weights.count != names.count { return ("reward_weights", "\(weights.count) weights for \(names.count) reward functions") }
        if names.contains("reward_model") && (rewardModel ?? "").isEmpty {
            return ("reward_model", "reward_funcs has reward_model but no reward_model is given")
        }
        if names.contains("format") && (formatPattern ?? "").isEmpty {
            return ("format_pattern", "reward_funcs has format but no format_pattern is given")
        }
        if lengthTarget < 1 { return ("length_target", "must be at least 1") }
        if evalSamples < 0 { return ("eval_samples", "must not be negative") }
        return lora.validate()
    }
}
