// The PPO trainer's settings, named as TRL's PPOConfig (the current trainer, plus the old trainer's
// adaptive KL controller and ratio threshold) and transformers' TrainingArguments, plus LoRA's.
//
// Batch arithmetic as TRL: a PPO step rolls out `batch_size = per_device_train_batch_size ×
// gradient_accumulation_steps × num_mini_batches` prompts, then runs `num_ppo_epochs` passes over them,
// each split into `num_mini_batches` minibatches of `gradient_accumulation_steps` micro-batches (one AdamW
// step per minibatch). The learning-rate schedule advances once per PPO step.

import Foundation
import RLHFModels

/// Settings of `PPOTrainer`.
public struct PPOConfig: TrainingRunConfig, Equatable {
    /// The policy (the SFT model): HF folder or Llama GGUF file. The reference is this model, frozen.
    public var model = ""
    /// The reward model's folder (a `rlhf train-rm` checkpoint or any *ForSequenceClassification folder).
    public var rewardModel = ""
    /// JSONL prompts for rollouts.
    public var trainFile = ""
    /// JSONL held-out prompts for the before/after evaluation.
    public var evalFile: String? = nil
    public var outputDir = "output/ppo"
    /// Longest prompt in policy tokens (longer ones are dropped).
    public var maxPromptLength = 128
    /// New tokens per response (max_new_tokens).
    public var responseLength = 53
    /// Sampling temperature of rollouts; log-probs of policy and reference are of logits / temperature.
    public var temperature = 0.7
    /// "eos": a response ends at the tokenizer's EOS; "none": responses run to `response_length`.
    public var stopToken = "eos"
    /// Subtracted from the score of a response without the stop token.
    public var missingEOSPenalty: Double? = nil
    public var klCoef = 0.05
    public var klEstimator = "k1"
    /// Ziegler et al.'s adaptive β (starting at `kl_coef`).
    public var adaptiveKL = false
    public var klTarget = 6.0
    public var klHorizon = 10_000.0
    public var gamma = 1.0
    public var lam = 0.95
    public var cliprange = 0.2
    public var cliprangeValue = 0.2
    public var vfCoef = 0.1
    /// Let the value loss train the policy's trunk too (old TRL's shared trunk); default: the head alone.
    public var valueTrunkGradient = false
    public var numPPOEpochs = 4
    public var numMiniBatches = 1
    public var whitenRewards = false
    /// A micro-batch whose mean ratio exceeds this is skipped with a warning (TRL 0.11's ratio_threshold).
    public var ratioThreshold = 10.0
    /// Episodes (responses) of the run; nil: num_train_epochs × prompts.
    public var totalEpisodes: Int? = nil
    /// Prompts per no-gradient rollout forward (generation, reference, values, scores).
    public var localRolloutForwardBatchSize = 64
    /// Sample tables (prompt / response / score) written over the run.
    public var numSampleGenerations = 10
    /// Longest reward-model input (longer ones keep their start and closing token).
    public var rewardMaxLength = 512
    /// Held-out prompts evaluated before and after training (0: all).
    public var evalSamples = 0
    public var lrSchedulerType = "linear"
    public var skipBadLines = false
    public var perDeviceTrainBatchSize = 8
    public var perDeviceEvalBatchSize = 16
    public var gradientAccumulationSteps = 1
    public var learningRate = 3e-6
    public var weightDecay = 0.0
    public var adamBeta1 = 0.9
    public var adamBeta2 = 0.999
    public var adamEpsilon = 1e-8
    public var maxGradNorm = 1.0
    public var warmupSteps = 0
    public var warmupRatio = 0.0
    public var numTrainEpochs = 1.0
    public var maxSteps = -1
    public var loggingSteps = 1
    public var evalSteps = 0
    public var saveSteps = 50
    public var seed = 42
    /// LoRA rank on the policy (0: full fine-tuning, with a second, frozen copy as the reference).
    public var loraR = 0
    public var loraAlpha = 16.0
    public var loraTargets = "all"
    public var progress = true
    public var resumeFrom: String? = nil
    /// Non-finite steps in a row (each skipped) that stop the run.
    public var maxNonfiniteSteps = 3

    public init() {}

    public static let requiredKeys = ["model", "reward_model", "train_file"]

