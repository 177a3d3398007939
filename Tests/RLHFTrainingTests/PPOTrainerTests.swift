// PPO end to end on tiny random decoders: a programmatic reward (the share of one chosen token in the
// response) is learnt, a stopped run resumes bit for bit, the reference is the base with adapters off,
// and bad configs are errors naming the key.

import Foundation
@testable import RLHFData
import XCTest
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTestSupport
@testable import RLHFTraining

/// Reward: the share of `token` among the response's tokens.
struct TokenShareReward: RewardFunction {
    let token: Int
    func scores(prompts: [PPOPrompt], responses: [[Int]]) -> [Double] {
        responses.map { r in Double(r.filter { $0 == token }.count) / Double(max(r.count, 1)) }
    }
}

final class PPOTrainerTests: XCTestCase {
    private func config(_ dir: String) -> PPOConfig {
        var c = PPOConfig()
        c.outputDir = dir
        c.responseLength = 8
        c.temperature = 1.0
        c.stopToken = .none
        c.perDeviceTrainBatchSize = 16
        c.learningRate = 3e-3
        c.lrSchedulerType = .constant
        c.klCoef = 0.01
        c.progress = false
        c.seed = 5
        return c
    }

    private func tempDir() -> String { (try? temporaryFolder("ppo", removedAfter: self)) ?? NSTemporaryDirectory() + "rlhf-ppo-\(UUID().uuidString)" }

    /// What one tiny PPO run learnt: the held-out score and KL before training, and both averaged over
    /// the evaluations in the last stretch of the run.
    struct TokenShareRun {
        var before: PPOEvaluation
        /// Mean over the evaluations at steps 60, 70, …, 100 of the held-out mean score and KL.
        var score: Double, kl: Double
        /// The last step's metrics.
        var last: [String: Double]
    }

    /// A full fine-tuned tiny decoder trained for a fixed 100 steps (no early stop) to emit token 3.
    /// `seed` drives everything random: the decoder's initialisation, the value head's, the rollout
    /// sampling and prompt order (`config.seed`) and the training prompts (seed 1 is the run this test made
    /// before it took five). The
    /// held-out figure is the mean of 5 evaluations (steps 60 to 100, 64 held-out prompts, 8 tokens
    /// each, sampled with a seed of their own), so no single sample or step decides it.
    func tokenShareRun(seed: UInt64) throws -> TokenShareRun {
        var c = config(tempDir())
        c.maxSteps = 100
        c.learningRate = 1e-3
        c.seed = 4 + Int(seed)
        var rng = RandomGenerator(seed: 76 + seed)
        let policy = try tinyLlamaDecoder(seed: seed), reference = try tinyLlamaDecoder(seed: seed)
        let trainer = try PPOTrainer(
            config: c, policy: policy, reference: reference, valueHead: makeValueHead(hiddenSize: 32, rng: &rng),
            reward: TokenShareReward(token: 3), prompts: tinyPrompts(64, seed: 8 + seed), eosTokenId: nil, padTokenId: 0)
        let held = tinyPrompts(64, seed: 123)
        let before = trainer.evaluate(held, seed: 1)
        var last: [String: Double] = [:]
        var evaluations: [PPOEvaluation] = []
        while trainer.state.globalStep < c.maxSteps {
            last = trainer.step()
            for k in ["objective/kl", "objective/scores", "loss/policy_avg", "loss/value_avg", "policy/approxkl_avg", "val/ratio"] {
                XCTAssertTrue(last[k]?.isFinite == true, "\(k) at step \(trainer.state.globalStep): \(String(describing: last[k]))")
            }
            let s = trainer.state.globalStep
            if s >= 60 && s % 10 == 0 { evaluations.append(trainer.evaluate(held, seed: UInt64(s))) }
        }
        let n = Double(evaluations.count)
        return TokenShareRun(
            before: before, score: evaluations.map(\.meanScore).reduce(0, +) / n,
            kl: evaluations.map(\.meanKL).reduce(0, +) / n, last: last)
    }

    /// Five runs of `tokenShareRun`, seeds `first ..< first + 5`: the mean over the runs of the held-out
    /// score and KL before training and over their last stretch.
    func tokenShareRuns(first: UInt64) throws -> (before: Double, score: Double, kl: Double, runs: [TokenShareRun]) {
        let runs = try (first..<(first + 5)).map { try tokenShareRun(seed: $0) }
        func mean(_ f: (TokenShareRun) -> Double) -> Double { runs.map(f).reduce(0, +) / Double(runs.count) }
        return (mean(\.before.meanScore), mean(\.score), mean(\.kl), runs)
    }

