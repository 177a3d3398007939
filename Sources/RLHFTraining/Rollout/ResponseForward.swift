// The one forward pass the RL trainers need, over [prompt | response] rows: the response tokens'
// log-probs (and, with a value head, values) under a policy or the reference.
//
// Layout of a forward batch (B rows): each prompt left-padded to the longest prompt P, each response
// right-padded to the longest response R, as `generate` lays them out; positions follow the attention
// mask (cumsum − 1). The hidden state at P − 1 + j predicts response token j and is where the value of
// the state before token j is read, so the value of token j sees only tokens up to j (a causal critic).
// Rows that share a prompt (GRPO's and RLOO's groups) run it once (`sharedPromptStates`).
//
// Shapes: N = Σ response lengths (real tokens only), C hidden size, V vocabulary.

import RLHFModels
import RLHFNN
import RLHFTensor

/// The log-probs (and values) of the response tokens of a batch of [prompt | response] rows.
///
/// - Parameters:
///   - temperature: log-probs are of softmax(logits / temperature).
///   - valueHead: Linear(C, 1) on the final hidden states; nil: no values.
///   - valueThroughTrunk: let the values' gradient reach the trunk (else the head reads detached states).
///   - withEntropy: also return the mean entropy of the (tempered) distributions (no gradient).
///   - sharePrompts: run a prompt shared by several rows once (false: the whole rows, for tests).
/// - Returns: log-probs [N] and values [N] (differentiable when gradients are on), entropy.
func responseForward(
    _ model: CausalLanguageModel, prompts: [[Int]], responses: [[Int]], padTokenId: Int, temperature: Float,
    valueHead: Linear?, valueThroughTrunk: Bool = false, withEntropy: Bool = false, sharePrompts: Bool = true
)
    -> (logProbs: Tensor, values: Tensor?, entropy: Double)
{
    let picked: Tensor, targets = responses.flatMap { $0 }
    if sharePrompts, !responses.contains(where: \.isEmpty), let shared = distinctRows(prompts) {
        picked = sharedPromptStates(model, prompts: shared.rows, promptOf: shared.rowOf, completions: responses, padTokenId: padTokenId)
    } else {
        picked = wholeRowStates(model, prompts: prompts, responses: responses, padTokenId: padTokenId)
    }
    let n = targets.count, c = picked.shape[1]
    let logits = model.logits(fromHidden: picked.reshaped([1, n, c])).reshaped([n, model.vocabularySize])
    let tempered = temperature == 1 ? logits : logits * (1 / temperature)
    let logProbs = selectiveLogSoftmax(tempered, ids: targets)
    let values = valueHead.map { $0(valueThroughTrunk ? picked : picked.detached()).reshaped([n]) }
    var meanEntropy = 0.0
    if withEntropy {
        let e = withNoGrad { entropy(tempered) }.scalars
        meanEntropy = e.reduce(0.0) { $0 + Double($1) } / Double(max(e.count, 1))
    }
    return (logProbs, values, meanEntropy)
}

/// The final hidden states [N, C] that predict the response tokens: one forward over the whole rows, laid
/// out as the file header says.
func wholeRowStates(_ model: CausalLanguageModel, prompts: [[Int]], responses: [[Int]], padTokenId: Int) -> Tensor {
    let b = prompts.count
    let p = prompts.map(\.count).max() ?? 0, r = responses.map(\.count).max() ?? 0, t = p + r
    var ids: [Int] = [], mask: [Float] = [], positions: [Int] = [], rows: [Int] = []
    ids.reserveCapacity(b * t); mask.reserveCapacity(b * t); positions.reserveCapacity(b * t)
    for (i, (q, a)) in zip(prompts, responses).enumerated() {
        let left = p - q.count, right = r - a.count
        ids += Array(repeating: padTokenId, count: left) + q + a + Array(repeating: padTokenId, count: right)
        mask += Array(repeating: 0, count: left) + Array(repeating: 1, count: q.count + a.count) + Array(repeating: 0, count: right)
        positions += Array(repeating: 1, count: left) + Array(0..<(q.count + a.count)) + Array(repeating: 1, count: right)
        for j in a.indices { rows.append(i * t + p - 1 + j) }
    }
    let maskTensor = mask.contains(0) ? Tensor(mask, shape: [b, t]) : nil
    let h = model.hiddenStates(ids: ids, batch: b, attentionMask: maskTensor, positions: positions, cache: nil)
    return h.reshaped([b * t, h.shape[2]]).indexSelect(axis: 0, rows)
}

/// Splits a flat [N] array back into rows of the given lengths.
func splitRows(_ flat: [Float], lengths: [Int]) -> [[Float]] {
    var out: [[Float]] = [], start = 0
    for n in lengths { out.append(Array(flat[start..<(start + n)])); start += n }
    return out
}
