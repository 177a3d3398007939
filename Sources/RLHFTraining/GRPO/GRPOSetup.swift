// A GRPO run from its config: the policy (with LoRA, or full with a frozen reference when β > 0), the reward
// functions named in `reward_funcs` (built-ins, or a reward model reading prompt and completion text), the
// prompts with their extra columns, and the checkpoint export (the merged policy and its adapters).

import Foundation
import RLHFData
import RLHFModels
import RLHFNN
import RLHFTokenizers

/// A reward model as a completion reward: its score of each prompt text + decoded completion.
public struct ModelCompletionReward: CompletionReward {
    /// The name in configs and metrics.
    public let name = "reward_model"
    /// Scores prompt and completion text.
    public let scorer: RewardModelScorer

    /// The scorer's score of each prompt and completion.
    public func rewards(prompts: [PPOPrompt], completions: [String], completionIds: [[Int]]) -> [Double?] {
        scorer.scores(prompts: prompts, responses: completionIds)
    }
}

/// The models, prompts, rewards and trainer of a GRPO run.
public final class GRPORun {
    /// The loaded policy (its architecture, tokenizer and source).
    public let pretrained: PretrainedModel
    /// The trainer.
    public let trainer: GRPOTrainer
    /// Held-out prompts (empty without `eval_file`).
    public let evalPrompts: [PPOPrompt]

    /// Loads everything `config` names and builds the trainer (resuming when configured).
    public init(config: GRPOConfig, estimator: CriticFreeEstimator = .grpo, report: @escaping (String) -> Void = { _ in }) throws {
        let lora = config.lora.isEnabled
        // full fine-tuning resumes from the checkpoint's weights; LoRA from the base plus its adapters
        let source = (!lora ? config.resumeFrom : nil) ?? config.model
        pretrained = try loadPretrained(path: source)
        let lm = try pretrained.requireCausalLM(purpose: "GRPO trains Llama or GPT-2 causal LMs")
        let tok = try pretrained.requireTokenizer()
        if lora {
            if let resume = config.resumeFrom {
                _ = try loadLoRAAdapters(into: lm, from: resume + "/adapter")
            } else {
                try addTrainingAdapters(to: lm, config.lora, architecture: pretrained.architecture, seed: config.seed, modelPath: config.model)
            }
        }
        let reference = !lora && config.beta > 0 ? try loadPretrained(path: config.model).requireCausalLM(purpose: "the reference") : nil
        let decode: ([Int]) -> String = { tok.decode($0, skipSpecialTokens: true) }
        var rewards: [CompletionReward] = []
        for name in config.rewardFunctionNames {
            switch name {
            case "exact_answer": rewards.append(ExactAnswerReward(column: config.answerColumn))
            case "format": rewards.append(try FormatReward(pattern: config.formatPattern ?? ""))
            case "length": rewards.append(LengthReward(target: config.lengthTarget))
            default:
                let model = try RewardModel.load(path: config.rewardModel ?? "")
                rewards.append(
                    ModelCompletionReward(scorer: RewardModelScorer(model: model, decode: decode, batchSize: config.perDeviceEvalBatchSize)))
            }
        }
        func load(_ file: String) throws -> [PPOPrompt] {
            let set = try PPOPromptSet(path: file, tokenizer: tok, maxLength: config.maxPromptLength, skipBadLines: config.skipBadLines)
            for e in set.skipped { report("skipped: \(e)") }
            try checkVocabulary(set.prompts.map { ($0.ids, $0.line) }, vocabularySize: lm.vocabularySize, file: file, model: config.model)
            report("\(file): \(set.prompts.count) prompts" + (set.tooLong > 0 ? "; \(set.tooLong) longer than max_prompt_length dropped" : ""))
            return set.prompts
        }
        let prompts = try load(config.trainFile)
        var held = try config.evalFile.map(load) ?? []
        if config.evalSamples > 0 { held = Array(held.prefix(config.evalSamples)) }
        evalPrompts = held
        let longest = (prompts + held).map(\.ids.count).max() ?? 0
        if lm.positionLimit.isHard && longest + config.maxCompletionLength > lm.positionLimit.count {
            throw ModelError.invalidInput(
                source: config.model,
                reason: "the longest prompt (\(longest) tokens) + max_completion_length \(config.maxCompletionLength) is more than the policy's "
                    + "\(lm.positionLimit.phrase); lower max_prompt_length or max_completion_length")
        }
        trainer = try GRPOTrainer(
            config: config, estimator: estimator, policy: lm, reference: reference, rewards: rewards, prompts: prompts, eosTokenId: tok.eosTokenId,
            padTokenId: tok.padTokenId ?? tok.eosTokenId ?? 0, decode: decode, report: report)
        trainer.evalPrompts = held
        let pre = pretrained
        trainer.checkpointExport = { dir in
            try writeDecoderFiles(lm, pretrained: pre, tokenizer: tok, lora: config.lora, baseModel: config.model, to: dir)
        }
    }
}
