// Rollouts: a policy answers prompts by sampling, keeping each token's log-prob; a value head (optional:
// PPO has one, GRPO and RLOO do not) reads the decoding pass's hidden states; the frozen reference reads
// the answers; the reward function scores them. One piece, used by every RL trainer.
//
//   for each chunk of `chunkSize` prompts:
//     1. generate up to `responseLength` tokens at `temperature`, stopping at a stop token; the decoding
//        pass gives log π_old of each token (of logits / temperature) and, with a value head, its value;
//     2. the reference's log-probs of the same tokens (one forward over [prompt | response]; with LoRA,
//        the policy with its adapters off);
//     3. the reward function's score per response, minus `missingEOSPenalty` for one that never stopped.

import Foundation
import RLHFData
import RLHFModels
import RLHFNN
import RLHFTensor

/// Scores whole responses (a sequence-level reward).
public protocol RewardFunction {
    /// One score per response. Responses are policy tokens, ending with the stop token when one was made.
    func scores(prompts: [PPOPrompt], responses: [[Int]]) -> [Double]
}

/// A reward model reading decoded text, so that it may use a tokenizer of its own.
public struct RewardModelScorer: RewardFunction {
    /// The reward model (put in evaluation mode).
    public let model: RewardModel
    /// Policy tokens → text (special tokens such as EOS dropped).
    public let decode: ([Int]) -> String
    /// Responses per reward-model forward.
    public var batchSize: Int
    /// Longest reward-model input in its tokens (longer ones keep their start and closing token).
    public var maxLength: Int

    /// A scorer over `model`; puts the model in evaluation mode.
    public init(model: RewardModel, decode: @escaping ([Int]) -> String, batchSize: Int = 32, maxLength: Int = 512) {
        self.model = model; self.decode = decode; self.batchSize = batchSize; self.maxLength = maxLength
        model.eval()
    }

    /// The reward model's score of each prompt + decoded response.
    public func scores(prompts: [PPOPrompt], responses: [[Int]]) -> [Double] {
        let items = zip(prompts, responses).map { (prompt: Optional($0.text), response: decode($1)) }
        return model.score(items, batchSize: batchSize, maxLength: maxLength).map(Double.init)
    }
}

/// One episode: a prompt, the response and what the trainers compute about it (per response token).
public struct RolloutEpisode: Sendable {
    /// The prompt answered.
    public var prompt: PPOPrompt
    /// The sampled response tokens (with the stop token when one was made).
    public var response: [Int]
    /// Whether the response ended with the stop token.
    public var stopped: Bool
    /// log π_old(token) (of logits / temperature), at rollout.
    public var logProbs: [Float]
    /// log π_ref(token) (of logits / temperature), at rollout.
    public var refLogProbs: [Float]
    /// Value of the state before each token, at rollout (empty without a value head).
    public var values: [Float]
    /// The reward function's score (after the missing-EOS penalty).
    public var score: Double
    /// Per-token advantages (set by the trainer).
    public var advantages: [Float] = []
    /// Per-token returns (set by trainers with a value function).
    public var returns: [Float] = []
}

/// A batch of episodes with the time spent on it.
public struct Rollout: Sendable {
    /// One episode per prompt, in the prompts' order.
    public var episodes: [RolloutEpisode]
    /// Seconds spent generating (which also gives the policy's log-probs and values).
    public var generation: Double
    /// Seconds spent scoring (reference log-probs, rewards).
    public var scoring: Double
}

/// Samples responses with their log-probs, reference log-probs, optional values and scores.
public struct RolloutSampler {
    /// The policy that answers.
    public let policy: CausalLanguageModel
    /// A separate frozen reference; nil: the policy with its adapters off.
    public let reference: CausalLanguageModel?
    /// Whether the reference's log-probs are computed (false: episodes get none; GRPO with β = 0).
    public var computesReference = true
    /// Linear(C, 1) on the policy's final hidden states; nil: no values (critic-free methods).
    public let valueHead: Linear?
    /// Scores whole responses.
    public let reward: RewardFunction
    /// New tokens per response at most.
    public var responseLength: Int
    /// Sampling temperature; log-probs are of logits / temperature.
    public var temperature: Double
    /// Tokens that end a response (empty: responses run to `responseLength`).
    public var stopTokenIds: Set<Int>
    /// Subtracted from the score of a response that did not stop (nil: none).
    public var missingEOSPenalty: Double?
    /// Prompts per no-gradient forward.
    public var chunkSize: Int
    /// The pad token of forward batches.
    public let padTokenId: Int

    /// A sampler; see the properties.
    public init(
        policy: CausalLanguageModel, reference: CausalLanguageModel?, valueHead: Linear?, reward: RewardFunction,
        responseLength: Int, temperature: Double, stopTokenIds: Set<Int>, missingEOSPenalty: Double?, chunkSize: Int, padTokenId: Int
    ) {
        self.policy = policy; self.reference = reference; self.valueHead = valueHead; self.reward = reward
        self.responseLength = responseLength; self.temperature = temperature; self.stopTokenIds = stopTokenIds
        self.missingEOSPenalty = missingEOSPenalty; self.chunkSize = chunkSize; self.padTokenId = padTokenId
    }

