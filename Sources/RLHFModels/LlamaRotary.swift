// The Q/K row permutation that llama.cpp's convert_hf_to_gguf.py applies to llama attention weights, and
// its inverse. HF llama rotates halves (row i of a head pairs with row i + D/2); GGUF's llama layout pairs
// adjacent rows (2i, 2i + 1). Within each head of D rows:
//
//   permute   (HF → GGUF):  rows [n_head, 2, D/2] → [n_head, D/2, 2]   (new row 2i + j = old row j·D/2 + i)
//   unpermute (GGUF → HF):  rows [n_head, D/2, 2] → [n_head, 2, D/2]
//
// Only Q and K are permuted, never V or O; K uses the KV head count. Works on weights [rows, in] and on
// biases [rows].

import RLHFTensor

/// Undoes convert_hf_to_gguf's Q/K row permutation: rows `[heads, D/2, 2]` → `[heads, 2, D/2]`.
///
/// - Parameters:
///   - weight: a GGUF `attn_q` or `attn_k` weight `[heads·D, in]` (PyTorch order) or bias `[heads·D]`.
///   - heads: the attention head count for Q, the KV head count for K.
/// - Precondition: the row count is a multiple of `2·heads` (callers check the config against the shapes).
public func unpermuteLlamaRotary(_ weight: Tensor, heads: Int) -> Tensor {
    swapRotaryPairs(weight, heads: heads, from: 2)
}

/// Applies convert_hf_to_gguf's Q/K row permutation (for writing GGUF): rows `[heads, 2, D/2]` → `[heads, D/2, 2]`.
///
/// - Precondition: the row count is a multiple of `2·heads`.
public func permuteLlamaRotary(_ weight: Tensor, heads: Int) -> Tensor {
    swapRotaryPairs(weight, heads: heads, from: weight.shape.first.map { $0 / max(heads, 1) / 2 } ?? 0)
}

/// Views rows as `[heads, rows/heads/inner, inner]`, swaps the last two row axes, and packs the result.
private func swapRotaryPairs(_ weight: Tensor, heads: Int, from inner: Int) -> Tensor {
    let rows = weight.shape.first ?? 0
    precondition(
        heads > 0 && weight.rank >= 1 && rows % (2 * heads) == 0,
        "llama rotary permutation: \(rows) rows of shape \(weight.shape) do not split into \(heads) heads of even size")
    if rows == 0 { return weight }
    let rest = weight.shape.dropFirst().reduce(1, *)
    let outer = rows / heads / inner
    return weight.contiguous()
        .reshaped([heads, outer, inner, rest])
        .permuted([0, 2, 1, 3])
        .contiguous()
        .reshaped(weight.shape)
}
