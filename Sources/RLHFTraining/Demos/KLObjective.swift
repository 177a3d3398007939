// The KL-penalised RL objective of the original description (InstructGPT's, per sequence):
// loss = −reward + β · KL, with KL estimated as mean_t(log π_RL − log π_SFT) over the sampled tokens.

import RLHFTensor

/// Per-example terms of the KL-penalised objective.
public struct KLPenalizedLoss {
    /// [B] the per-example KL estimate mean_t(log π_RL − log π_SFT).
    public let kl: Tensor
    /// [B] −reward + β·KL.
    public let perExample: Tensor
    /// The mean of `perExample` (a scalar to minimise).
    public let mean: Tensor
}

/// −reward + β·mean_t(log π_RL(y_t) − log π_SFT(y_t)), per example and averaged.
///
/// Shapes: policyLogProbs, referenceLogProbs [B, T] (log-probabilities of the sampled tokens),
/// rewards [B] → kl [B], perExample [B], mean [].
public func klPenalizedLoss(
    policyLogProbs: Tensor, referenceLogProbs: Tensor, rewards: Tensor,
    beta: Float
) -> KLPenalizedLoss {
    precondition(
        policyLogProbs.rank == 2 && policyLogProbs.shape == referenceLogProbs.shape,
        "klPenalizedLoss: log-probs \(policyLogProbs.shape) vs \(referenceLogProbs.shape), expected equal [B, T]")
    precondition(
        rewards.shape == [policyLogProbs.shape[0]],
        "klPenalizedLoss: rewards \(rewards.shape) for batch \(policyLogProbs.shape[0])")
    let kl = (policyLogProbs - referenceLogProbs).mean(axis: 1)
    let perExample = -rewards + kl * beta
    return KLPenalizedLoss(kl: kl, perExample: perExample, mean: perExample.mean())
}