    /// Answers `batch` (steps 1–3 of the header), every prompt drawing from one generator, `rng`.
    public func sample(_ batch: [PPOPrompt], rng: inout RandomGenerator) -> Rollout {
        sample(batch) { model, prompts, _, config, onHidden in
            generate(model, prompts: prompts, config: config, padTokenId: padTokenId, rng: &rng, onHidden: onHidden)
        }
    }

    /// Answers `batch`, prompt `i` drawing from a generator of its own seeded with `seeds[i]`: what a
    /// prompt samples does not depend on which other prompts share its batch (or its process).
    public func sample(_ batch: [PPOPrompt], seeds: [UInt64]) -> Rollout {
        precondition(seeds.count == batch.count, "sample: \(seeds.count) seeds for \(batch.count) prompts")
        return sample(batch) { model, prompts, range, config, onHidden in
            var rngs = seeds[range].map { RandomGenerator(seed: $0) }
            return generate(model, prompts: prompts, config: config, padTokenId: padTokenId, rngs: &rngs, onHidden: onHidden)
        }
    }

    /// The rollout around a decoding function (given the chunk's prompts and their range in the batch).
    private func sample(
        _ batch: [PPOPrompt],
        decoding: (CausalLanguageModel, [[Int]], Range<Int>, GenerationConfig, ((Tensor) -> Void)?) -> GenerationOutput
    ) -> Rollout {
        var episodes: [RolloutEpisode] = []
        var generationTime = 0.0, scoringTime = 0.0
        let generation = GenerationConfig(maxNewTokens: responseLength, temperature: Float(temperature), stopTokenIds: stopTokenIds)
        let temperature = Float(self.temperature)
        for start in stride(from: 0, to: batch.count, by: chunkSize) {
            let chunk = Array(batch[start..<min(batch.count, start + chunkSize)])
            let t0 = Date()
            // 1. the decoding pass gives the old log-probs (of logits / temperature, as TRL takes them from the
            //    generation logits) and, through the value head on its hidden states, the values
            var stepValues: [[Float]] = []
            let onHidden: ((Tensor) -> Void)? = valueHead.map { head in { h in stepValues.append(head(h).scalars) } }
            let out = decoding(policy, chunk.map(\.ids), start..<(start + chunk.count), generation, onHidden)
            let t1 = Date()
            let queries = chunk.map(\.ids), responses = out.tokens, lengths = responses.map(\.count)
            let logProbs = out.logProbs.flatMap { $0 }
            let values = valueHead == nil ? [] : responses.indices.flatMap { i in responses[i].indices.map { stepValues[$0][i] } }
            // 2. the reference's log-probs
            let refLogProbs = withNoGrad { () -> [Float] in
                if !computesReference { return [] }
                if let reference {
                    return responseForward(
                        reference, prompts: queries, responses: responses, padTokenId: padTokenId,
                        temperature: temperature, valueHead: nil
                    ).logProbs.scalars
                }
                return policy.withAdaptersDisabled {
                    responseForward(
                        policy, prompts: queries, responses: responses, padTokenId: padTokenId,
                        temperature: temperature, valueHead: nil
                    ).logProbs.scalars
                }
            }
            // 3. scores
            var scores = reward.scores(prompts: chunk, responses: responses)
            if let penalty = missingEOSPenalty {
                for i in scores.indices where !out.stopped[i] { scores[i] -= penalty }
            }
            let lp = splitRows(logProbs, lengths: lengths)
            let ref = computesReference ? splitRows(refLogProbs, lengths: lengths) : Array(repeating: [], count: lengths.count)
            let v = valueHead == nil ? Array(repeating: [], count: lengths.count) : splitRows(values, lengths: lengths)
            for i in chunk.indices {
                episodes.append(
                    RolloutEpisode(
                        prompt: chunk[i], response: responses[i], stopped: out.stopped[i] && !stopTokenIds.isEmpty,
                        logProbs: lp[i], refLogProbs: ref[i], values: v[i], score: scores[i]))
            }
            generationTime += t1.timeIntervalSince(t0)
            scoringTime += Date().timeIntervalSince(t1)
        }
        return Rollout(episodes: episodes, generation: generationTime, scoring: scoringTime)
    }
}

/// Per-token KL estimates of each episode (log π_old against log π_ref at each response token).
func klRows(_ episodes: [RolloutEpisode], estimator: KLEstimator) -> [[Double]] {
    episodes.map { e in zip(e.logProbs, e.refLogProbs).map { estimator(logProb: Double($0), refLogProb: Double($1)) } }
}
