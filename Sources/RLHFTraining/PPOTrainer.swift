// PPO for RLHF (TRL's PPO trainer, with the old trainer's adaptive KL controller and ratio threshold).
// One `step()` is one rollout batch:
//
//   1. rollout: the policy samples `response_length` tokens per prompt at `temperature`, stopping at EOS;
//   2. the policy's log-probs and values (from the decoding pass), and the frozen reference's log-probs
//      (logits / temperature);
//   3. the reward function scores each prompt + response, minus `missing_eos_penalty` without EOS;
//   4. token rewards: −β·KL per token (k1 or k3), plus the score on the last real token; optional
//      reward whitening;
//   5. GAE (γ, λ) for advantages and returns; advantages whitened over the batch;
//   6. `num_ppo_epochs` passes, each in `num_mini_batches` minibatches of `gradient_accumulation_steps`
//      micro-batches: clipped policy loss + vf_coef · clipped value loss, global-norm clipping, AdamW;
//   7. the KL controller moves β (adaptive) or keeps it (fixed).
//
// The policy may carry LoRA adapters; the reference is then the same model with adapters off. The value
// head is a Linear on the policy's final hidden states (one forward gives log-probs and values). By
// default the value loss trains the head alone (it reads the hidden states detached), so the critic's
// early, noisy errors do not push the policy's weights; `value_trunk_gradient` shares the trunk as old
// TRL's AutoModelForCausalLMWithValueHead did.

import Foundation
import RLHFData
import RLHFModels
import RLHFNN
import RLHFOptim
import RLHFTensor

/// Trains a policy with PPO against a reward function.
public final class PPOTrainer {
    public let config: PPOConfig
    public let policy: CausalLanguageModel
    /// A separate frozen reference; nil: the policy with its adapters off.
    public let reference: CausalLanguageModel?
    /// Linear(C, 1) on the policy's final hidden states.
    public let valueHead: Linear
    public let reward: PPORewardFunction
    public let prompts: [PPOPrompt]
    public let eosTokenId: Int?
    public let padTokenId: Int
    /// Tokens → text for sample tables.
    public let decode: ([Int]) -> String
    let optimizer: Adam
    /// Optimizer parameter keys: `policy.<key>` for the trained policy tensors, `v_head.summary.*`.
    let parameterKeys: [String]
    let policyParameters: [(key: String, parameter: Parameter)]
    let schedule: LRSchedule
    public internal(set) var state: TrainerState
    /// β and its controller.
    public internal(set) var klController: KLController
    /// Episodes (responses) trained on so far.
    public internal(set) var episode = 0
    /// Skips non-finite optimizer steps and says when the run must stop.
    public internal(set) var nonFinite: NonFiniteGuard
    let report: (String) -> Void
    /// Called after each step with the batch's episodes (sample tables).
    var lastEpisodes: [PPOEpisode] = []

