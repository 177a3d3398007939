// The DPO family of preference losses, as TRL's DPOTrainer computes them (trl/trainer/dpo_trainer.py,
// `dpo_loss`), on the summed log-probabilities of each pair's chosen and rejected completion under the
// policy (differentiable) and under the frozen reference (constants):
//
//   logits = (log π(y_w) − log π(y_l)) − (log π_ref(y_w) − log π_ref(y_l))
//   sigmoid  −log σ(β·logits)                                        (DPO; TRL 1.16 dropped cDPO's ε)
//   robust   (−log σ(β·logits)·(1 − ε) + log σ(−β·logits)·ε) / (1 − 2ε)   (robust DPO, ε < 1/2)
//   hinge    max(0, 1 − β·logits)                                    (RSO / SLiC)
//   ipo      (logits − 1/(2β))²                                      (IPO; TRL feeds it per-token *mean* log-probs)
//
// The loss is the mean over pairs. The implicit rewards TRL logs are β·(log π − log π_ref) of each
// completion, without gradient. Shapes: B pairs; every input is [B].

import RLHFTensor

/// TRL's `loss_type` values that we implement.
public enum DPOLossType: String, CaseIterable, Codable, Sendable {
    /// The DPO paper's loss.
    case sigmoid
    /// Robust DPO (unbiased under label noise of rate `label_smoothing`).
    case robust
    /// The hinge loss of RSO / SLiC.
    case hinge
    /// IPO: a squared loss on the log-ratio margin (on per-token mean log-probs).
    case ipo

    /// Whether the loss reads per-token mean log-probs rather than sums (TRL averages over the completion for IPO).
    public var averagesLogProbs: Bool { self == .ipo }
}

/// What `dpoLoss` returns.
public struct DPOLossOutput {
    /// The mean loss over the pairs (a scalar to minimise).
    public let loss: Tensor
    /// [B] β·(log π − log π_ref) of the chosen completions (no gradient).
    public let chosenRewards: [Float]
    /// [B] β·(log π − log π_ref) of the rejected completions (no gradient).
    public let rejectedRewards: [Float]
}

/// The DPO-family loss of a batch of pairs.
///
/// - Parameters:
///   - chosenLogProbs, rejectedLogProbs: [B] the policy's log-probabilities of each completion (sums over
///     its tokens; per-token means for `ipo`), differentiable.
///   - referenceChosen, referenceRejected: [B] the same under the reference model.
///   - beta: β, the strength of the implicit KL constraint (TRL's default 0.1).
///   - labelSmoothing: ε of `robust` (0 ≤ ε < 1/2); the other losses do not read it.
public func dpoLoss(
    chosenLogProbs: Tensor, rejectedLogProbs: Tensor, referenceChosen: [Float], referenceRejected: [Float], beta: Float,
    type: DPOLossType = .sigmoid, labelSmoothing: Float = 0
) -> DPOLossOutput {
    let b = chosenLogProbs.count
    precondition(
        chosenLogProbs.shape == [b] && rejectedLogProbs.shape == [b] && referenceChosen.count == b && referenceRejected.count == b,
        "dpoLoss: chosen \(chosenLogProbs.shape), rejected \(rejectedLogProbs.shape), reference \(referenceChosen.count)/\(referenceRejected.count): expected [B] each"
    )
    let referenceMargin = Tensor(zip(referenceChosen, referenceRejected).map { $0 - $1 }, shape: [b])
    let logits = chosenLogProbs - rejectedLogProbs - referenceMargin
    let losses: Tensor
    switch type {
    case .sigmoid:
        losses = -logSigmoid(logits * beta)
    case .robust:
        losses = (-logSigmoid(logits * beta) * (1 - labelSmoothing) + logSigmoid(logits * -beta) * labelSmoothing) * (1 / (1 - 2 * labelSmoothing))
    case .hinge:
        losses = (logits * -beta + 1).relu()
    case .ipo:
        let d = logits - 1 / (2 * beta)
        losses = d * d
    }
    let chosen = chosenLogProbs.detached().scalars, rejected = rejectedLogProbs.detached().scalars
    return DPOLossOutput(
        loss: losses.mean(),
        chosenRewards: zip(chosen, referenceChosen).map { beta * ($0 - $1) },
        rejectedRewards: zip(rejected, referenceRejected).map { beta * ($0 - $1) })
}

/// TRL's logged DPO metrics over a batch's implicit rewards: `rewards/chosen`, `rewards/rejected`,
/// `rewards/accuracies` (the share of pairs whose chosen reward is the larger), `rewards/margins`.
public func dpoRewardMetrics(chosen: [Float], rejected: [Float]) -> [String: Double] {
    precondition(chosen.count == rejected.count && !chosen.isEmpty, "dpoRewardMetrics: \(chosen.count) chosen, \(rejected.count) rejected")
    let n = Double(chosen.count)
    func mean(_ xs: [Float]) -> Double { xs.reduce(0.0) { $0 + Double($1) } / n }
    return [
        "rewards/chosen": mean(chosen), "rewards/rejected": mean(rejected),
        "rewards/accuracies": Double(zip(chosen, rejected).filter { $0 > $1 }.count) / n,
        "rewards/margins": mean(zip(chosen, rejected).map { $0 - $1 })
    ]
}

/// What `orpoLoss` returns.
public struct ORPOLossOutput {
    /// NLL − λ·mean log σ(log odds) (a scalar to minimise).
    public let loss: Tensor
    /// [B] the log odds ratio of each pair (no gradient; TRL logs its mean as `log_odds_chosen`).
    public let logOdds: [Float]
    /// [B] log σ(log odds) (TRL logs its mean as `log_odds_ratio`).
    public let logSigmoidOdds: [Float]
}

/// ORPO's loss, as TRL's ORPOTrainer computes it (`odds_ratio_loss`; no reference model): with c and r the
/// per-token mean log-probs of the chosen and rejected completions,
///
///   log odds = (c − r) − (log(1 − e^c) − log(1 − e^r)),   loss = NLL(chosen) − λ·mean log σ(log odds)
///
/// - Parameters:
///   - chosenMeanLogProbs, rejectedMeanLogProbs: [B], differentiable.
///   - chosenNLL: the mean NLL of the chosen tokens (a scalar, differentiable).
///   - beta: λ, TRL's `beta` for ORPO (default 0.1).
public func orpoLoss(chosenMeanLogProbs c: Tensor, rejectedMeanLogProbs r: Tensor, chosenNLL: Tensor, beta: Float) -> ORPOLossOutput {
    precondition(c.shape == r.shape && c.shape.count == 1, "orpoLoss: chosen \(c.shape), rejected \(r.shape): expected [B] each")
    let logOdds = (c - r) - (log1mexp(c) - log1mexp(r))
    let ratio = logSigmoid(logOdds)
    return ORPOLossOutput(loss: chosenNLL - (ratio * beta).mean(), logOdds: logOdds.detached().scalars, logSigmoidOdds: ratio.detached().scalars)
}