    /// Full fine-tuned tiny decoders learn to emit token 3: the held-out share rises from chance (1/16)
    /// to most of the response within 100 steps, while the KL to the reference grows but stays finite.
    /// One run's figure still swings from seed to seed (a run may start late, or dip by 0.3 for some
    /// steps once near 1: PPO at this learning rate), and float rounding that differs between CPUs (BLAS
    /// kernels) moves a run along another of those paths; so the test asserts on the mean of five runs,
    /// each the mean of five evaluations, with the threshold well below the spread measured across CPUs.
    func testTinyDecoderLearnsAProgrammaticReward() throws {
        let r = try tokenShareRuns(first: 1)
        for run in r.runs {
            XCTAssertLessThan(run.before.meanScore, 0.2, "a random decoder emits token 3 about 1/16 of the time")
            XCTAssertEqual(run.before.meanKL, 0, accuracy: 1e-6, "the policy starts as the reference")
            XCTAssertTrue(run.kl.isFinite)
            XCTAssertEqual(run.last["val/num_eos_tokens"], 0)
            XCTAssertEqual(run.last["val/response_length"], 8)
        }
        // The mean held-out score of 5 runs, measured for 8 sets of 5 runs (tokenShareRuns(first:) with
        // first = 1, 6, …, 36: seeds 1–40) on an AVX-512 machine, min / mean / max over the 8:
        //   OPENBLAS_CORETYPE unset    0.773 / 0.843 / 0.930
        //   OPENBLAS_CORETYPE=Haswell  0.778 / 0.851 / 0.929   (AVX2 kernels)
        //   untrained                  0.063 / 0.065 / 0.068   (chance: 1/16)
        // (RLHF_NUM_THREADS=1 and =8 give the unset figures exactly: these products are too small to split.)
        // A single run ranges from 0.25 to 0.99, so 0.5 needs two or three failed runs out of five.
        XCTAssertGreaterThan(r.score, 0.5, "held-out share of token 3, mean of 5 runs × steps 60–100")
        // The mean KL of the same sets: unset 15.1 / 17.2 / 19.6; Haswell 14.9 / 17.4 / 19.7; untrained 0.
        XCTAssertGreaterThan(r.kl, 5, "the policy moved away from the reference")
        print("tiny PPO (5 runs): held-out score \(r.before) → \(r.score) (mean of steps 60–100), KL \(r.kl)")
    }

    /// The metrics that depend only on the run (not on the clock).
    private func deterministic(_ m: [String: Double]) -> [String: Double] {
        m.filter { !$0.key.hasPrefix("time/") && $0.key != "eps" }
    }

    private func loraTrainer(_ c: PPOConfig) throws -> PPOTrainer {
        let policy = try tinyLlamaDecoder(seed: 2)
        policy.addLoRA(targets: ["q_proj", "v_proj", "up_proj"], rank: 4, alpha: 8, seed: 3)
        var rng = RandomGenerator(seed: 4)
        return try PPOTrainer(
            config: c, policy: policy, reference: nil, valueHead: makeValueHead(hiddenSize: 32, rng: &rng),
            reward: TokenShareReward(token: 5), prompts: tinyPrompts(24), eosTokenId: nil, padTokenId: 0)
    }

    /// Two steps, a checkpoint, a new process's worth of objects resuming from it, two more steps: the same
    /// metrics and weights, bit for bit, as four uninterrupted steps (LoRA policy, adaptive β, minibatches).
    func testResumedRunMatchesAnUninterruptedOneBitForBit() throws {
        var c = config(tempDir())
        c.perDeviceTrainBatchSize = 4
        c.gradientAccumulationSteps = 2
        c.numMiniBatches = 2
        c.numPPOEpochs = 2
        c.adaptiveKL = true
        c.klTarget = 0.01
        c.klHorizon = 100
        c.maxSteps = 4
        c.whitenRewards = true
        let straight = try loraTrainer(c)
        let straightMetrics = (0..<4).map { _ in deterministic(straight.step()) }

        var first = c
        first.outputDir = tempDir()
        let a = try loraTrainer(first)
        _ = a.step(); _ = a.step()
        let path = try a.saveCheckpoint()
        var resumed = first
        resumed.resumeFrom = path
        let b = try loraTrainer(resumed)
        XCTAssertEqual(b.state.globalStep, 2)
        XCTAssertEqual(b.klController, a.klController)
        let resumedMetrics = (0..<2).map { _ in deterministic(b.step()) }
        XCTAssertEqual(resumedMetrics, Array(straightMetrics[2...]))
        XCTAssertNotEqual(straightMetrics[3]["objective/kl_coef"], straightMetrics[0]["objective/kl_coef"], "β adapted")
        for ((k, p), (_, q)) in zip(straight.policy.loraParameters(), b.policy.loraParameters()) {
            XCTAssertEqual(p.value.scalars, q.value.scalars, k)
        }
        XCTAssertEqual(straight.valueHead.weight.value.scalars, b.valueHead.weight.value.scalars)
        XCTAssertEqual(straight.episode, b.episode)

        // a checkpoint of another trainer is refused, naming the folder
        var wrong = c
        wrong.resumeFrom = NSTemporaryDirectory()
        XCTAssertThrowsError(try loraTrainer(wrong)) { XCTAssertTrue("\($0)".contains("trainer_state.json"), "\($0)") }
    }

