// A forward over [prompt | completion] rows in which rows that share a prompt run it once: DPO's chosen and
// rejected rows, and GRPO's and RLOO's G completions of one prompt. A causal model's prompt states do not
// depend on what follows them, so the distinct prompts run first (left-padded to the longest, P), then every
// completion (right-padded to the longest, R) attends to its prompt's keys and values through a
// differentiable shared-prefix cache (`KVCache.startSharedPrefix`). The prompt's activations receive the
// gradients of every row that continues it. The values equal those of the whole rows up to rounding.
//
// Shapes: D distinct prompts, B rows, N = Σ completion lengths, C hidden size.

import RLHFModels
import RLHFTensor

/// The final hidden states [N, C] that predict each completion token (row by row, token by token): completion
/// token 0 of row i is predicted by the last state of prompt `promptOf[i]`, token j ≥ 1 by the completion's
/// state j − 1.
///
/// - Parameters:
///   - prompts: the D distinct prompts, none empty.
///   - promptOf: [B] the prompt of each row.
///   - completions: [B] the completions, none empty.
func sharedPromptStates(_ model: CausalLanguageModel, prompts: [[Int]], promptOf: [Int], completions: [[Int]], padTokenId: Int) -> Tensor {
    precondition(promptOf.count == completions.count && prompts.allSatisfy { !$0.isEmpty } && completions.allSatisfy { !$0.isEmpty })
    let d = prompts.count, b = completions.count
    let p = prompts.map(\.count).max() ?? 0, r = completions.map(\.count).max() ?? 0
    // 1. the prompts, left-padded (positions count real tokens only)
    var ids: [Int] = [], mask: [Float] = [], positions: [Int] = []
    for q in prompts {
        let left = p - q.count
        ids += Array(repeating: padTokenId, count: left) + q
        mask += Array(repeating: 0, count: left) + Array(repeating: 1, count: q.count)
        positions += Array(repeating: 0, count: left) + Array(0..<q.count)
    }
    let cache = model.makeCache(capacity: 1)
    cache.startSharedPrefix()
    let hp = model.hiddenStates(
        ids: ids, batch: d, attentionMask: mask.contains(0) ? Tensor(mask, shape: [d, p]) : nil, positions: positions, cache: cache)
    // 2. the completions, each after its prompt
    cache.continue(rows: promptOf)
    var cids: [Int] = [], cmask: [Float] = [], cpositions: [Int] = []
    for (i, a) in completions.enumerated() {
        let k = promptOf[i], q = prompts[k].count, right = r - a.count
        cids += a + Array(repeating: padTokenId, count: right)
        cmask += Array(mask[(k * p)..<((k + 1) * p)]) + Array(repeating: 1, count: a.count) + Array(repeating: 0, count: right)
        cpositions += Array(q..<(q + a.count)) + Array(repeating: 0, count: right)
    }
    let hc = model.hiddenStates(
        ids: cids, batch: b, attentionMask: cmask.contains(0) ? Tensor(cmask, shape: [b, p + r]) : nil, positions: cpositions, cache: cache)
    // 3. the states that predict each completion token
    let c = hp.shape[2]
    var rows: [Int] = []
    for (i, a) in completions.enumerated() {
        for j in a.indices { rows.append(j == 0 ? promptOf[i] * p + p - 1 : d * p + i * r + j - 1) }
    }
    let states = Tensor.concat([hp.reshaped([d * p, c]), hc.reshaped([b * r, c])], axis: 0)
    return states.indexSelect(axis: 0, rows)
}
