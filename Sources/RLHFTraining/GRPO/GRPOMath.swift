// The critic-free estimators of TRL's GRPOTrainer and RLOOTrainer, on completions sampled G at a time per
// prompt (a group: G consecutive completions of one prompt):
//
//   rewards     r = Σ_f w_f · r_f over the reward functions (a function may give no reward: nil; a completion
//               that none rewards is unscorable, NaN, and gets advantage 0)
//   GRPO        A = (r − mean_group r) / (std + 1e-4), std over the group (`scale_rewards: group`), over the
//               whole batch (`batch`), or no division (`none`); means and stds over scorable completions,
//               stds unbiased (TRL's nanstd)
//   RLOO        r' = r − β·Σₜ (log π_old − log π_ref) (the KL folded into the reward); A = r' − mean of the
//               group's other scorable rewards (leave-one-out), optionally normalised over the batch
//   GRPO loss   per token: ratio = exp(log π − log π_old), −min(A·ratio, A·clip(ratio, 1 − ε, 1 + ε_high)),
//               + β·(e^{ref − log π} − (ref − log π) − 1) (k3 KL) when β > 0; aggregated as `loss_type`:
//               grpo (mean over completions of each one's token mean), bnpo (mean over the batch's tokens),
//               dr_grpo (sum / (completions × max_completion_length)), dapo (sum / the tokens of the whole
//               generation batch)
//   RLOO loss   per completion: ratio = exp(Σₜ log π − Σₜ log π_old), −min(A·ratio, A·clip(ratio, 1 − ε, 1 + ε)),
//               mean over completions
//
// Shapes: N tokens of B completions, flattened completion by completion (`rowOf[k]` is token k's completion).

import RLHFTensor

/// How GRPO scales the group-centred rewards (TRL's `scale_rewards`).
public enum RewardScaling: String, CaseIterable, Codable, Sendable {
    /// By the standard deviation of the prompt's group (Dr. GRPO's paper argues for `none`).
    case group
    /// By the standard deviation over the whole batch.
    case batch
    /// Not scaled: the advantage is the reward less its group's mean.
    case none
}

/// How GRPO's per-token losses become one loss (TRL's `loss_type`).
public enum GRPOLossType: String, CaseIterable, Codable, Sendable {
    /// The mean over completions of each completion's mean token loss (the GRPO paper's).
    case grpo
    /// The mean over the micro-batch's tokens.
    case bnpo
    /// The sum over tokens / (completions × `max_completion_length`) (Dr. GRPO).
    case drGRPO = "dr_grpo"
    /// The sum over tokens / the tokens of the whole generation batch (DAPO; TRL's default).
    case dapo
}

/// The weighted reward of each completion: Σ_f w_f·r_f over the functions that gave one, NaN when none did.
///
/// - Parameter perFunction: [completion][function], nil where a function gave no reward.
public func weightedRewards(_ perFunction: [[Double?]], weights: [Double]) -> [Double] {
    perFunction.map { row in
        precondition(row.count == weights.count, "weightedRewards: \(row.count) rewards for \(weights.count) weights")
        guard row.contains(where: { $0 != nil }) else { return .nan }
        var sum = 0.0
        for (r, w) in zip(row, weights) { if let r { sum += r * w } }
        return sum
    }
}

/// The mean of the non-NaN values (NaN when there are none).
func nanMean(_ xs: ArraySlice<Double>) -> Double {
    let kept = xs.filter { !$0.isNaN }
    return kept.isEmpty ? .nan : kept.reduce(0, +) / Double(kept.count)
}

/// The unbiased standard deviation of the non-NaN values (NaN with fewer than two), TRL's `nanstd`.
func nanStd(_ xs: ArraySlice<Double>) -> Double {
    let kept = xs.filter { !$0.isNaN }
    guard kept.count > 1 else { return .nan }
    let m = kept.reduce(0, +) / Double(kept.count)
    return (kept.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(kept.count - 1)).squareRoot()
}

/// GRPO's advantages of `rewards` (consecutive groups of `groupSize`); unscorable completions (NaN) get 0.
public func grpoAdvantages(rewards: [Double], groupSize g: Int, scaling: RewardScaling) -> [Double] {
    precondition(g > 0 && rewards.count % g == 0, "grpoAdvantages: \(rewards.count) rewards in groups of \(g)")
    let batchStd = nanStd(rewards[...])
    return rewards.indices.map { i in
        let group = rewards[(i / g * g)..<(i / g * g + g)]
        var a = rewards[i] - nanMean(group)
        switch scaling {
        case .group: a /= (g > 1 ? nanStd(group) : 0) + 1e-4
        case .batch: a /= (rewards.count > 1 ? batchStd : 0) + 1e-4
        case .none: break
        }
        return a.isNaN ? 0 : a
    }
}

