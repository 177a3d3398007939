// GRPO (TRL's GRPOTrainer): critic-free RL on rewards of whole completions, each prompt answered G times. One
// `step()` is one generation batch of `per_device_train_batch_size × gradient_accumulation_steps` completions
// per process (that over G prompts from the core's cursor):
//
//   1. each prompt sampled G times at `temperature` (completion g of prompt i draws from a generator seeded by
//      (seed, step, i·G + g), so the samples do not depend on the process or batch), stopping at EOS, with
//      log π_old from the decoding pass and, when β > 0, the reference's log-probs;
//   2. every reward function on every completion (`rewardsPerFunction`; nil: none; NaN is an error), the
//      weighted sum, and the group-relative advantages (`grpoAdvantages`) over all processes' completions;
//   3. `num_iterations` updates, each over the process's completions in micro-batches of
//      `per_device_train_batch_size`: the per-token clipped surrogate (+ β·k3 KL), aggregated as `loss_type`
//      (`grpoLoss`). With one iteration the old log-probs are the current ones detached (the ratio is 1, as
//      TRL has it); with more, they are the decoding pass's.
//
// RLOO (TRL's RLOOTrainer) is the same loop with three changes: β·Σₜ (log π_old − log π_ref) is subtracted
// from each completion's reward, the advantages are leave-one-out (`rlooAdvantages`), and the clipped
// surrogate is on each completion's summed log-probs (`rlooLoss`); its clip ratios count completions.
//
// Metrics with TRL's names: reward, reward_std, rewards/<name>/mean and /std, frac_reward_zero_std,
// completions/mean_length, /min_length, /max_length, /clipped_ratio, kl (β > 0; GRPO: the k3 estimate, RLOO:
// log π_old − log π_ref, per token), clip_ratio/low_mean, /high_mean, /region_mean, num_tokens; and, as PPO's,
// the wall-clock seconds time/generation, time/scoring (rewards and advantages) and time/update. One logged
// step is one generation batch (TRL logs each of its μ updates as a step of its own).

import Foundation
import RLHFData
import RLHFDistributed
import RLHFLogging
import RLHFModels
import RLHFNN
import RLHFTensor

/// A reward function that gives nothing: the sampler's scores are unused, the trainer calls its own functions.
struct NoSamplerReward: RewardFunction {
    func scores(prompts: [PPOPrompt], responses: [[Int]]) -> [Double] { Array(repeating: 0, count: responses.count) }
}

/// Which critic-free estimator a `GRPOTrainer` runs.
public enum CriticFreeEstimator: Sendable, Equatable {
    /// GRPO: group-relative advantages, the per-token clipped surrogate (+ β·k3 KL in the loss).
    case grpo
    /// RLOO: the KL folded into the reward, leave-one-out advantages (optionally normalised over the batch),
    /// the clipped surrogate on each completion's summed log-probs.
    case rloo(normalizeAdvantages: Bool)
}

/// GRPO (or RLOO) on a policy (LoRA or full) with programmatic and model rewards.
public final class GRPOTrainer: TrainingAlgorithm {
    /// The run's settings.
    public let config: GRPOConfig
    /// The config as YAML (written as `config.yaml` beside the metrics).
    public var configYAML: String? { config.yamlText }
    /// GRPO or RLOO.
    public let estimator: CriticFreeEstimator
    /// The policy being trained.
    public let policy: CausalLanguageModel
    /// The frozen reference of a full fine-tune with β > 0 (nil: none, or the policy with adapters off).
    public let reference: CausalLanguageModel?
    /// The reward functions, in `reward_funcs` order.
    public let rewardFunctions: [CompletionReward]
    /// Their weights.
    public let rewardWeights: [Double]
    /// The training prompts.
    public let prompts: [PPOPrompt]
    /// Held-out prompts evaluated every `eval_steps` and at the end.
    public var evalPrompts: [PPOPrompt] = []
    /// Policy tokens → text (special tokens dropped).
    public let decode: ([Int]) -> String
    /// Samples the completions.
    public let sampler: RolloutSampler
    /// Cursor, optimizer, schedule, state and checkpoints.
    public let core: TrainerCore
    /// Writes user-facing files (the merged policy, adapters) into each checkpoint.
    public var checkpointExport: ((String) throws -> Void)?
    /// The error that stopped the last step (a failing reward function).
    public private(set) var stepFailure: Error?
    /// Completion tokens trained on (TRL's `num_tokens` counts prompts too; ours counts completions).
    public private(set) var tokensSeen = 0
    let padTokenId: Int

