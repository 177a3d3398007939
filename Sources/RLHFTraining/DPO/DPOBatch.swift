// The one forward pass DPO needs: a batch of B pairs as 2B rows (the chosen rows, then the rejected rows,
// as TRL concatenates them), with logits only where a completion token is predicted. Position p − 1
// predicts token p; completion tokens at p ≥ 1 are predicted (a keep_end row whose completion starts at 0
// cannot predict its first token, as in TRL's shifted mask).
//
// Each pair's two rows share their prompt, so the prompt runs once: a forward over the B prompts, then one
// over the 2B completions that attend to their pair's prompt through a differentiable shared-prefix cache
// (`sharedPromptStates`); 25% fewer tokens through the model when prompt and completions are as long. When
// the rows do not share the prompt's tokens (keep_end truncation), the 2B whole rows run (`rowHidden`).
//
// Shapes: N = predicted completion tokens of all rows, C hidden size, V vocabulary. Per-row sums are a
// product with a [B, N] 0/1 matrix, so their gradient is the autograd of matmul.

import RLHFData
import RLHFModels
import RLHFTensor

/// The log-probs of a batch of pairs' completions under one model.
public struct DPOBatchLogProbs {
    /// [B] summed log-probs of each chosen completion (differentiable when gradients are on).
    public let chosen: Tensor
    /// [B] summed log-probs of each rejected completion.
    public let rejected: Tensor
    /// The mean NLL of the chosen completions' tokens (TRL's `sft` loss: a mean over every chosen token of the batch).
    public let chosenNLL: Tensor
    /// [B] completion lengths (TRL's completion-mask sums, for IPO's per-token means).
    public let chosenLengths: [Int]
    /// [B] completion lengths of the rejected rows.
    public let rejectedLengths: [Int]
    /// Mean over chosen / rejected completion tokens of the mean logit over the vocabulary (TRL's `logits/*`).
    public let meanLogits: (chosen: Double, rejected: Double)
    /// Chosen completion tokens the model ranks first / chosen completion tokens (TRL's `mean_token_accuracy`).
    public let top1: (correct: Int, total: Int)
    /// Tokens in the batch, padding excluded.
    public let tokens: Int
}

/// Runs `model` over the pairs `batch` and returns their completions' log-probs (see the file header).
///
/// - Parameter withMetrics: also compute the logit means and top-1 counts (an extra pass over the [N, V] logits).
public func dpoBatchLogProbs(_ model: CausalLanguageModel, _ batch: [DPOExample], padTokenId: Int, withMetrics: Bool) -> DPOBatchLogProbs {
    let sequences = batch.map(\.chosen) + batch.map(\.rejected)
    let b = batch.count
    // each pair's prompt runs once when its two rows share it (they do unless keep_end cut them apart)
    let sharesPrompt = batch.allSatisfy { e in
        e.chosen.completionStart >= 1 && e.chosen.completionStart == e.rejected.completionStart
            && e.chosen.ids[..<e.chosen.completionStart] == e.rejected.ids[..<e.rejected.completionStart]
    }
    let (picked, targets, rowOf) =
        sharesPrompt ? sharedPromptHidden(model, sequences, pairs: b, padTokenId: padTokenId) : rowHidden(model, sequences, padTokenId: padTokenId)
    let n = rowOf.count, v = model.vocabularySize, c = picked.shape[1]
    let logits = model.logits(fromHidden: picked.reshaped([1, n, c])).reshaped([n, v])
    let tokenLogProbs = selectiveLogSoftmax(logits, ids: targets)
    let (chosen, rejected, nll) = dpoSums(tokenLogProbs, rowOf: rowOf, pairs: b)
    let chosenTokens = rowOf.filter { $0 < b }.count
    var meanLogits = (chosen: 0.0, rejected: 0.0), top1 = (correct: 0, total: chosenTokens)
    if withMetrics {
        let (means, best) = withNoGrad { logits.rowMeansAndArgmax() }
        var sums = (chosen: 0.0, rejected: 0.0)
        for k in 0..<n {
            if rowOf[k] < b {
                sums.chosen += means[k]
                if best[k] == targets[k] { top1.correct += 1 }
            } else {
                sums.rejected += means[k]
            }
        }
        meanLogits = (sums.chosen / Double(max(1, chosenTokens)), sums.rejected / Double(max(1, n - chosenTokens)))
    }
    return DPOBatchLogProbs(
        chosen: chosen, rejected: rejected, chosenNLL: nll, chosenLengths: batch.map(\.chosen.completionLength),
        rejectedLengths: batch.map(\.rejected.completionLength), meanLogits: meanLogits, top1: top1,
        tokens: sequences.reduce(0) { $0 + $1.ids.count })
}

