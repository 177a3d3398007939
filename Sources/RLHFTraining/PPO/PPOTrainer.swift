// PPO for RLHF (TRL's PPO trainer, with the old trainer's adaptive KL controller and ratio threshold).
// One `step()` is one rollout batch of `batch_size` prompts from the core's cursor:
//
//   1–3. the rollout (`RolloutSampler`): the policy samples `response_length` tokens per prompt at
//      `temperature`, stopping at EOS, with its log-probs and values from the decoding pass; the frozen
//      reference's log-probs (logits / temperature); the reward function's score of each prompt +
//      response, minus `missing_eos_penalty` without EOS;
//   4. token rewards: −β·KL per token (k1 or k3), plus the score on the last real token; optional
//      reward whitening;
//   5. GAE (γ, λ) for advantages and returns; advantages whitened over the batch;
//   6. `num_ppo_epochs` passes, each in `num_mini_batches` minibatches of `gradient_accumulation_steps`
//      micro-batches: clipped policy loss + vf_coef · clipped value loss; each minibatch is one update of
//      the core (gradient reduction, global-norm clipping, AdamW);
//   7. the KL controller moves β (adaptive) or keeps it (fixed).
//
// The policy may carry LoRA adapters; the reference is then the same model with adapters off. The value
// head is a Linear on the policy's final hidden states (one forward gives log-probs and values). By
// default the value loss trains the head alone (it reads the hidden states detached), so the critic's
// early, noisy errors do not push the policy's weights; `value_trunk_gradient` shares the trunk as old
// TRL's AutoModelForCausalLMWithValueHead did.

import Foundation
import RLHFData
import RLHFDistributed
import RLHFLogging
import RLHFModels
import RLHFNN
import RLHFOptim
import RLHFTensor

/// Trains a policy with PPO against a reward function.
public final class PPOTrainer: TrainingAlgorithm {
    /// The run's settings.
    public let config: PPOConfig
    /// The config as YAML (written as `config.yaml` beside the metrics).
    public var configYAML: String? { config.yamlText }
    /// The model being trained.
    public let policy: CausalLanguageModel
    /// A separate frozen reference; nil: the policy with its adapters off.
    public let reference: CausalLanguageModel?
    /// Linear(C, 1) on the policy's final hidden states.
    public let valueHead: Linear
    /// Scores whole responses.
    public let reward: RewardFunction
    /// The rollout prompts, visited in a shuffled order per epoch.
    public let prompts: [PPOPrompt]
    /// The policy's EOS token (the stop token when `stop_token` is `eos`).
    public let eosTokenId: Int?
    /// The pad token of forward batches.
    public let padTokenId: Int
    /// Tokens → text for sample tables.
    public let decode: ([Int]) -> String
    /// Steps 1–3: generation, reference log-probs, scores.
    public let sampler: RolloutSampler
    /// Cursor (over prompts), optimizer, schedule, state and checkpoints.
    public let core: TrainerCore
    /// The trained policy tensors with their keys (LoRA adapters, or every trainable weight).
    let policyParameters: [(key: String, parameter: Parameter)]
    /// β and its controller.
    public internal(set) var klController: KLController
    /// Episodes (responses) trained on so far.
    public internal(set) var episode = 0
    let report: (String) -> Void
    /// The last step's episodes (sample tables).
    var lastEpisodes: [RolloutEpisode] = []
    /// Held-out prompts evaluated every `eval_steps` by the loop (`train(logger:evalPrompts:export:)` sets them).
    public var evalPrompts: [PPOPrompt] = []
    /// Adds user-facing files to each checkpoint the loop writes (`train(logger:evalPrompts:export:)` sets it).
    public var checkpointExport: ((String) throws -> Void)?

    /// The run's position (step, prompt cursor, RNG).
    public var state: TrainerState { core.state }
    /// Skips non-finite optimizer updates and says when the run must stop.
    public var nonFinite: NonFiniteGuard { core.nonFinite }
    /// Optimizer parameter keys: `policy.<key>` for the trained policy tensors, `v_head.summary.*`.
    var parameterKeys: [String] { core.parameterKeys }