    /// - Parameters:
    ///   - policy: the model to train; with LoRA adapters only they train (and `reference` may be nil).
    ///   - reference: a frozen copy of the initial policy; nil when the policy has adapters.
    ///   - valueHead: the value head (new or from `rlhf` checkpoints); it trains with the policy.
    ///   - prompts: the rollout prompts, visited in a shuffled order per epoch.
    /// - Throws: `CheckpointError` when resuming from a checkpoint that does not fit.
    public init(config: PPOConfig, policy: CausalLanguageModel, reference: CausalLanguageModel?, valueHead: Linear,
                reward: PPORewardFunction, prompts: [PPOPrompt], eosTokenId: Int?, padTokenId: Int,
                decode: @escaping ([Int]) -> String = { $0.map(String.init).joined(separator: " ") },
                report: @escaping (String) -> Void = { _ in }) throws {
        precondition(!prompts.isEmpty, "PPOTrainer: no prompts")
        let adapters = policy.loraParameters()
        precondition(reference != nil || !adapters.isEmpty, "PPOTrainer: a policy without adapters needs a separate reference")
        self.config = config; self.policy = policy; self.reference = reference; self.valueHead = valueHead
        self.reward = reward; self.prompts = prompts; self.eosTokenId = eosTokenId; self.padTokenId = padTokenId
        self.decode = decode; self.report = report
        nonFinite = NonFiniteGuard(limit: config.maxNonfiniteSteps)
        // dropout off everywhere, as TRL does for policy, reference, value and reward models
        policy.eval(); reference?.eval(); valueHead.eval()
        reference?.freeze()
        policyParameters = adapters.isEmpty ? policy.namedParameters().filter { $0.parameter.isTrainable } : adapters
        let named = policyParameters.map { ("policy." + $0.key, $0.parameter) }
            + [("v_head.summary.weight", valueHead.weight)] + (valueHead.bias.map { [("v_head.summary.bias", $0)] } ?? [])
        parameterKeys = named.map(\.0)
        optimizer = config.makeOptimizer(named.map(\.1))
        let total = config.ppoSteps(promptCount: prompts.count)
        schedule = config.schedule(totalSteps: total)
        state = TrainerState(globalStep: 0, totalSteps: total, epoch: 0, batchInEpoch: 0,
                             rng: RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed)), seed: config.seed, trainer: "ppo")
        klController = config.initialKLController
        for line in CheckpointFolder.recover(in: config.outputDir) { report(line) }
        if let resume = config.resumeFrom { try restore(from: resume) }
        state.stepBatchSize = config.batchSize
        state.trainExamples = prompts.count
    }

    // MARK: Rollout (steps 1–3)

    /// The next `count` prompts in this epoch's shuffled order (moving into the next epoch as needed).
    func nextPrompts(_ count: Int) -> [PPOPrompt] {
        var out: [PPOPrompt] = []
        while out.count < count {
            let order = epochOrder(count: prompts.count, seed: config.seed, epoch: state.epoch)
            out.append(prompts[order[state.batchInEpoch]])
            state.batchInEpoch += 1
            if state.batchInEpoch == prompts.count { state.epoch += 1; state.batchInEpoch = 0 }
        }
        return out
    }

    /// Generates and scores responses to `batch` with `rng`, in chunks of `local_rollout_forward_batch_size`.
    ///
    /// - Returns: the episodes, the seconds spent generating (which also gives the policy's log-probs and
    ///   values) and the seconds spent scoring (reference log-probs, reward).
    public func rollout(_ batch: [PPOPrompt], rng: inout RandomGenerator) -> (episodes: [PPOEpisode], generation: Double, scoring: Double) {
        var episodes: [PPOEpisode] = []
        var generationTime = 0.0, scoringTime = 0.0
        let stops: Set<Int> = config.stopToken == "eos" ? Set(eosTokenId.map { [$0] } ?? []) : []
        let generation = GenerationConfig(maxNewTokens: config.responseLength, temperature: Float(config.temperature), stopTokenIds: stops)
        let temperature = Float(config.temperature)
        for start in stride(from: 0, to: batch.count, by: config.localRolloutForwardBatchSize) {
            let chunk = Array(batch[start..<min(batch.count, start + config.localRolloutForwardBatchSize)])
            let t0 = Date()
            // the decoding pass gives the old log-probs (of logits / temperature, as TRL takes them from the
            // generation logits) and, through the value head on its hidden states, the values
            var stepValues: [[Float]] = []
            let out = generate(policy, prompts: chunk.map(\.ids), config: generation, padTokenId: padTokenId, rng: &rng,
                               onHidden: { h in stepValues.append(self.valueHead(h).scalars) })
            let t1 = Date()
            let queries = chunk.map(\.ids), responses = out.tokens, lengths = responses.map(\.count)
            let logProbs = out.logProbs.flatMap { $0 }
            let values = responses.indices.flatMap { i in responses[i].indices.map { stepValues[$0][i] } }
            let refLogProbs = withNoGrad { () -> [Float] in
                if let reference {
                    return responseForward(reference, prompts: queries, responses: responses, padTokenId: padTokenId,
                                           temperature: temperature, valueHead: nil).logProbs.scalars
                }
                return policy.withAdaptersDisabled {
                    responseForward(policy, prompts: queries, responses: responses, padTokenId: padTokenId,
                                    temperature: temperature, valueHead: nil).logProbs.scalars
                }
            }
            var scores = reward.scores(prompts: chunk, responses: responses)
            if let penalty = config.missingEOSPenalty {
                for i in scores.indices where !out.stopped[i] { scores[i] -= penalty }
            }
            let (lp, ref, v) = (splitRows(logProbs, lengths: lengths), splitRows(refLogProbs, lengths: lengths), splitRows(values, lengths: lengths))
            for i in chunk.indices {
                episodes.append(PPOEpisode(prompt: chunk[i], response: responses[i], stopped: out.stopped[i] && !stops.isEmpty,
                                           logProbs: lp[i], refLogProbs: ref[i], values: v[i], score: scores[i]))
            }
            generationTime += t1.timeIntervalSince(t0)
            scoringTime += Date().timeIntervalSince(t1)
        }
        return (episodes, generationTime, scoringTime)
    }

    /// Per-token KL estimates of each episode.
    func klRows(_ episodes: [PPOEpisode], estimator: KLEstimator) -> [[Double]] {
        episodes.map { e in zip(e.logProbs, e.refLogProbs).map { estimator(logProb: Double($0), refLogProb: Double($1)) } }
    }

    // MARK: One PPO step

    /// Rolls out one batch, computes advantages and updates policy and value head; returns TRL's metrics.
    public func step() -> [String: Double] {
        let started = Date()
        let batch = nextPrompts(config.batchSize)
        var (episodes, generationTime, scoringTime) = rollout(batch, rng: &state.rng)
        let beta = klController.value
        // 4. token rewards: −β·KL (the configured estimator) with the score on the last token
        let estimator = KLEstimator(rawValue: config.klEstimator) ?? .k1
        let kl = klRows(episodes, estimator: estimator)
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
        let lr = config.learningRate * schedule.multiplier(at: state.globalStep)
        let stats = update(episodes, learningRate: lr)
        let updateTime = Date().timeIntervalSince(t0)
        // 7. the KL controller sees the mean KL (k1, summed per response) of this batch
        let klPerResponse = klRows(episodes, estimator: .k1).map { $0.reduce(0, +) }
        let meanKL = klPerResponse.reduce(0, +) / Double(episodes.count)
        klController.update(currentKL: meanKL, episodes: episodes.count)
        if meanKL < -1 {   // TRL's threshold: small negative means are sampling noise of the k1 estimate
            report("warning: the mean KL of step \(state.globalStep + 1) is negative (\(String(format: "%.3f", meanKL))), often a sign of failing "
                   + "training: the policy samples tokens the reference finds likelier; check temperature and generation settings")
        }
        episode += episodes.count
        state.globalStep += 1
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
        m["time/generation"] = generationTime
        m["time/scoring"] = scoringTime
        m["time/update"] = updateTime
        return m
    }

    /// Step 6: the clipped losses over `num_ppo_epochs` passes of minibatches; returns the mean statistics.
    func update(_ episodes: [PPOEpisode], learningRate: Double) -> [String: Double] {
        optimizer.learningRate = learningRate
        let micro = config.perDeviceTrainBatchSize, perMinibatch = micro * config.gradientAccumulationSteps
        let temperature = Float(config.temperature)
        var sums: [String: Double] = [:], count = 0, skipped = 0
        let stepNumber = state.globalStep + 1
        epochs: for _ in 0..<config.numPPOEpochs {
            var order = Array(episodes.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(state.rng.next() % UInt64(i + 1))) }
            for mbStart in stride(from: 0, to: order.count, by: perMinibatch) {
                for p in optimizer.parameters { p.zeroGrad() }
                let minibatch = Array(order[mbStart..<min(order.count, mbStart + perMinibatch)])
                let accumulation = (minibatch.count + micro - 1) / micro
                var minibatchLoss = 0.0
                for s in stride(from: 0, to: minibatch.count, by: micro) {
                    let items = minibatch[s..<min(minibatch.count, s + micro)].map { episodes[$0] }
                    let f = responseForward(policy, prompts: items.map(\.prompt.ids), responses: items.map(\.response), padTokenId: padTokenId,
                                            temperature: temperature, valueHead: valueHead, valueThroughTrunk: config.valueTrunkGradient,
                                            withEntropy: true)
                    let pg = ppoPolicyLoss(logProbs: f.logProbs, oldLogProbs: items.flatMap(\.logProbs), advantages: items.flatMap(\.advantages),
                                           clipRange: Float(config.cliprange))
                    let vf = ppoValueLoss(values: f.values!, oldValues: items.flatMap(\.values), returns: items.flatMap(\.returns),
                                          clipRange: Float(config.cliprangeValue))
                    if pg.ratioMean > config.ratioThreshold {
                        skipped += 1
                        report("warning: skipping a micro-batch of step \(state.globalStep + 1): mean ratio \(String(format: "%.2f", pg.ratioMean)) "
                               + "exceeds ratio_threshold \(config.ratioThreshold)")
                    } else {
                        let loss = (pg.loss + vf.loss * Float(config.vfCoef)) * (1 / Float(accumulation))
                        loss.backward()
                        minibatchLoss += Double(loss.item)
                    }
                    for (k, v) in [("policy/approxkl_avg", pg.approxKL), ("policy/clipfrac_avg", pg.clipFraction),
                                   ("loss/policy_avg", Double(pg.loss.item)), ("loss/value_avg", Double(vf.loss.item)),
                                   ("val/clipfrac_avg", vf.clipFraction), ("policy/entropy_avg", f.entropy),
                                   ("val/ratio", pg.ratioMean), ("val/ratio_var", pg.ratioVariance)] {
                        sums[k, default: 0] += v
                    }
                    count += 1
                }
                _ = optimizerStep(optimizer, keys: parameterKeys, maxGradNorm: config.maxGradNorm, learningRate: learningRate,
                                  loss: minibatchLoss, step: stepNumber, guard: &nonFinite, report: report)
                if nonFinite.failure != nil { break epochs }   // the run stops after this step
            }
        }
        var out = sums.mapValues { $0 / Double(max(count, 1)) }
        out["policy/skipped_micro_batches"] = Double(skipped)
        return out
    }
}
