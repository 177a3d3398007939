// PPO's clipped losses over the real tokens of a (micro-)batch, flattened to N tokens (TRL's masked means
// over the response mask become plain means):
//
//   policy:  ratio = exp(log π − log π_old),  L_pg = mean(max(−A·ratio, −A·clip(ratio, 1 − ε, 1 + ε)))
//   value:   V_clip = V_old + clip(V − V_old, −ε_v, ε_v),  L_vf = ½ mean(max((V − R)², (V_clip − R)²))
//
// Built from differentiable tensor ops (exp, clamp, maximum, mean), each gradient-checked on its own; the
// statistics (clip fractions, approximate KL, ratio) are TRL's.

import RLHFTensor

/// The clipped policy loss and its statistics.
public struct PolicyLossResult {
    /// Scalar loss (differentiable in the new log-probs).
    public let loss: Tensor
    /// Share of tokens where the clipped term is the larger (TRL's `pg_clipfrac`).
    public let clipFraction: Double
    /// ½ mean((log π − log π_old)²) (TRL's `approxkl`).
    public let approxKL: Double
    /// Mean and variance (unbiased) of the ratio.
    public let ratioMean: Double
    /// The variance of π / π_old over the tokens (TRL's `val/ratio_var`).
    public let ratioVariance: Double
}

/// PPO's clipped surrogate loss.
///
/// - Parameters:
///   - logProbs: [N] log π(token) under the current policy (with gradient).
///   - oldLogProbs: [N] log π_old(token) from the rollout.
///   - advantages: [N] (whitened) advantages.
///   - clipRange: ε.
public func ppoPolicyLoss(logProbs: Tensor, oldLogProbs: [Float], advantages: [Float], clipRange: Float) -> PolicyLossResult {
    let n = logProbs.count
    precondition(
        oldLogProbs.count == n && advantages.count == n, "ppoPolicyLoss: \(n) log-probs, \(oldLogProbs.count) old, \(advantages.count) advantages")
    let old = Tensor(oldLogProbs, shape: logProbs.shape), adv = Tensor(advantages, shape: logProbs.shape)
    let logRatio = logProbs - old
    let ratio = logRatio.exp()
    let unclipped = -adv * ratio
    let clipped = -adv * ratio.clamp(min: 1 - clipRange, max: 1 + clipRange)
    let loss = unclipped.maximum(clipped).mean()
    let r = ratio.scalars, u = unclipped.scalars, c = clipped.scalars, lr = logRatio.scalars
    var clipCount = 0, kl = 0.0, mean = 0.0
    for i in 0..<n {
        if c[i] > u[i] { clipCount += 1 }
        kl += 0.5 * Double(lr[i]) * Double(lr[i])
        mean += Double(r[i])
    }
    mean /= Double(max(n, 1))
    let variance = n > 1 ? r.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n - 1) : 0
    return PolicyLossResult(
        loss: loss, clipFraction: Double(clipCount) / Double(max(n, 1)), approxKL: kl / Double(max(n, 1)),
        ratioMean: mean, ratioVariance: variance)
}

/// PPO's clipped value loss.
///
/// - Parameters:
///   - values: [N] value predictions (with gradient).
///   - oldValues: [N] values from the rollout.
///   - returns: [N] GAE returns.
///   - clipRange: ε_v.
/// - Returns: the loss and the share of tokens where the clipped error is the larger (TRL's `vf_clipfrac`).
public func ppoValueLoss(values: Tensor, oldValues: [Float], returns: [Float], clipRange: Float) -> (loss: Tensor, clipFraction: Double) {
    let n = values.count
    precondition(oldValues.count == n && returns.count == n, "ppoValueLoss: \(n) values, \(oldValues.count) old, \(returns.count) returns")
    let old = Tensor(oldValues, shape: values.shape), target = Tensor(returns, shape: values.shape)
    let clippedValues = old + (values - old).clamp(min: -clipRange, max: clipRange)
    let e1 = (values - target) * (values - target)
    let e2 = (clippedValues - target) * (clippedValues - target)
    let loss = e1.maximum(e2).mean() * 0.5
    let a = e1.scalars, b = e2.scalars
    let clipCount = zip(a, b).filter { $1 > $0 }.count
    return (loss, Double(clipCount) / Double(max(n, 1)))
}