/// The final hidden states [N, C] that predict the completion tokens, with those tokens and their rows: one
/// forward over the 2B whole rows, right-padded.
func rowHidden(_ model: CausalLanguageModel, _ sequences: [DPOSequence], padTokenId: Int) -> (Tensor, [Int], [Int]) {
    let rowsCount = sequences.count, t = sequences.map(\.ids.count).max() ?? 0
    var ids: [Int] = [], rows: [Int] = [], targets: [Int] = [], rowOf: [Int] = []
    ids.reserveCapacity(rowsCount * t)
    for (i, s) in sequences.enumerated() {
        ids += s.ids + Array(repeating: padTokenId, count: t - s.ids.count)
        for p in max(1, s.completionStart)..<max(1, s.ids.count) {
            rows.append(i * t + p - 1); targets.append(s.ids[p]); rowOf.append(i)
        }
    }
    let lengths = sequences.map(\.ids.count)
    let mask = lengths.allSatisfy({ $0 == t }) ? nil : Tensor(lengths.flatMap { n in (0..<t).map { $0 < n ? Float(1) : 0 } }, shape: [rowsCount, t])
    let h = model.hiddenStates(ids: ids, batch: rowsCount, attentionMask: mask, positions: nil, cache: nil)
    let c = h.shape[2]
    return (h.reshaped([rowsCount * t, c]).indexSelect(axis: 0, rows), targets, rowOf)
}

/// The same as `rowHidden`, computing each pair's prompt once (`sharedPromptStates`): the B prompts, then the
/// 2B completions, row i continuing prompt i mod B.
func sharedPromptHidden(_ model: CausalLanguageModel, _ sequences: [DPOSequence], pairs b: Int, padTokenId: Int) -> (Tensor, [Int], [Int]) {
    let prompts = (0..<b).map { Array(sequences[$0].ids[..<sequences[$0].completionStart]) }
    let completions = sequences.map { Array($0.ids[$0.completionStart...]) }
    let states = sharedPromptStates(
        model, prompts: prompts, promptOf: sequences.indices.map { $0 % b }, completions: completions, padTokenId: padTokenId)
    let rowOf = completions.enumerated().flatMap { i, a in Array(repeating: i, count: a.count) }
    return (states, completions.flatMap { $0 }, rowOf)
}

/// Per-pair sums of token log-probs, and the mean NLL of the chosen tokens (TRL's `sft` loss).
///
/// - Parameters:
///   - tokenLogProbs: [N] log-probs of the predicted completion tokens of 2B rows.
///   - rowOf: [N] the row of each token: 0..<B chosen rows, B..<2B the rejected rows of the same pairs.
/// - Returns: [B] chosen sums, [B] rejected sums, and −(1/N_c) Σ over chosen tokens (a scalar), each a
///   product with a constant selector matrix, so differentiable through matmul.
func dpoSums(_ tokenLogProbs: Tensor, rowOf: [Int], pairs b: Int) -> (chosen: Tensor, rejected: Tensor, chosenNLL: Tensor) {
    let n = rowOf.count
    precondition(tokenLogProbs.shape == [n], "dpoSums: token log-probs \(tokenLogProbs.shape), expected [\(n)]")
    var chosenSelect = [Float](repeating: 0, count: b * n), rejectedSelect = [Float](repeating: 0, count: b * n)
    let chosenTokens = rowOf.filter { $0 < b }.count
    var nllWeights = [Float](repeating: 0, count: n)
    for (k, row) in rowOf.enumerated() {
        if row < b {
            chosenSelect[row * n + k] = 1; nllWeights[k] = -1 / Float(max(1, chosenTokens))
        } else {
            rejectedSelect[(row - b) * n + k] = 1
        }
    }
    let column = tokenLogProbs.reshaped([n, 1])
    return (
        matmul(Tensor(chosenSelect, shape: [b, n]), column).reshaped([b]), matmul(Tensor(rejectedSelect, shape: [b, n]), column).reshaped([b]),
        matmul(Tensor(nllWeights, shape: [1, n]), column).reshaped([])
    )
}
