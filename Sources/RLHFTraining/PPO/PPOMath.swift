// PPO's per-token arithmetic, as TRL computes it (trl/core.py and PPOTrainer of TRL 0.11; the k3 estimator
// of the later PPO trainer): masked statistics and whitening, KL estimators, the KL-shaped token rewards
// and generalized advantage estimation.
//
// A batch of responses is ragged: row i holds the Lᵢ real tokens of response i. That is TRL's padded
// [B, R] tensor with its mask, without the padding: TRL multiplies values and rewards by the mask, so a
// padded position contributes nothing and the value after the last real token is 0, which is exactly
// what the ragged rows give. Statistics run in Double.

import Foundation

/// Per-token estimators of KL(π ‖ π_ref) from log π and log π_ref of the sampled token.
public enum KLEstimator: String, CaseIterable, Codable, Sendable {
    /// log π − log π_ref (unbiased, can be negative per token); TRL's default.
    case k1
    /// (r − 1) − log r with r = π_ref / π: never negative, lower variance (Schulman's k3).
    case k3
    /// |log π − log π_ref|.
    case abs
    /// ½ (log π − log π_ref)².
    case mse

    /// The estimate for one token.
    public func callAsFunction(logProb: Double, refLogProb: Double) -> Double {
        let d = logProb - refLogProb
        switch self {
        case .k1: return d
        case .k3: return (Foundation.exp(-d) - 1) + d
        case .abs: return Swift.abs(d)
        case .mse: return 0.5 * d * d
        }
    }
}

/// The mean over every real token of the ragged rows (TRL's `masked_mean`); 0 when there is none.
public func maskedMean(_ rows: [[Double]]) -> Double {
    var sum = 0.0, n = 0
    for r in rows { for v in r { sum += v }; n += r.count }
    return n > 0 ? sum / Double(n) : 0
}

/// The variance over every real token (TRL's `masked_var`, Bessel-corrected when `unbiased`); 0 for
/// fewer than two tokens (where TRL divides by zero).
public func maskedVariance(_ rows: [[Double]], unbiased: Bool = true) -> Double {
    let mean = maskedMean(rows)
    var sum = 0.0, n = 0
    for r in rows { for v in r { sum += (v - mean) * (v - mean) }; n += r.count }
    guard n > 1 else { return 0 }
    let variance = sum / Double(n)
    return unbiased ? variance * Double(n) / Double(n - 1) : variance
}

/// (x − mean) / √(var + 1e-8) over every real token (TRL's `masked_whiten`); with `shiftMean` false the
/// mean is added back, so only the scale changes.
public func maskedWhiten(_ rows: [[Double]], shiftMean: Bool = true) -> [[Double]] {
    let mean = maskedMean(rows), variance = maskedVariance(rows)
    let scale = 1 / (variance + 1e-8).squareRoot()
    return rows.map { r in r.map { v in (v - mean) * scale + (shiftMean ? 0 : mean) } }
}

/// Token rewards of PPO-RLHF: −β·KL on every token, plus the sequence's score on its last token
/// (TRL 0.11's `compute_rewards`).
///
/// - Parameters:
///   - scores: one reward-model score per response.
///   - kl: per-token KL estimates, one row per response.
/// - Returns: the rewards and the KL part alone (`non_score_reward`), row by row.
public func tokenRewards(scores: [Double], kl: [[Double]], klCoef: Double) -> (rewards: [[Double]], nonScore: [[Double]]) {
    precondition(scores.count == kl.count, "tokenRewards: \(scores.count) scores for \(kl.count) responses")
    let nonScore = kl.map { $0.map { -klCoef * $0 } }
    var rewards = nonScore
    for i in rewards.indices where !rewards[i].isEmpty { rewards[i][rewards[i].count - 1] += scores[i] }
    return (rewards, nonScore)
}

/// Generalized advantage estimation (Schulman et al. 2016), backwards over each row:
///
///   δₜ = rₜ + γ Vₜ₊₁ − Vₜ (V after the last token = 0),   Aₜ = δₜ + γλ Aₜ₊₁,   returnsₜ = Aₜ + Vₜ.
///
/// - Returns: advantages (not whitened) and returns, shaped as `rewards`.
public func generalizedAdvantages(rewards: [[Double]], values: [[Double]], gamma: Double, lambda: Double)
    -> (advantages: [[Double]], returns: [[Double]])
{
    precondition(
        rewards.count == values.count && zip(rewards, values).allSatisfy { $0.count == $1.count },
        "generalizedAdvantages: rewards and values differ in shape")
    var advantages = rewards, returns = rewards
    for i in rewards.indices {
        var last = 0.0
        for t in stride(from: rewards[i].count - 1, through: 0, by: -1) {
            let next = t + 1 < values[i].count ? values[i][t + 1] : 0
            let delta = rewards[i][t] + gamma * next - values[i][t]
            last = delta + gamma * lambda * last
            advantages[i][t] = last
            returns[i][t] = last + values[i][t]
        }
    }
    return (advantages, returns)
}
