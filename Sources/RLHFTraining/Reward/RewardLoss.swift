// The Bradley-Terry reward loss (TRL's RewardTrainer.compute_loss) and its metrics.
//
//   loss = mean(−log σ(r_c − r_r − margin)) + c · mean((r_c + r_r)²)
//
// −log σ(d) = softplus(−d), computed stably by `logSigmoid`.

import RLHFTensor

/// The pairwise loss of chosen scores `rc` [B] over rejected scores `rr` [B].
///
/// - Parameters:
///   - margins: per pair, subtracted from the difference (nil: none).
///   - centerCoefficient: weight of the reward-centring term (nil or 0: off).
public func bradleyTerryLoss(
    chosen rc: Tensor, rejected rr: Tensor, margins: [Float]? = nil,
    centerCoefficient: Double? = nil
) -> Tensor {
    precondition(rc.shape == rr.shape && rc.rank == 1, "bradleyTerryLoss: chosen \(rc.shape) and rejected \(rr.shape) must both be [B]")
    var diff = rc - rr
    if let margins, margins.contains(where: { $0 != 0 }) {
        precondition(margins.count == rc.count, "bradleyTerryLoss: \(margins.count) margins for \(rc.count) pairs")
        diff = diff - Tensor(margins)
    }
    var loss = (-logSigmoid(diff)).mean()
    if let c = centerCoefficient, c != 0 {
        let s = rc + rr
        loss = loss + (s * s).mean() * Float(c)
    }
    return loss
}

/// TRL's reward metrics of a batch: accuracy = mean(r_c > r_r), margin = mean(r_c − r_r), and the
/// min/mean/max of all rewards (chosen and rejected together).
public func rewardMetrics(chosen: [Float], rejected: [Float]) -> [String: Double] {
    precondition(chosen.count == rejected.count && !chosen.isEmpty, "rewardMetrics: \(chosen.count) chosen, \(rejected.count) rejected")
    let n = Double(chosen.count)
    var correct = 0.0, margin = 0.0
    for (c, r) in zip(chosen, rejected) {
        if c > r { correct += 1 }
        margin += Double(c - r)
    }
    let all = chosen + rejected
    return [
        "accuracy": correct / n,
        "margin": margin / n,
        "min_reward": Double(all.min()!),
        "mean_reward": all.reduce(0.0) { $0 + Double($1) } / Double(all.count),
        "max_reward": Double(all.max()!)
    ]
}
