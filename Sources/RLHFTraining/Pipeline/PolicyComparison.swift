// The held-out report of a policy trained without rollouts (DPO): the model before (the SFT checkpoint,
// also the reference for the KL) and after answer the same held-out prompts by sampling, each prompt with
// the same seed in both, and an independent reward model scores the answers; the same figures as PPO's
// before/after evaluation (mean score, KL to the reference, length, share ended with EOS).

import Foundation
import RLHFData
import RLHFModels
import RLHFTensor

/// Settings of the before/after comparison (`report:` of `rlhf pipeline`; PPO's names for the sampling keys).
public struct PolicyComparisonConfig: FieldConfig, Equatable {
    /// JSONL held-out prompts.
    public var evalFile = ""
    /// The reward model that scores the answers (a `rlhf train-rm` checkpoint or any *ForSequenceClassification folder).
    public var rewardModel = ""
    /// Most new tokens per answer.
    public var responseLength = 53
    /// Sampling temperature.
    public var temperature = 0.7
    /// Where an answer stops.
    public var stopToken = StopToken.eos
    /// Subtracted from the score of an answer that never stopped (nil: none).
    public var missingEOSPenalty: Double? = nil
    /// Longest prompt in policy tokens (longer ones are dropped).
    public var maxPromptLength = 512
    /// Longest reward-model input in its tokens.
    public var rewardMaxLength = 512
    /// Prompts per generation batch and answers per reward-model batch.
    public var perDeviceEvalBatchSize = 16
    /// Use only the first N prompts (0: all).
    public var evalSamples = 0
    /// Seed of the sampling (each prompt draws from a generator seeded by (seed, prompt)).
    public var seed = 42

    /// The defaults.
    public init() {}

    /// `eval_file` and `reward_model` must be set.
    public static var requiredKeys: [String] { ["eval_file", "reward_model"] }

    /// Every field, in help order.
    public static let fields: [ConfigField<PolicyComparisonConfig>] = [
        .string("eval_file", \.evalFile, "JSONL held-out prompts"),
        .string("reward_model", \.rewardModel, "reward model that scores the answers"),
        .int("response_length", \.responseLength, "most new tokens per answer"),
        .double("temperature", \.temperature, "sampling temperature"),
        .choice("stop_token", \.stopToken, "where an answer stops"),
        .optionalDouble("missing_eos_penalty", \.missingEOSPenalty, "subtracted from the score of an answer that never stopped"),
        .int("max_prompt_length", \.maxPromptLength, "longest prompt in policy tokens (longer ones are dropped)"),
        .int("reward_max_length", \.rewardMaxLength, "longest reward-model input in its tokens"),
        .int("per_device_eval_batch_size", \.perDeviceEvalBatchSize, "prompts per generation batch"),
        .int("eval_samples", \.evalSamples, "use only the first N prompts (0: all)"),
        .int("seed", \.seed, "seed of the sampling")
    ]

    /// The first problem, as (key, reason).
    public func validate() -> (key: String, reason: String)? {
        if responseLength < 1 { return ("response_length", "must be at least 1") }
        if !(temperature > 0 && temperature.isFinite) { return ("temperature", "must be a finite number > 0") }
        if maxPromptLength < 1 { return ("max_prompt_length", "must be at least 1") }
        if rewardMaxLength < 2 { return ("reward_max_length", "must be at least 2") }
        if !(1...RunLimits.batchSize).contains(perDeviceEvalBatchSize) {
            return ("per_device_eval_batch_size", "must be in 1...\(RunLimits.batchSize)")
        }
        if evalSamples < 0 { return ("eval_samples", "must not be negative") }
        return nil
    }
}

/// Samples answers to the held-out prompts from the model at `before` (which is also the reference) and
/// from the model at `after`, with the same seed per prompt, and scores them.
///
/// - Parameter report: receives lines for the user (prompt counts).
/// - Returns: the two evaluations, episodes in the prompts' order, and a decoder of policy tokens.
public func comparePolicies(
    before: String, after: String, config: PolicyComparisonConfig, report: (String) -> Void = { _ in }
) throws -> (before: PPOEvaluation, after: PPOEvaluation, decode: ([Int]) -> String) {
    let pre = try loadPretrained(path: before)
    let reference = try pre.requireCausalLM(purpose: "the policy must be a Llama or GPT-2 causal LM")
    let tok = try pre.requireTokenizer()
    let trained = try loadPretrained(path: after).requireCausalLM(purpose: "the policy must be a Llama or GPT-2 causal LM")
    reference.eval(); trained.eval()
    var set = try PPOPromptSet(path: config.evalFile, tokenizer: tok, maxLength: config.maxPromptLength)
    if config.evalSamples > 0 { set.prompts = Array(set.prompts.prefix(config.evalSamples)) }
    report("\(config.evalFile): \(set.prompts.count) prompts" + (set.tooLong > 0 ? "; \(set.tooLong) longer than max_prompt_length dropped" : ""))
    let decode: ([Int]) -> String = { tok.decode($0, skipSpecialTokens: true) }
    let scorer = RewardModelScorer(
        model: try RewardModel.load(path: config.rewardModel), decode: decode, batchSize: config.perDeviceEvalBatchSize,
        maxLength: config.rewardMaxLength)
    let stops: Set<Int> = config.stopToken == .eos ? Set(tok.eosTokenId.map { [$0] } ?? []) : []
    let seeds = set.prompts.indices.map { promptSeed(config.seed, step: -1, index: $0) }
    func evaluate(_ policy: CausalLanguageModel) -> PPOEvaluation {
        let sampler = RolloutSampler(
            policy: policy, reference: reference, valueHead: nil, reward: scorer, responseLength: config.responseLength,
            temperature: config.temperature, stopTokenIds: stops, missingEOSPenalty: config.missingEOSPenalty,
            chunkSize: config.perDeviceEvalBatchSize, padTokenId: tok.padTokenId ?? tok.eosTokenId ?? 0)
        return PPOEvaluation(episodes: sampler.sample(set.prompts, seeds: seeds).episodes)
    }
    return (evaluate(reference), evaluate(trained), decode)
}

/// The exact-answer rate of an evaluation's answers over the prompts with an `answer` column: overall (family
/// "all") and per `family` column, with its binomial standard error; nil when no prompt has an answer.
public func exactAnswerRates(_ evaluation: PPOEvaluation, decode: ([Int]) -> String, answerColumn: String = "answer")
    -> [(family: String, rate: Double, standardError: Double, count: Int)]?
{
    let scored = evaluation.episodes.compactMap { e -> (String, Double)? in
        guard e.prompt.columns[answerColumn] != nil,
            let r = ExactAnswerReward(column: answerColumn).rewards(
                prompts: [e.prompt], completions: [decode(e.response)], completionIds: [e.response])[0]
        else { return nil }
        return (e.prompt.columns["family"] ?? "", r)
    }
    guard !scored.isEmpty else { return nil }
    func row(_ name: String, _ xs: [Double]) -> (family: String, rate: Double, standardError: Double, count: Int) {
        let p = xs.reduce(0, +) / Double(xs.count)
        return (name, p, (p * (1 - p) / Double(xs.count)).squareRoot(), xs.count)
    }
    let families = Set(scored.map(\.0)).filter { !$0.isEmpty }.sorted()
    return [row("all", scored.map(\.1))] + families.map { f in row(f, scored.filter { $0.0 == f }.map(\.1)) }
}
