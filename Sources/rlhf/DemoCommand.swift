// `rlhf demo kl-loss` and `rlhf demo toy`: the KL-penalised objective of the original description;
// `rlhf demo reward`: its reward-model example on MiniLM.

import ArgumentParser
import Foundation
import RLHFTensor
import RLHFTraining

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Small runnable demonstrations.",
        subcommands: [KLLoss.self, Toy.self, Reward.self]
    )
}

extension Demo {
    struct KLLoss: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kl-loss",
            abstract: "The KL-penalised loss −reward + β·KL on mock log-probabilities (batch 2, 10 tokens).",
            discussion:
                "Policy and SFT log-probabilities are those of sampled tokens under two seeded random models over a 16-token vocabulary; KL = mean_t(log π_RL − log π_SFT)."
        )

        @Option(help: "KL coefficient β.")
        var beta: Float = 0.02

        @Option(help: "Random seed.")
        var seed: UInt64 = 0

        func run() throws {
            var rng = RandomGenerator(seed: seed)
            let (b, t, v) = (2, 10, 16)
            // a policy, and an SFT reference that differs from it a little
            let policyLogits = Tensor.normal([b * t, v], using: &rng)
            let refLogits = policyLogits + Tensor.normal([b * t, v], std: 0.3, using: &rng)
            let tokens = Tensor.categorical(logits: policyLogits, using: &rng)
            let policyLP = selectiveLogSoftmax(policyLogits, ids: tokens).reshaped([b, t])
            let refLP = selectiveLogSoftmax(refLogits, ids: tokens).reshaped([b, t])
            let rewards = Tensor([2.5, -0.3])
            let out = klPenalizedLoss(policyLogProbs: policyLP, referenceLogProbs: refLP, rewards: rewards, beta: beta)
            func fmt(_ xs: [Float]) -> String { "[" + xs.map { String(format: "%.4f", $0) }.joined(separator: ", ") + "]" }
            print("beta:                 \(beta)")
            print("rewards:              \(fmt(rewards.scalars))")
            print("KL per example:       \(fmt(out.kl.scalars))   (mean_t log π_RL − log π_SFT)")
            print("loss per example:     \(fmt(out.perExample.scalars))   (−reward + β·KL)")
            print("mean loss:            \(String(format: "%.4f", out.mean.item))")
        }
    }

    struct Toy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A scalar policy pulled towards reward and held back by KL to an SFT baseline.",
            discussion: """
                Policy: log π(x) = −0.1(x − mean)², mean learnable from 0.5; SFT baseline: mean fixed at 0.
                Each epoch draws 5 samples x = mean + ε (ε ~ N(0,1), gradients flow through x).
                Reward: −2(x − 1)², peaked at 1.0 (the original description wrote 2(x − 1)², whose minimum, not peak, is at 1.0).
                Loss: −mean(reward) + β·mean(log π_RL(x) − log π_SFT(x)), Adam lr 0.1.
                Expected optimum: mean* = 4 / (4 + 0.2β): 1.0 at β = 0, 0.8 at β = 5, 0.5 at β = 20.
                """)

        @Option(help: "KL coefficient β (≥ 0).")
        var beta: Float = 5

        @Option(help: "Number of epochs (≥ 1).")
        var epochs: Int = 300

        @Option(help: "Random seed.")
        var seed: UInt64 = 0

        @Flag(help: "One JSON object per epoch: {\"epoch\", \"loss\", \"reward\", \"kl\", \"mean\"}.")
        var json = false

        func validate() throws {
            guard beta >= 0, beta.isFinite else { throw ValidationError("--beta must be a finite number ≥ 0, got \(beta)") }
            guard epochs >= 1 else { throw ValidationError("--epochs must be ≥ 1, got \(epochs)") }
        }

        func run() throws {
            let toy = ToyKLPolicy(beta: beta)
            let every = max(1, epochs / 20)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if !json { print("epoch        loss      reward          kl        mean") }
            toy.train(epochs: epochs, seed: seed) { e in
                if json {
                    print(String(decoding: try! encoder.encode(e), as: UTF8.self))
                } else if e.epoch % every == 0 || e.epoch == 1 || e.epoch == epochs {
                    print(String(format: "%5d  %10.4f  %10.4f  %10.4f  %10.4f", e.epoch, e.loss, e.reward, e.kl, e.mean))
                }
            }
            if !json {
                print(String(format: "expected optimum mean* = 4 / (4 + 0.2·β) = %.4f", toy.optimalMean))
            }
        }
    }
}