    /// The run's position (step, cursor, RNG).
    public var state: TrainerState { core.state }
    /// Skips non-finite steps and says when the run must stop.
    public var nonFinite: NonFiniteGuard { core.nonFinite }

    /// A trainer over loaded models and prompts (resuming from `config.resumeFrom` when set: the adapters
    /// or weights must already be in `policy`; the optimizer and cursor are read here).
    ///
    /// - Parameter reference: a frozen copy, for a full fine-tune with β > 0 (LoRA: nil, the adapters go off).
    public init(
        config: GRPOConfig, estimator: CriticFreeEstimator = .grpo, policy: CausalLanguageModel, reference: CausalLanguageModel?,
        rewards: [CompletionReward], prompts: [PPOPrompt], eosTokenId: Int?, padTokenId: Int,
        decode: @escaping ([Int]) -> String = { $0.map(String.init).joined(separator: " ") }, report: @escaping (String) -> Void = { _ in },
        group: ProcessGroup = .world
    ) throws {
        self.estimator = estimator
        precondition(!prompts.isEmpty, "GRPOTrainer: no prompts")
        let adapters = policy.loraParameters()
        precondition(config.beta == 0 || reference != nil || !adapters.isEmpty, "GRPOTrainer: β > 0 without adapters needs a separate reference")
        self.config = config; self.policy = policy; self.reference = reference; self.prompts = prompts
        self.decode = decode; self.padTokenId = padTokenId
        rewardFunctions = rewards
        rewardWeights = config.rewardWeights == nil ? Array(repeating: 1, count: rewards.count) : (config.rewardWeightValues ?? [])
        precondition(rewardWeights.count == rewards.count, "GRPOTrainer: \(rewardWeights.count) weights for \(rewards.count) reward functions")
        policy.eval(); reference?.eval()   // dropout off (TRL's disable_dropout)
        reference?.freeze()
        var s = RolloutSampler(
            policy: policy, reference: reference, valueHead: nil, reward: NoSamplerReward(), responseLength: config.maxCompletionLength,
            temperature: config.temperature, stopTokenIds: Set(eosTokenId.map { [$0] } ?? []), missingEOSPenalty: nil,
            chunkSize: config.perDeviceTrainBatchSize, padTokenId: padTokenId)
        s.computesReference = config.beta > 0
        sampler = s
        let named = adapters.isEmpty ? policy.namedParameters().filter { $0.parameter.isTrainable } : adapters
        let kind: TrainerKind = estimator == .grpo ? .grpo : .rloo
        let resumed = try TrainerCore.prepare(config.run, kind: kind, report: report)
        let perStep = config.promptsPerStep * group.size
        let total =
            config.maxSteps > 0 ? config.maxSteps : max(1, Int((config.numTrainEpochs * Double(prompts.count) / Double(perStep)).rounded(.up)))
        core = try TrainerCore(
            run: config.run, kind: kind, parameters: named, exampleCount: prompts.count, cursorUnit: .example, totalSteps: total,
            stepBatchSize: config.promptsPerStep, rng: RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed)), resumed: resumed,
            group: group, report: report)
        tokensSeen = resumed?.tokensSeen ?? 0
    }

    // MARK: One step

    /// Samples one generation batch, rewards it and updates the policy (steps 1–3 of the header); TRL's metrics.
    public func step() -> [String: Double] {
        let g = config.numGenerations, step = state.globalStep
        // 1. this process's whole groups of the global batch's prompts
        let global = core.nextExamples(config.promptsPerStep * core.group.size)
        let mine = Array(global[core.share(of: global.count)])
        let batch = mine.flatMap { i in Array(repeating: prompts[i], count: g) }
        let seeds = mine.flatMap { i in (0..<g).map { promptSeed(config.seed, step: step, index: i * g + $0) } }
        let t0 = Date()
        let episodes = sampler.sample(batch, seeds: seeds).episodes
        let t1 = Date()
        // 2. rewards (a failing function stops the run before any update or collective), advantages over all processes
        let texts = episodes.map { decode($0.response) }
        let table: [[Double?]]
        do {
            table = try rewardsPerFunction(rewardFunctions, prompts: batch, completions: texts, completionIds: episodes.map(\.response))
        } catch {
            if core.group.isDistributed { let _: Void = core.communicate { throw error } }   // the job stops, naming it
            stepFailure = error
            return [:]
        }
        var local = weightedRewards(table, weights: rewardWeights)
        var sequenceKL = 0.0, klTokens = 0.0
        if case .rloo = estimator, config.beta > 0 {
            // RLOO folds β × Σₜ (log π_old − log π_ref) of each completion into its reward
            for (i, e) in episodes.enumerated() {
                let kl = zip(e.logProbs, e.refLogProbs).reduce(0.0) { $0 + Double($1.0 - $1.1) }
                local[i] -= config.beta * kl
                sequenceKL += kl; klTokens += Double(e.response.count)
            }
        }
        let allRewards = core.gathered(local.map(Float.init)).map(Double.init)
        let allAdvantages: [Double]
        switch estimator {
        case .grpo: allAdvantages = grpoAdvantages(rewards: allRewards, groupSize: g, scaling: config.scaleRewards)
        case .rloo(let normalize): allAdvantages = rlooAdvantages(rewards: allRewards, groupSize: g, normalize: normalize)
        }
        let offset = core.share(of: global.count).lowerBound * g   // every process has as many prompts
        let advantages = Array(allAdvantages[offset..<(offset + local.count)]).map(Float.init)
        let t2 = Date()
        // 3. μ updates over micro-batches of completions
        let micro = config.perDeviceTrainBatchSize
        let chunks = stride(from: 0, to: episodes.count, by: micro).map { Array($0..<min(episodes.count, $0 + micro)) }
        let localTokens = episodes.reduce(0) { $0 + $1.response.count }
        let batchTokens = Int(core.summed([Double(localTokens)])[0])
        var clip = (low: 0.0, high: 0.0, tokens: 0.0), kl = 0.0
        var lastUpdate = OptimizerUpdate(loss: 0, gradNorm: 0, applied: true)
        let lr = core.learningRate
        for iteration in 0..<config.numIterations {
            lastUpdate = core.update(microBatches: chunks.count, learningRate: lr) { k in
                let rows = chunks[k].filter { !episodes[$0].response.isEmpty }
                guard !rows.isEmpty else { return nil }
                let forward = responseForward(
                    policy, prompts: rows.map { episodes[$0].prompt.ids }, responses: rows.map { episodes[$0].response }, padTokenId: padTokenId,
                    temperature: Float(config.temperature), valueHead: nil)
                let rowOf = rows.enumerated().flatMap { j, i in Array(repeating: j, count: episodes[i].response.count) }
                let old = config.numIterations == 1 ? forward.logProbs.detached().scalars : rows.flatMap { episodes[$0].logProbs }
                if case .rloo = estimator {
                    // the clipped surrogate on each completion's summed log-probs
                    let sums = dpoSums(forward.logProbs, rowOf: rowOf, pairs: rows.count).chosen   // rows < B: every row's sum
                    let oldSums = (0..<rows.count).map { j in zip(rowOf, old).reduce(Float(0)) { $0 + ($1.0 == j ? $1.1 : 0) } }
                    let ratio = zip(sums.detached().scalars, oldSums).map { exp($0 - $1) }
                    if iteration == config.numIterations - 1 {
                        for (j, i) in rows.enumerated() {
                            let a = advantages[i], r = ratio[j], eps = Float(config.epsilon), high = Float(config.epsilonHigh ?? config.epsilon)
                            if r < 1 - eps && a < 0 { clip.low += 1 }
                            if r > 1 + high && a > 0 { clip.high += 1 }
                            clip.tokens += 1
                        }
                    }
                    return rlooLoss(
                        sequenceLogProbs: sums, oldSequenceLogProbs: oldSums, advantages: rows.map { advantages[$0] }, epsilon: Float(config.epsilon),
                        epsilonHigh: Float(config.epsilonHigh ?? config.epsilon))
                }
                let out = grpoLoss(
                    logProbs: forward.logProbs, oldLogProbs: old,
                    referenceLogProbs: config.beta > 0 ? rows.flatMap { episodes[$0].refLogProbs } : nil,
                    advantages: rows.map { advantages[$0] }, rowOf: rowOf, epsilon: Float(config.epsilon),
                    epsilonHigh: Float(config.epsilonHigh ?? config.epsilon), beta: Float(config.beta), type: config.lossType,
                    maxCompletionLength: config.maxCompletionLength, generationBatchTokens: batchTokens)
                if iteration == config.numIterations - 1 {
                    let n = Double(rowOf.count)
                    clip.low += out.lowClipped * n; clip.high += out.highClipped * n; clip.tokens += n; kl += out.meanKL * n
                }
                // dapo: the core averages micro-batches and ranks; undo both so the sum is over the batch's tokens
                return config.lossType == .dapo ? out.loss * Float(chunks.count * core.group.size) : out.loss
            }
        }
        core.finishStep()
        tokensSeen += batchTokens
        var m = metrics(table: table, rewards: allRewards, episodes: episodes, update: lastUpdate, learningRate: lr, clip: clip, kl: kl)
        m["time/generation"] = t1.timeIntervalSince(t0)
        m["time/scoring"] = t2.timeIntervalSince(t1)
        m["time/update"] = Date().timeIntervalSince(t2)
        if case .rloo = estimator, config.beta > 0 {
            let k = core.summed([sequenceKL, klTokens])
            m["kl"] = k[1] > 0 ? k[0] / k[1] : 0   // per token, as TRL's RLOO logs it
        }
        return m
    }

    /// TRL's metrics of a generation batch (over every process).
    func metrics(
        table: [[Double?]], rewards: [Double], episodes: [RolloutEpisode], update: OptimizerUpdate, learningRate: Double,
        clip: (low: Double, high: Double, tokens: Double), kl: Double
    ) -> [String: Double] {
        let g = config.numGenerations
        var m: [String: Double] = ["loss": update.loss, "grad_norm": update.gradNorm, "learning_rate": learningRate, "num_tokens": Double(tokensSeen)]
        let scorable = rewards.filter { !$0.isNaN }
        m["reward"] = nanMean(rewards[...])
        m["reward_std"] = scorable.count > 1 ? nanStd(rewards[...]) : 0
        let groups = stride(from: 0, to: rewards.count, by: g).map { rewards[$0..<min(rewards.count, $0 + g)] }
        m["frac_reward_zero_std"] = Double(groups.filter { (nanStd($0).isNaN ? 0 : nanStd($0)) < 1e-8 }.count) / Double(max(groups.count, 1))
        for (f, function) in rewardFunctions.enumerated() {
            let all = core.gathered(table.map { Float($0[f] ?? .nan) }).map(Double.init)
            m["rewards/\(function.name)/mean"] = nanMean(all[...])
            m["rewards/\(function.name)/std"] = nanStd(all[...])
        }
        let lengths = core.gathered(episodes.map { Float($0.response.count) }), stopped = core.summed([Double(episodes.filter(\.stopped).count)])[0]
        m["completions/mean_length"] = lengths.reduce(0.0) { $0 + Double($1) } / Double(max(lengths.count, 1))
        m["completions/min_length"] = Double(lengths.min() ?? 0)
        m["completions/max_length"] = Double(lengths.max() ?? 0)
        m["completions/clipped_ratio"] = 1 - stopped / Double(max(lengths.count, 1))
        let c = core.summed([clip.low, clip.high, clip.tokens, kl])
        m["clip_ratio/low_mean"] = c[2] > 0 ? c[0] / c[2] : 0
        m["clip_ratio/high_mean"] = c[2] > 0 ? c[1] / c[2] : 0
        m["clip_ratio/region_mean"] = c[2] > 0 ? (c[0] + c[1]) / c[2] : 0
        if config.beta > 0 { m["kl"] = c[2] > 0 ? c[3] / c[2] : 0 }
        return m
    }

    // MARK: Evaluation

    /// One completion per held-out prompt (prompt i seeded by (seed, i), so every evaluation of the same
    /// policy samples alike) and the mean of each reward function over them (`rewards/<name>/mean`, `reward`).
    public func evaluate() -> [String: Double] {
        guard !evalPrompts.isEmpty else { return [:] }
        let held = config.evalSamples > 0 ? Array(evalPrompts.prefix(config.evalSamples)) : evalPrompts
        let mine = Array(core.share(of: held.count))
        var scorer = sampler
        scorer.computesReference = false   // the evaluation reads no reference log-probs
        let episodes = scorer.sample(mine.map { held[$0] }, seeds: mine.map { promptSeed(config.seed, step: -1, index: $0) }).episodes
        guard
            let table = try? rewardsPerFunction(
                rewardFunctions, prompts: episodes.map(\.prompt), completions: episodes.map { decode($0.response) },
                completionIds: episodes.map(\.response))
        else { return [:] }
        var m: [String: Double] = [:]
        let weighted = core.gathered(weightedRewards(table, weights: rewardWeights).map(Float.init)).map(Double.init)
        m["reward"] = nanMean(weighted[...])
        for (f, function) in rewardFunctions.enumerated() {
            m["rewards/\(function.name)/mean"] = nanMean(core.gathered(table.map { Float($0[f] ?? .nan) }).map(Double.init)[...])
        }
        m["completions/mean_length"] = Double(core.summed([Double(episodes.reduce(0) { $0 + $1.response.count })])[0]) / Double(held.count)
        return m
    }

    // MARK: Checkpoints

    /// Writes `<output_dir>/checkpoint-<step>` atomically: the export's files, the optimizer and the state.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        try core.saveCheckpoint(amend: { $0.tokensSeen = tokensSeen }, files: { dir in try checkpointExport?(dir) })
    }

    // MARK: TrainingAlgorithm

    /// Whether held-out prompts were given.
    public var hasEvaluation: Bool { !evalPrompts.isEmpty }
    /// `saveCheckpoint()`.
    public func writeCheckpoint() throws -> String { try saveCheckpoint() }
    /// Reward and completion length.
    public var progressFigures: [(label: String, key: String)] { [("reward", "reward"), ("len", "completions/mean_length")] }
    /// The learning rate and token count, at their last value.
    public var latestMetricKeys: Set<String> { ["learning_rate", "num_tokens"] }

    /// Runs to the last step with logging, evaluation (held-out prompts) and checkpoints as configured.
    ///
    /// - Returns: the final evaluation metrics and the last checkpoint path.
    public func train(logger: TrainingLogger? = nil) throws -> (eval: [String: Double], checkpoint: String) {
        try runLoop(logger: logger)
    }
}
