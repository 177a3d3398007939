// The PPO trainer's settings, named as TRL's PPOConfig (the current trainer, plus the old trainer's
// adaptive KL controller and ratio threshold) and transformers' TrainingArguments, plus LoRA's.
//
// Batch arithmetic as TRL: a PPO step rolls out `batch_size = per_device_train_batch_size ×
// gradient_accumulation_steps × num_mini_batches` prompts, then runs `num_ppo_epochs` passes over them,
// each split into `num_mini_batches` minibatches of `gradient_accumulation_steps` micro-batches (one AdamW
// step per minibatch). The learning-rate schedule advances once per PPO step.

import Foundation
import RLHFModels

/// Where a rollout's response ends.
public enum StopToken: String, CaseIterable, Codable, Sendable {
    /// At the tokenizer's EOS token (or at `response_length`).
    case eos
    /// At `response_length` always.
    case none
}

/// Settings of `PPOTrainer`.
public struct PPOConfig: LoRATrainingConfig, Equatable {
    /// The policy (the SFT model): HF folder or Llama GGUF file. The reference is this model, frozen.
    public var model = ""
    /// The reward model's folder (a `rlhf train-rm` checkpoint or any *ForSequenceClassification folder).
    public var rewardModel = ""
    /// JSONL prompts for rollouts.
    public var trainFile = ""
    /// JSONL held-out prompts for the before/after evaluation.
    public var evalFile: String? = nil
    /// Longest prompt in policy tokens (longer ones are dropped).
    public var maxPromptLength = 128
    /// New tokens per response (max_new_tokens).
    public var responseLength = 53
    /// Sampling temperature of rollouts; log-probs of policy and reference are of logits / temperature.
    public var temperature = 0.7
    /// Where a response ends: at the tokenizer's EOS, or at `response_length`.
    public var stopToken = StopToken.eos
    /// Subtracted from the score of a response without the stop token.
    public var missingEOSPenalty: Double? = nil
    /// β of the per-token KL penalty (the start value when adaptive).
    public var klCoef = 0.05
    /// The per-token KL estimator of the penalty.
    public var klEstimator = KLEstimator.k1
    /// Ziegler et al.'s adaptive β (starting at `kl_coef`).
    public var adaptiveKL = false
    /// The adaptive controller's target KL per response (nats).
    public var klTarget = 6.0
    /// The adaptive controller's horizon in episodes.
    public var klHorizon = 10_000.0
    /// GAE's discount γ.
    public var gamma = 1.0
    /// GAE's λ.
    public var lam = 0.95
    /// The policy ratio's clip ε.
    public var cliprange = 0.2
    /// The value clip around the rollout values.
    public var cliprangeValue = 0.2
    /// Weight of the value loss.
    public var vfCoef = 0.1
    /// Let the value loss train the policy's trunk too (old TRL's shared trunk); default: the head alone.
    public var valueTrunkGradient = false
    /// Passes over each rollout batch.
    public var numPPOEpochs = 4
    /// Minibatches (optimizer updates) per pass.
    public var numMiniBatches = 1
    /// Whiten the token rewards (scale only) before GAE.
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
    /// LoRA on the policy (rank 0: full fine-tuning, with a second, frozen copy as the reference).
    public var lora = LoRAOptions(dropout: 0, targets: "all")
    /// The shared run settings (`learning_rate` 3e-6, one epoch, logging every step, a checkpoint every 50).
    public var run = RunSettings(
        outputDir: "output/ppo", learningRate: 3e-6, perDeviceEvalBatchSize: 16, numTrainEpochs: 1,
        loggingSteps: 1, saveSteps: 50)

    /// The defaults.
    public init() {}

    /// Keys a run must set.
    public static let requiredKeys = ["model", "reward_model", "train_file"]

    /// Every field, in help order: PPO's own, LoRA's, then the shared run settings.
    public static let fields: [ConfigField<PPOConfig>] =
        sourceFields(
            model: "policy (SFT model): HF folder (Llama, GPT-2) or Llama GGUF file; the reference is its frozen copy",
            train: "JSONL prompts ({\"prompt\": text or messages})",
            eval: "JSONL held-out prompts for the before/after evaluation") + [
            .string("reward_model", \.rewardModel, "reward model folder (rlhf train-rm checkpoint or *ForSequenceClassification)"),
            .int("max_prompt_length", \.maxPromptLength, "longest prompt in policy tokens (longer ones are dropped)"),
            .int("response_length", \.responseLength, "new tokens per response"),
            .double("temperature", \.temperature, "sampling temperature (log-probs use logits / temperature)"),
            .choice("stop_token", \.stopToken, "end responses at EOS, or run to response_length"),
            .optionalDouble("missing_eos_penalty", \.missingEOSPenalty, "subtracted from the score of a response without EOS"),
            .double("kl_coef", \.klCoef, "β of the per-token KL penalty (the start value when adaptive)"),
            .choice("kl_estimator", \.klEstimator, [.k1, .k3], "per-token KL estimator: k1 = log π − log π_ref, k3 = (r − 1) − log r"),
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
            .int("eval_samples", \.evalSamples, "held-out prompts evaluated before and after (0: all)")
        ]
        + loraFields(
            rank: "LoRA rank of the policy (0: full fine-tuning with a frozen copy as reference)",
            targets: "modules to adapt, comma-separated (q_proj,v_proj) or all (every projection of the architecture)",
            dropout: false) + runFields

    /// PPO's own checks.
    public func validateOwn() -> (key: String, reason: String)? {
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
        if !(1...RunLimits.accumulationSteps).contains(numMiniBatches) {
            return ("num_mini_batches", "must be in 1...\(RunLimits.accumulationSteps)")
        }
        if !(ratioThreshold > 0) { return ("ratio_threshold", "must be positive") }
        if let e = totalEpisodes, e < 1 { return ("total_episodes", "must be at least 1") }
        if localRolloutForwardBatchSize < 1 { return ("local_rollout_forward_batch_size", "must be at least 1") }
        if numSampleGenerations < 0 { return ("num_sample_generations", "must not be negative") }
        if rewardMaxLength < 2 { return ("reward_max_length", "must be at least 2") }
        if evalSamples < 0 { return ("eval_samples", "must not be negative") }
        return lora.validate()
    }

    /// Prompts rolled out per PPO step on each process.
    public var batchSize: Int { run.perDeviceTrainBatchSize * run.gradientAccumulationSteps * numMiniBatches }

    /// PPO steps of the run: `max_steps` when set, else ⌈episodes / batch_size⌉.
    ///
    /// - Parameter ranks: processes of the run (each rolls out `batch_size` prompts a step).
    public func ppoSteps(promptCount: Int, ranks: Int = 1) -> Int {
        if run.maxSteps > 0 { return run.maxSteps }
        let episodes = totalEpisodes ?? Int((run.numTrainEpochs * Double(promptCount)).rounded(.up))
        let global = batchSize * ranks
        return max(1, (episodes + global - 1) / global)
    }

    /// The KL controller this config starts with.
    public var initialKLController: KLController {
        adaptiveKL ? .adaptive(initial: klCoef, target: klTarget, horizon: klHorizon) : .fixed(klCoef)
    }
}