/// RLOO's advantages: each reward less the mean of its group's other scorable rewards, optionally
/// normalised over the batch; unscorable completions (NaN) get 0.
///
/// - Parameter rewards: the rewards with the KL already folded in (r − β·KL).
public func rlooAdvantages(rewards: [Double], groupSize g: Int, normalize: Bool) -> [Double] {
    precondition(g > 0 && rewards.count % g == 0, "rlooAdvantages: \(rewards.count) rewards in groups of \(g)")
    var advantages = rewards.indices.map { i -> Double in
        guard g > 1 else { return 0 }
        let group = rewards[(i / g * g)..<(i / g * g + g)]
        let scorable = group.filter { !$0.isNaN }
        return rewards[i] - (scorable.reduce(0, +) - rewards[i]) / Double(scorable.count - 1)
    }
    if normalize {
        let m = nanMean(advantages[...]), s = nanStd(advantages[...])
        advantages = advantages.map { ($0 - m) / (s + 1e-4) }
    }
    return advantages.map { $0.isNaN || $0.isInfinite ? 0 : $0 }
}

/// What `grpoLoss` returns.
public struct GRPOLossOutput {
    /// The aggregated loss (differentiable in the log-probs).
    public let loss: Tensor
    /// Share of tokens clipped below (ratio < 1 − ε with A < 0) and above (ratio > 1 + ε_high with A > 0): TRL's
    /// `clip_ratio/low_mean`, `clip_ratio/high_mean`.
    public let lowClipped: Double, highClipped: Double
    /// Mean k3 KL per token (0 when β = 0), TRL's `kl`.
    public let meanKL: Double
}

/// GRPO's loss over the N tokens of B completions (see the file header).
///
/// - Parameters:
///   - logProbs: [N] log π of each completion token, differentiable.
///   - oldLogProbs: [N] log π_old (the sampling policy's; equal to `logProbs` on the first iteration).
///   - referenceLogProbs: [N] log π_ref, read when `beta` > 0.
///   - advantages: [B] one per completion.
///   - rowOf: [N] the completion of each token.
///   - maxCompletionLength: dr_grpo's constant denominator.
///   - generationBatchTokens: dapo's denominator: the completion tokens of the whole generation batch.
public func grpoLoss(
    logProbs: Tensor, oldLogProbs: [Float], referenceLogProbs: [Float]?, advantages: [Float], rowOf: [Int], epsilon: Float,
    epsilonHigh: Float, beta: Float, type: GRPOLossType, maxCompletionLength: Int, generationBatchTokens: Int
) -> GRPOLossOutput {
    let n = logProbs.count, b = advantages.count
    precondition(
        logProbs.shape == [n] && oldLogProbs.count == n && rowOf.count == n && (beta == 0 || referenceLogProbs?.count == n),
        "grpoLoss: \(n) log-probs, \(oldLogProbs.count) old, \(rowOf.count) rows, \(referenceLogProbs?.count ?? 0) reference")
    let adv = Tensor(rowOf.map { advantages[$0] }, shape: [n])
    let ratio = (logProbs - Tensor(oldLogProbs, shape: [n])).exp()
    var perToken = (-adv * ratio).maximum(-adv * ratio.clamp(min: 1 - epsilon, max: 1 + epsilonHigh))
    var meanKL = 0.0
    if beta != 0, let referenceLogProbs {
        let d = Tensor(referenceLogProbs, shape: [n]) - logProbs   // ref − log π
        let kl = d.exp() - d - 1
        meanKL = kl.scalars.reduce(0.0) { $0 + Double($1) } / Double(max(n, 1))
        perToken = perToken + kl * beta
    }
    var lengths = [Int](repeating: 0, count: b)
    for r in rowOf { lengths[r] += 1 }
    let weights: [Float] = rowOf.map { r in
        switch type {
        case .grpo: return 1 / (Float(max(lengths[r], 1)) * Float(b))
        case .bnpo: return 1 / Float(max(n, 1))
        case .drGRPO: return 1 / (Float(b) * Float(maxCompletionLength))
        case .dapo: return 1 / Float(max(generationBatchTokens, 1))
        }
    }
    let loss = (perToken * Tensor(weights, shape: [n])).sum()
    let r = ratio.scalars
    var low = 0, high = 0
    for k in 0..<n {
        let a = advantages[rowOf[k]]
        if r[k] < 1 - epsilon && a < 0 { low += 1 }
        if r[k] > 1 + epsilonHigh && a > 0 { high += 1 }
    }
    return GRPOLossOutput(loss: loss, lowClipped: Double(low) / Double(max(n, 1)), highClipped: Double(high) / Double(max(n, 1)), meanKL: meanKL)
}

/// RLOO's loss: the clipped surrogate on each completion's summed log-probs, mean over completions.
///
/// - Parameters:
///   - sequenceLogProbs: [B] Σₜ log π of each completion, differentiable.
///   - oldSequenceLogProbs: [B] Σₜ log π_old.
///   - advantages: [B].
public func rlooLoss(sequenceLogProbs: Tensor, oldSequenceLogProbs: [Float], advantages: [Float], epsilon: Float, epsilonHigh: Float)
    -> Tensor
{
    let b = sequenceLogProbs.count
    precondition(
        oldSequenceLogProbs.count == b && advantages.count == b,
        "rlooLoss: \(b) completions, \(oldSequenceLogProbs.count) old, \(advantages.count) advantages")
    let adv = Tensor(advantages, shape: [b])
    let ratio = (sequenceLogProbs - Tensor(oldSequenceLogProbs, shape: [b])).exp()
    return (-adv * ratio).maximum(-adv * ratio.clamp(min: 1 - epsilon, max: 1 + epsilonHigh)).mean()
}
