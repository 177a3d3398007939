// The original description's toy: a scalar Gaussian-like policy with a learnable mean, pulled by a
// reward peaked at 1.0 and held back by a KL penalty towards an SFT baseline fixed at 0.
//
//   log π(x | m) = −0.1 (x − m)²       (π_RL with mean m; π_SFT with mean 0)
//   x = m + ε, ε ~ N(0, 1)             (5 samples an epoch; gradients flow through x)
//   reward(x) = −2 (x − 1)²            (the description wrote 2(x − 1)², whose *minimum* is at 1.0)
//   loss = −mean(reward) + β · mean(log π_RL(x) − log π_SFT(x)),  Adam lr 0.1
//
// E[∂loss/∂m] = 4(m − 1) + 0.2 β m, so the optimum is m* = 4 / (4 + 0.2 β).

import RLHFNN
import RLHFOptim
import RLHFTensor

/// One epoch of the toy run.
public struct ToyEpoch: Sendable, Codable {
    /// The epoch, from 1.
    public let epoch: Int
    /// −mean(reward) + β·KL of the epoch's samples.
    public let loss: Float
    /// The samples' mean reward.
    public let reward: Float
    /// The samples' mean log π_RL − log π_SFT.
    public let kl: Float
    /// The policy's mean m after the epoch's Adam step.
    public let mean: Float
}

/// The scalar policy and its training loop.
public struct ToyKLPolicy {
    /// KL coefficient β.
    public var beta: Float
    /// Samples per epoch.
    public var samplesPerEpoch = 5
    /// Adam learning rate.
    public var learningRate: Double = 0.1
    /// Initial mean of the policy.
    public var initialMean: Float = 0.5

    /// A policy with mean 0 (the SFT baseline) and KL weight `beta`.
    public init(beta: Float) { self.beta = beta }

    /// The mean that minimises the expected loss: 4 / (4 + 0.2 β).
    public var optimalMean: Float { 4 / (4 + 0.2 * beta) }

    /// log π(x | m) = −0.1 (x − m)².
    static func logProb(_ x: Tensor, mean: Tensor) -> Tensor {
        let d = x - mean
        return d * d * -0.1
    }

    /// Trains for `epochs` epochs from `seed`, calling `onEpoch` after each.
    @discardableResult
    public func train(epochs: Int, seed: UInt64, onEpoch: (ToyEpoch) -> Void = { _ in }) -> [ToyEpoch] {
        var rng = RandomGenerator(seed: seed)
        let mean = Parameter(Tensor([initialMean]))
        let sftMean = Tensor([0])
        let opt = Adam(parameters: [mean], learningRate: learningRate)
        var history: [ToyEpoch] = []
        for epoch in 1...max(epochs, 1) {
            opt.zeroGrad()
            let eps = Tensor.normal([samplesPerEpoch], using: &rng)
            let x = mean.value + eps   // reparameterised samples
            let reward = (x - 1) * (x - 1) * -2   // peaked at 1.0
            let kl = (ToyKLPolicy.logProb(x, mean: mean.value) - ToyKLPolicy.logProb(x, mean: sftMean)).mean()
            let loss = -reward.mean() + kl * beta
            loss.backward()
            opt.step()
            let rec = ToyEpoch(
                epoch: epoch, loss: loss.item, reward: reward.mean().item, kl: kl.item,
                mean: mean.value.item)
            history.append(rec)
            onEpoch(rec)
        }
        return history
    }
}