    /// With adapters, the reference log-probs are the base model's; a new adapter gives KL exactly 0.
    func testReferenceIsTheBaseWithAdaptersOff() throws {
        var c = config(tempDir())
        c.maxSteps = 1
        let t = try loraTrainer(c)
        var rng = RandomGenerator(seed: 1)
        let episodes = t.rollout(tinyPrompts(6), rng: &rng).episodes
        for e in episodes {   // the policy's come from the decoding pass, the reference's from a full forward
            for (a, b) in zip(e.logProbs, e.refLogProbs) { XCTAssertEqual(a, b, accuracy: 1e-5, "B = 0: policy == reference") }
        }
        _ = t.step()
        let moved = t.rollout(tinyPrompts(6), rng: &rng).episodes
        XCTAssertTrue(moved.contains { $0.logProbs != $0.refLogProbs }, "after a step the policy differs from the reference")
        let base = try tinyLlamaDecoder(seed: 2)
        base.eval()
        let e = moved[0]
        let baseLogProbs = withNoGrad {
            responseForward(base, prompts: [e.prompt.ids], responses: [e.response], padTokenId: 0, temperature: 1, valueHead: nil).logProbs.scalars
        }
        for (x, y) in zip(baseLogProbs, e.refLogProbs) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }

    /// The old log-probs and values read from the decoding pass (KV cache, left-padded prompts of several
    /// lengths, responses stopping at different points) equal those of a full forward over prompt + response.
    func testRolloutLogProbsAndValuesEqualAFullForward() throws {
        var c = config(tempDir())
        c.stopToken = .eos
        c.responseLength = 10
        let policy = try tinyLlamaDecoder(seed: 2)
        policy.addLoRA(targets: ["q_proj", "down_proj"], rank: 4, alpha: 8, seed: 3)
        for (_, a) in policy.loraAdapters() { var r = RandomGenerator(seed: 8); a.loraB.assign(Tensor.normal(a.loraB.shape, std: 0.1, using: &r)) }
        var rng = RandomGenerator(seed: 4)
        let t = try PPOTrainer(
            config: c, policy: policy, reference: nil, valueHead: makeValueHead(hiddenSize: 32, rng: &rng),
            reward: TokenShareReward(token: 5), prompts: tinyPrompts(8), eosTokenId: 7, padTokenId: 0)
        var sample = RandomGenerator(seed: 11)
        let episodes = t.rollout(tinyPrompts(8), rng: &sample).episodes
        XCTAssertTrue(episodes.contains { $0.stopped } && episodes.contains { !$0.stopped }, "some responses stop at EOS, some run out")
        XCTAssertGreaterThan(Set(episodes.map(\.prompt.ids.count)).count, 1, "prompts of several lengths (left padding)")
        let f = withNoGrad {
            responseForward(
                policy, prompts: episodes.map(\.prompt.ids), responses: episodes.map(\.response), padTokenId: 0,
                temperature: 1, valueHead: t.valueHead)
        }
        for (a, b) in zip(episodes.flatMap(\.logProbs), f.logProbs.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for (a, b) in zip(episodes.flatMap(\.values), f.values!.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(episodes.flatMap(\.values).count, f.values!.count)
    }

    /// Rows that share a prompt (GRPO's groups) run it once: the same log-probs, values and gradients (LoRA,
    /// value head through the trunk) as the whole rows, with prompts of several lengths and responses of
    /// several lengths.
    func testSharedPromptResponseForwardEqualsWholeRows() throws {
        let policy = try tinyLlamaDecoder(seed: 2)
        policy.addLoRA(targets: ["q_proj", "down_proj"], rank: 4, alpha: 8, seed: 3)
        for (_, a) in policy.loraAdapters() { var r = RandomGenerator(seed: 8); a.loraB.assign(Tensor.normal(a.loraB.shape, std: 0.1, using: &r)) }
        var rng = RandomGenerator(seed: 4)
        let head = makeValueHead(hiddenSize: 32, rng: &rng)
        let distinct = tinyPrompts(3).map(\.ids)
        XCTAssertGreaterThan(Set(distinct.map(\.count)).count, 1, "prompts of several lengths")
        let prompts = [distinct[0], distinct[1], distinct[0], distinct[2], distinct[1], distinct[0]]
        let responses = [[3, 4, 5], [6], [7, 8, 9, 10, 11], [12, 1], [2, 3, 4, 5], [9, 9]]
        XCTAssertEqual(distinctRows(prompts)?.rowOf, [0, 1, 0, 2, 1, 0])
        let parameters = policy.loraParameters().map(\.parameter) + head.parameters()
        func run(_ share: Bool) -> (logProbs: [Float], values: [Float], grads: [[Float]]) {
            for p in parameters { p.zeroGrad() }
            let f = responseForward(
                policy, prompts: prompts, responses: responses, padTokenId: 0, temperature: 0.7, valueHead: head, valueThroughTrunk: true,
                sharePrompts: share)
            let weights = Tensor((0..<f.logProbs.count).map { Float($0 % 5 + 1) }, shape: [f.logProbs.count])
            ((f.logProbs * weights).sum() + (f.values! * f.values!).sum()).backward()
            return (f.logProbs.scalars, f.values!.scalars, parameters.map { $0.grad?.scalars ?? [] })
        }
        let whole = run(false), shared = run(true)
        XCTAssertEqual(shared.logProbs.count, responses.joined().count)
        assertClose(shared.logProbs.map(Double.init), whole.logProbs.map(Double.init), abs: 1e-5, rel: 1e-5, "log-probs")
        assertClose(shared.values.map(Double.init), whole.values.map(Double.init), abs: 1e-5, rel: 1e-5, "values")
        for (a, b) in zip(shared.grads, whole.grads) {
            XCTAssertFalse(b.isEmpty)
            assertClose(a.map(Double.init), b.map(Double.init), abs: 1e-5, rel: 1e-4, "gradients")
        }
    }

    /// The rollout without a value head (GRPO's and RLOO's): the same responses, log-probs, reference
    /// log-probs and scores as with one, from the same generator, and no values.
    func testARolloutWithoutAValueHeadSamplesTheSameEpisodes() throws {
        let policy = try tinyLlamaDecoder(seed: 2), reference = try tinyLlamaDecoder(seed: 3)
        policy.eval(); reference.eval()
        var rng = RandomGenerator(seed: 4)
        let head = makeValueHead(hiddenSize: 32, rng: &rng)
        func sampler(_ valueHead: Linear?) -> RolloutSampler {
            RolloutSampler(
                policy: policy, reference: reference, valueHead: valueHead, reward: TokenShareReward(token: 5), responseLength: 6,
                temperature: 1, stopTokenIds: [7], missingEOSPenalty: 0.5, chunkSize: 3, padTokenId: 0)
        }
        var a = RandomGenerator(seed: 11), b = RandomGenerator(seed: 11)
        let withCritic = sampler(head).sample(tinyPrompts(8), rng: &a).episodes
        let criticFree = sampler(nil).sample(tinyPrompts(8), rng: &b).episodes
        XCTAssertEqual(criticFree.map(\.response), withCritic.map(\.response))
        XCTAssertEqual(criticFree.map(\.logProbs), withCritic.map(\.logProbs))
        XCTAssertEqual(criticFree.map(\.refLogProbs), withCritic.map(\.refLogProbs))
        XCTAssertEqual(criticFree.map(\.score), withCritic.map(\.score))
        XCTAssertTrue(criticFree.allSatisfy { $0.values.isEmpty })
        XCTAssertTrue(withCritic.allSatisfy { $0.values.count == $0.response.count })
        for e in withCritic {
            let share = TokenShareReward(token: 5).scores(prompts: [e.prompt], responses: [e.response])[0]
            XCTAssertEqual(e.score, share - (e.stopped ? 0 : 0.5), "the missing-EOS penalty applies to responses that run out")
        }
    }

    func testBadConfigValuesNameTheKey() throws {
        let cases: [(String, String)] = [
            ("--temperature", "0"), ("--num-ppo-epochs", "0"), ("--kl-estimator", "k2"),
            ("--cliprange", "-1"), ("--total-episodes", "0"), ("--total-episodes", "many"),
            ("--missing-eos-penalty", "-1")
        ]
        for (flag, value) in cases {
            let key = String(flag.dropFirst(2)).replacingOccurrences(of: "-", with: "_")
            do {
                let c = try PPOConfig.load(path: nil, overrides: ["--model", "m", "--reward-model", "r", "--train-file", "t", flag, value])
                if let problem = c.validate() { XCTAssertEqual(problem.key, key) } else { XCTFail("\(flag) \(value) was accepted") }
            } catch {
                XCTAssertTrue("\(error)".contains(key) || "\(error)".contains(flag), "\(error) should name \(key)")
            }
        }
    }
}
