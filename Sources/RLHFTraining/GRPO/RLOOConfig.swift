// The RLOO trainer's settings: GRPO's (the same loop, sampler and reward functions) with TRL's RLOOConfig
// defaults (K = 2 completions per prompt, β 0.05 folded into the reward, output/rloo) and its own
// `normalize_advantages`; GRPO's `loss_type` and `scale_rewards` do not apply and are not offered.

import Foundation

/// Settings of `GRPOTrainer` running RLOO (`rlhf rloo`).
public struct RLOOConfig: LoRATrainingConfig, Equatable {
    /// The GRPO settings RLOO shares, with RLOO's defaults.
    public var base: GRPOConfig
    /// Normalise the leave-one-out advantages over the batch (TRL's default: false).
    public var normalizeAdvantages = false

    /// TRL's RLOO defaults.
    public init() {
        base = GRPOConfig()
        base.numGenerations = 2
        base.beta = 0.05
        base.run.outputDir = "output/rloo"
    }

    /// The policy.
    public var model: String {
        get { base.model }
        set { base.model = newValue }
    }
    /// JSONL prompts.
    public var trainFile: String {
        get { base.trainFile }
        set { base.trainFile = newValue }
    }
    /// JSONL held-out prompts.
    public var evalFile: String? {
        get { base.evalFile }
        set { base.evalFile = newValue }
    }
    /// LoRA adapters.
    public var lora: LoRAOptions {
        get { base.lora }
        set { base.lora = newValue }
    }
    /// The shared run settings.
    public var run: RunSettings {
        get { base.run }
        set { base.run = newValue }
    }

    /// GRPO's fields except its loss aggregation and reward scaling, then `normalize_advantages`.
    public static let fields: [ConfigField<RLOOConfig>] =
        GRPOConfig.fields.filter { !["loss_type", "scale_rewards"].contains($0.key) }.map { f in
            ConfigField<RLOOConfig>(
                key: f.key, help: f.key == "beta" ? "weight of the KL folded into the reward" : f.help, kind: f.kind, get: { f.get($0.base) }
            ) { c, s in
                f.set(&c.base, s)
            }
        } + [.bool("normalize_advantages", \.normalizeAdvantages, "normalise the leave-one-out advantages over the batch")]

    /// GRPO's checks.
    public func validateOwn() -> (key: String, reason: String)? { base.validateOwn() }
}