    /// - Parameters:
    ///   - policy: the model to train; with LoRA adapters only they train (and `reference` may be nil).
    ///   - reference: a frozen copy of the initial policy; nil when the policy has adapters.
    ///   - valueHead: the value head (new or from `rlhf` checkpoints); it trains with the policy.
    ///   - prompts: the rollout prompts, visited in a shuffled order per epoch.
    ///   - group: the ranks (default: the `mpirun` job, or this process alone).
    /// - Throws: `CheckpointError` when resuming from a checkpoint that does not fit.
    public init(
        config: PPOConfig, policy: CausalLanguageModel, reference: CausalLanguageModel?, valueHead: Linear,
        reward: RewardFunction, prompts: [PPOPrompt], eosTokenId: Int?, padTokenId: Int,
        decode: @escaping ([Int]) -> String = { $0.map(String.init).joined(separator: " ") },
        report: @escaping (String) -> Void = { _ in }, group: ProcessGroup = .world
    ) throws {
        precondition(!prompts.isEmpty, "PPOTrainer: no prompts")
        let adapters = policy.loraParameters()
        precondition(reference != nil || !adapters.isEmpty, "PPOTrainer: a policy without adapters needs a separate reference")
        self.config = config; self.policy = policy; self.reference = reference; self.valueHead = valueHead
        self.reward = reward; self.prompts = prompts; self.eosTokenId = eosTokenId; self.padTokenId = padTokenId
        self.decode = decode; self.report = report
        // dropout off everywhere, as TRL does for policy, reference, value and reward models
        policy.eval(); reference?.eval(); valueHead.eval()
        reference?.freeze()
        let stops: Set<Int> = config.stopToken == .eos ? Set(eosTokenId.map { [$0] } ?? []) : []
        sampler = RolloutSampler(
            policy: policy, reference: reference, valueHead: valueHead, reward: reward, responseLength: config.responseLength,
            temperature: config.temperature, stopTokenIds: stops, missingEOSPenalty: config.missingEOSPenalty,
            chunkSize: config.localRolloutForwardBatchSize, padTokenId: padTokenId)
        policyParameters = adapters.isEmpty ? policy.namedParameters().filter { $0.parameter.isTrainable } : adapters
        let named = policyParameters.map { (key: "policy." + $0.key, parameter: $0.parameter) } + valueHeadParameters(valueHead)
        klController = config.initialKLController
        let resumed = try TrainerCore.prepare(config.run, kind: .ppo, report: report)
        core = try TrainerCore(
            run: config.run, kind: .ppo, parameters: named, exampleCount: prompts.count, cursorUnit: .example,
            totalSteps: config.ppoSteps(promptCount: prompts.count, ranks: group.size), stepBatchSize: config.batchSize,
            rng: RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed)), resumed: resumed, group: group, report: report)
        if let resume = config.resumeFrom { try restore(from: resume) }
    }

    // MARK: Rollout (steps 1–3)

    /// Generates and scores responses to `batch` with `rng` (steps 1–3, `RolloutSampler.sample`).
    public func rollout(_ batch: [PPOPrompt], rng: inout RandomGenerator) -> Rollout {
        sampler.sample(batch, rng: &rng)
    }

    // MARK: One PPO step

    /// Rolls out one batch, computes advantages and updates policy and value head; returns TRL's metrics.
    public func step() -> [String: Double] {
        let started = Date()
        // 1–3. the global batch's prompts; this rank rolls out its contiguous share, each prompt seeded by
        //      itself, and every rank gets every rank's episodes
        let global = core.nextExamples(config.batchSize * core.group.size)
        let mine = Array(global[core.share(of: global.count)])
        let rolled = sampler.sample(mine.map { prompts[$0] }, seeds: mine.map { promptSeed(config.seed, step: state.globalStep, index: $0) })
        var episodes = core.gatheredEpisodes(rolled.episodes, promptIndices: mine, prompts: prompts)
        let beta = klController.value
        // 4. token rewards: −β·KL (the configured estimator) with the score on the last token
        let kl = klRows(episodes, estimator: config.klEstimator)
        let scores = episodes.map(\.score)
        var (rewards, nonScore) = tokenRewards(scores: scores, kl: kl, klCoef: beta)
        if config.whitenRewards { rewards = maskedWhiten(rewards, shiftMean: false) }
        // 5. GAE, advantages whitened over the batch
        let values = episodes.map { $0.values.map(Double.init) }
        let (rawAdvantages, returns) = generalizedAdvantages(rewards: rewards, values: values, gamma: config.gamma, lambda: config.lam)
        let advantages = maskedWhiten(rawAdvantages)
        for i in episodes.indices {
            episodes[i].advantages = advantages[i].map(Float.init)
            episodes[i].returns = returns[i].map(Float.init)
        }
        // 6. PPO epochs
        let t0 = Date()
        let lr = core.learningRate
        let stats = update(episodes, learningRate: lr)
        let updateTime = Date().timeIntervalSince(t0)
        // 7. the KL controller sees the mean KL (k1, summed per response) of this batch
        let klPerResponse = klRows(episodes, estimator: .k1).map { $0.reduce(0, +) }
        let meanKL = klPerResponse.reduce(0, +) / Double(episodes.count)
        klController.update(currentKL: meanKL, episodes: episodes.count)
        if meanKL < -1 {   // TRL's threshold: small negative means are sampling noise of the k1 estimate
            report(
                "warning: the mean KL of step \(state.globalStep + 1) is negative (\(String(format: "%.3f", meanKL))), often a sign of failing "
                    + "training: the policy samples tokens the reference finds likelier; check temperature and generation settings")
        }
        episode += episodes.count
        core.finishStep()
        lastEpisodes = episodes
        let nonScoreSum = nonScore.map { $0.reduce(0, +) }
        let meanNonScore = nonScoreSum.reduce(0, +) / Double(episodes.count)
        let meanScore = scores.reduce(0, +) / Double(episodes.count)
        var m = stats
        m["objective/kl"] = meanKL
        m["objective/entropy"] = episodes.map { -$0.logProbs.reduce(0.0) { $0 + Double($1) } }.reduce(0, +) / Double(episodes.count)
        m["objective/non_score_reward"] = meanNonScore
        m["objective/rlhf_reward"] = meanScore + meanNonScore
        m["objective/scores"] = meanScore
        m["objective/kl_coef"] = beta
        m["val/num_eos_tokens"] = Double(episodes.filter(\.stopped).count)
        m["val/response_length"] = Double(episodes.map(\.response.count).reduce(0, +)) / Double(episodes.count)
        m["lr"] = lr
        m["episode"] = Double(episode)
        let seconds = Date().timeIntervalSince(started)
        m["eps"] = Double(episodes.count) / max(seconds, 1e-9)
        m["time/generation"] = rolled.generation
        m["time/scoring"] = rolled.scoring
        m["time/update"] = updateTime
        return m
    }

    /// Step 6: the clipped losses over `num_ppo_epochs` passes of minibatches, one core update each;
    /// returns the mean statistics.
    ///
    /// Under `mpirun` every rank holds the whole global batch and shuffles it alike; a minibatch is
    /// `gradient_accumulation_steps` × ranks micro-batches, and rank r computes micro-batches r, r + N, …
    func update(_ episodes: [RolloutEpisode], learningRate: Double) -> [String: Double] {
        let ranks = core.group.size, rank = core.group.rank
        let micro = config.perDeviceTrainBatchSize, perMinibatch = micro * config.gradientAccumulationSteps * ranks
        let temperature = Float(config.temperature)
        let keys = [
            "policy/approxkl_avg", "policy/clipfrac_avg", "loss/policy_avg", "loss/value_avg", "val/clipfrac_avg",
            "policy/entropy_avg", "val/ratio", "val/ratio_var"
        ]
        var sums = [Double](repeating: 0, count: keys.count), count = 0, skipped = 0
        epochs: for _ in 0..<config.numPPOEpochs {
            var order = Array(episodes.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(core.state.rng.next() % UInt64(i + 1))) }
            for mbStart in stride(from: 0, to: order.count, by: perMinibatch) {
                let minibatch = Array(order[mbStart..<min(order.count, mbStart + perMinibatch)])
                let microBatches = (minibatch.count + micro - 1) / micro
                let mine = Array(stride(from: rank, to: microBatches, by: ranks))
                _ = core.update(microBatches: mine.count, learningRate: learningRate) { index in
                    let k = mine[index]
                    let items = minibatch[(k * micro)..<min(minibatch.count, (k + 1) * micro)].map { episodes[$0] }
                    let f = responseForward(
                        policy, prompts: items.map(\.prompt.ids), responses: items.map(\.response), padTokenId: padTokenId,
                        temperature: temperature, valueHead: valueHead, valueThroughTrunk: config.valueTrunkGradient,
                        withEntropy: true)
                    let pg = ppoPolicyLoss(
                        logProbs: f.logProbs, oldLogProbs: items.flatMap(\.logProbs), advantages: items.flatMap(\.advantages),
                        clipRange: Float(config.cliprange))
                    let vf = ppoValueLoss(
                        values: f.values!, oldValues: items.flatMap(\.values), returns: items.flatMap(\.returns),
                        clipRange: Float(config.cliprangeValue))
                    let figures = [
                        pg.approxKL, pg.clipFraction, Double(pg.loss.item), Double(vf.loss.item), vf.clipFraction, f.entropy,
                        pg.ratioMean, pg.ratioVariance
                    ]
                    for (i, v) in figures.enumerated() { sums[i] += v }
                    count += 1
                    if pg.ratioMean > config.ratioThreshold {   // (a NaN ratio is not skipped: the non-finite guard takes it)
                        skipped += 1
                        report(
                            "warning: skipping a micro-batch of step \(state.globalStep + 1): mean ratio \(String(format: "%.2f", pg.ratioMean)) "
                                + "exceeds ratio_threshold \(config.ratioThreshold)")
                        return nil
                    }
                    return pg.loss + vf.loss * Float(config.vfCoef)
                }
                if core.nonFinite.failure != nil { break epochs }   // the run stops after this step
            }
        }
        // the means over every rank's micro-batches
        let total = core.summed(sums + [Double(count), Double(skipped)])
        var out: [String: Double] = [:]
        for (i, k) in keys.enumerated() { out[k] = total[i] / max(total[keys.count], 1) }
        out["policy/skipped_micro_batches"] = total[keys.count + 1]
        return out
    }
}

/// The value head's parameters with TRL's keys (`v_head.summary.weight`, `.bias`).
func valueHeadParameters(_ head: Linear) -> [(key: String, parameter: Parameter)] {
    [(key: "v_head.summary.weight", parameter: head.weight)] + (head.bias.map { [(key: "v_head.summary.bias", parameter: $0)] } ?? [])
}
