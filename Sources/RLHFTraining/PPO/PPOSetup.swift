// A PPO run from its config: the policy (with LoRA, or a full copy plus a frozen reference), a value head
// on the policy's trunk, the reward model, the prompts, and the export of each checkpoint (the merged
// policy as a transformers causal-LM folder, plus the adapters in PEFT's layout).
//
// The value head reads the policy's own hidden states, so a value at response token t sees only tokens
// up to t. (A value model copied from the reward model, as TRL does, would not be causal when the reward
// model is an encoder such as MiniLM.)

import Foundation
import RLHFData
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTokenizers

/// Everything a `rlhf ppo` run loads.
public struct PPORun {
    /// The trainer, resumed when the config says so.
    public let trainer: PPOTrainer
    /// The policy as loaded (architecture, tokenizer, source path).
    public let pretrained: PretrainedModel
    /// The policy's tokenizer.
    public let tokenizer: Tokenizer
    /// The reward model that scores responses.
    public let rewardModel: RewardModel
    /// Held-out prompts (empty without `eval_file`).
    public let evalPrompts: [PPOPrompt]
    /// Writes the merged policy (and adapters) into a checkpoint folder.
    public let export: (String) throws -> Void

    /// Loads models and data as `config` says and builds the trainer (resuming when configured).
    public init(config: PPOConfig, report: @escaping (String) -> Void = { _ in }) throws {
        pretrained = try loadPretrained(path: config.model)
        let lm = try pretrained.requireCausalLM(purpose: "the policy must be a Llama or GPT-2 causal LM")
        let tok = try pretrained.requireTokenizer()
        tokenizer = tok
        var reference: CausalLanguageModel? = nil
        if config.lora.isEnabled {
            try addTrainingAdapters(to: lm, config.lora, architecture: pretrained.architecture, seed: config.seed, modelPath: config.model)
        } else {
            reference = try loadPretrained(path: config.model).architecture.causalLM
        }
        var rng = RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed) &+ 1)
        let valueHead = makeValueHead(hiddenSize: RewardModel.hiddenSize(of: pretrained.architecture), rng: &rng)
        rewardModel = try RewardModel.load(path: config.rewardModel)
        let decode: ([Int]) -> String = { tok.decode($0, skipSpecialTokens: true) }
        let scorer = RewardModelScorer(
            model: rewardModel, decode: decode, batchSize: config.perDeviceEvalBatchSize, maxLength: config.rewardMaxLength)
        func load(_ file: String) throws -> [PPOPrompt] {
            let set = try PPOPromptSet(path: file, tokenizer: tok, maxLength: config.maxPromptLength, skipBadLines: config.skipBadLines)
            for e in set.skipped { report("skipped: \(e)") }
            try checkVocabulary(set.prompts.map { ($0.ids, $0.line) }, vocabularySize: lm.vocabularySize, file: file, model: config.model)
            report(
                "\(file): \(set.prompts.count) prompts" + (set.tooLong > 0 ? "; \(set.tooLong) longer than max_prompt_length dropped" : "")
                    + (set.skipped.isEmpty ? "" : "; \(set.skipped.count) bad lines skipped"))
            return set.prompts
        }
        let prompts = try load(config.trainFile)
        var held = try config.evalFile.map(load) ?? []
        if config.evalSamples > 0 { held = Array(held.prefix(config.evalSamples)) }
        evalPrompts = held
        try checkPositions(policy: lm.positionLimit, rewardModel: rewardModel, prompts: prompts + held, config: config, report: report)
        trainer = try PPOTrainer(
            config: config, policy: lm, reference: reference, valueHead: valueHead, reward: scorer, prompts: prompts,
            eosTokenId: tok.eosTokenId, padTokenId: tok.padTokenId ?? tok.eosTokenId ?? 0, decode: decode, report: report)
        let pre = pretrained
        export = { dir in try writeDecoderFiles(lm, pretrained: pre, tokenizer: tok, lora: config.lora, baseModel: config.model, to: dir) }
    }
}

/// Prompt + response must fit a policy's learned position table (else an error naming the keys); past a
/// rotary context, or a reward model's positions (which `score` cuts to), a warning.
func checkPositions(
    policy limit: PositionLimit, rewardModel: RewardModel, prompts: [PPOPrompt], config: PPOConfig,
    report: (String) -> Void
) throws {
    let longest = prompts.map(\.ids.count).max() ?? 0
    if config.responseLength > limit.count - longest {
        let what = "the longest prompt (\(longest) tokens) + response_length \(config.responseLength) is more than the policy's"
        if limit.isHard {
            throw ModelError.invalidInput(
                source: config.model,
                reason: "\(what) \(limit.phrase); lower max_prompt_length "
                    + "(longer prompts are dropped) or response_length")
        }
        report("warning: \(what) context of \(limit.phrase); it was never trained on positions past \(limit.count)")
    }
    if let warning = rewardModel.backbone.positionLimit.length(for: config.rewardMaxLength, key: "reward_max_length").warning {
        report(warning)
    }
}

/// A value head Linear(C, 1): weight N(0, 1/√(C + 1)), bias 0 (the reward-model head's initialisation).
public func makeValueHead(hiddenSize c: Int, rng: inout RandomGenerator) -> Linear {
    let head = Linear(c, 1, rng: &rng)
    head.weight.assign(Tensor.normal([1, c], std: 1 / Float(c + 1).squareRoot(), using: &rng))
    head.bias?.assign(Tensor.zeros([1]))
    return head
}