    public static let fields: [ConfigField<PPOConfig>] = [
        .string("model", \.model, "policy (SFT model): HF folder (Llama, GPT-2) or Llama GGUF file; the reference is its frozen copy"),
        .string("reward_model", \.rewardModel, "reward model folder (rlhf train-rm checkpoint or *ForSequenceClassification)"),
        .string("train_file", \.trainFile, "JSONL prompts ({\"prompt\": text or messages})"),
        .optionalString("eval_file", \.evalFile, "JSONL held-out prompts for the before/after evaluation"),
        .int("max_prompt_length", \.maxPromptLength, "longest prompt in policy tokens (longer ones are dropped)"),
        .int("response_length", \.responseLength, "new tokens per response"),
        .double("temperature", \.temperature, "sampling temperature (log-probs use logits / temperature)"),
        .choice("stop_token", \.stopToken, ["eos", "none"], "end responses at EOS, or run to response_length"),
        .optionalDouble("missing_eos_penalty", \.missingEOSPenalty, "subtracted from the score of a response without EOS"),
        .double("kl_coef", \.klCoef, "β of the per-token KL penalty (the start value when adaptive)"),
        .choice("kl_estimator", \.klEstimator, ["k1", "k3"], "per-token KL estimator: k1 = log π − log π_ref, k3 = (r − 1) − log r"),
        .bool("adaptive_kl", \.adaptiveKL, "adapt β towards kl_target (Ziegler et al.)"),
        .double("kl_target", \.klTarget, "adaptive controller's target KL per response"),
        .double("kl_horizon", \.klHorizon, "adaptive controller's horizon in episodes"),
        .double("gamma", \.gamma, "discount of GAE"),
        .double("lam", \.lam, "λ of GAE"),
        .double("cliprange", \.cliprange, "policy ratio clip ε"),
        .double("cliprange_value", \.cliprangeValue, "value clip around the rollout values"),
        .double("vf_coef", \.vfCoef, "weight of the value loss"),
        .bool("value_trunk_gradient", \.valueTrunkGradient, "let the value loss train the policy's trunk too (default: the head alone)"),
        .int("num_ppo_epochs", \.numPPOEpochs, "passes over each rollout batch"),
        .int("num_mini_batches", \.numMiniBatches, "minibatches (AdamW steps) per pass"),
        .bool("whiten_rewards", \.whitenRewards, "whiten the token rewards (scale only) before GAE"),
        .double("ratio_threshold", \.ratioThreshold, "skip a micro-batch whose mean ratio exceeds this"),
        .optionalInt("total_episodes", \.totalEpisodes, "responses to train on (default: num_train_epochs × prompts)"),
        .int("local_rollout_forward_batch_size", \.localRolloutForwardBatchSize, "prompts per rollout forward"),
        .int("num_sample_generations", \.numSampleGenerations, "prompt/response/score tables written over the run"),
        .int("reward_max_length", \.rewardMaxLength, "longest reward-model input in its tokens"),
        .int("eval_samples", \.evalSamples, "held-out prompts evaluated before and after (0: all)"),
        .int("lora_r", \.loraR, "LoRA rank of the policy (0: full fine-tuning with a frozen copy as reference)"),
        .double("lora_alpha", \.loraAlpha, "LoRA alpha (the update is scaled by alpha / r)"),
        .string("lora_targets", \.loraTargets, "modules to adapt, comma-separated (q_proj,v_proj) or all (every projection of the architecture)"),
    ] + runFields

    public func validate() -> (key: String, reason: String)? {
        if let problem = validateRun() { return problem }
        if maxPromptLength < 1 { return ("max_prompt_length", "must be at least 1") }
        if !(1...1_000_000).contains(responseLength) { return ("response_length", "must be in 1...1000000") }
        if !(temperature > 0 && temperature.isFinite) { return ("temperature", "must be a finite number > 0") }
        if let p = missingEOSPenalty, !(p >= 0 && p.isFinite) { return ("missing_eos_penalty", "must not be negative (it is subtracted)") }
        if !(klCoef >= 0 && klCoef.isFinite) { return ("kl_coef", "must be a finite number ≥ 0") }
        if !(klTarget > 0 && klTarget.isFinite) { return ("kl_target", "must be a finite number > 0") }
        if !(klHorizon > 0 && klHorizon.isFinite) { return ("kl_horizon", "must be a finite number > 0") }
        if !(0...1).contains(gamma) { return ("gamma", "must be in [0, 1]") }
        if !(0...1).contains(lam) { return ("lam", "must be in [0, 1]") }
        if !(cliprange > 0 && cliprange.isFinite) { return ("cliprange", "must be a finite number > 0") }
        if !(cliprangeValue > 0 && cliprangeValue.isFinite) { return ("cliprange_value", "must be a finite number > 0") }
        if !(vfCoef >= 0 && vfCoef.isFinite) { return ("vf_coef", "must be a finite number ≥ 0") }
        if !(1...10_000).contains(numPPOEpochs) { return ("num_ppo_epochs", "must be in 1...10000") }
        if !(1...RunLimits.accumulationSteps).contains(numMiniBatches) { return ("num_mini_batches", "must be in 1...\(RunLimits.accumulationSteps)") }
        if !(ratioThreshold > 0) { return ("ratio_threshold", "must be positive") }
        if let e = totalEpisodes, e < 1 { return ("total_episodes", "must be at least 1") }
        if localRolloutForwardBatchSize < 1 { return ("local_rollout_forward_batch_size", "must be at least 1") }
        if numSampleGenerations < 0 { return ("num_sample_generations", "must not be negative") }
        if rewardMaxLength < 2 { return ("reward_max_length", "must be at least 2") }
        if evalSamples < 0 { return ("eval_samples", "must not be negative") }
        if loraR < 0 { return ("lora_r", "must not be negative") }
        if !(loraAlpha > 0 && loraAlpha.isFinite) { return ("lora_alpha", "must be a finite number > 0") }
        if loraR > 0 && loraTargets != "all" && LoRASettings.targetList(loraTargets).isEmpty { return ("lora_targets", "names no module") }
        return nil
    }

    /// Prompts rolled out per PPO step.
    public var batchSize: Int { perDeviceTrainBatchSize * gradientAccumulationSteps * numMiniBatches }

    /// PPO steps of the run: `max_steps` when set, else ⌈episodes / batch_size⌉.
    public func ppoSteps(promptCount: Int) -> Int {
        if maxSteps > 0 { return maxSteps }
        let episodes = totalEpisodes ?? Int((numTrainEpochs * Double(promptCount)).rounded(.up))
        return max(1, (episodes + batchSize - 1) / batchSize)
    }

    /// The target names for `architecture` (`all`: every projection of its blocks).
    public func loraTargetList(for architecture: Architecture) -> [String] {
        LoRASettings.targets(loraTargets, for: architecture)
    }

    /// The KL controller this config starts with.
    public var initialKLController: KLController {
        adaptiveKL ? .adaptive(initial: klCoef, target: klTarget, horizon: klHorizon) : .fixed(klCoef)
    }
}
