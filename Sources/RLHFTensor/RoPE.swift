// Rotary position embedding in HF's "rotate half" layout (Llama, GPT-NeoX):
// y = x·cos + rotate_half(x)·sin, rotate_half([x1, x2]) = [−x2, x1], over the head dimension.

import Foundation

/// cos and sin tables [T, hs] for `positions` (HF's `emb = cat(freqs, freqs)`), with
/// inv_freq[i] = θ^(−2i/hs).
public func ropeTables(positions: [Int], headDim hs: Int, theta: Float = 10_000) -> (cos: Tensor, sin: Tensor) {
    precondition(hs % 2 == 0, "ropeTables: head dimension \(hs) is odd")
    let half = hs / 2
    let cosT = Tensor(zeros: [positions.count, hs]), sinT = Tensor(zeros: [positions.count, hs])
    let pc = cosT.pointer, ps = sinT.pointer
    for (t, pos) in positions.enumerated() {
        for i in 0..<half {
            // computed in Float as transformers does: inv_freq in float32, then pos·inv_freq in float32
            let invFreq = 1 / Foundation.pow(theta, Float(2 * i) / Float(hs))
            let angle = Float(pos) * invFreq
            pc[t * hs + i] = Foundation.cos(angle); pc[t * hs + i + half] = Foundation.cos(angle)
            ps[t * hs + i] = Foundation.sin(angle); ps[t * hs + i + half] = Foundation.sin(angle)
        }
    }
    return (cosT, sinT)
}

/// Applies rotary embeddings to `x` [B, NH, T, hs] with tables `cos`, `sin` of shape [T, hs] (shared
/// by the batch) or [B, T, hs] (per sequence, e.g. with left padding).
public func rope(_ x: Tensor, cos: Tensor, sin: Tensor) -> Tensor {
    precondition(x.rank == 4, "rope: x must be [B, NH, T, hs], got \(x.shape)")
    let (b, nh, t, hs) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let perBatch = cos.rank == 3
    precondition(
        cos.shape == sin.shape && (cos.shape == [t, hs] || cos.shape == [b, t, hs]),
        "rope: tables \(cos.shape) do not fit x \(x.shape)")
    let xc = x.detached().contiguous(), cc = cos.contiguous(), sc = sin.contiguous()
    let half = hs / 2
    func apply(_ src: Tensor, inverse: Bool) -> Tensor {
        let out = Tensor(zeros: src.shape)
        let px = src.pointer, po = out.pointer, pc = cc.pointer, ps = sc.pointer
        Parallel.forEachChunk(b * nh, grain: 1) { r in
            for bh in r {
                let bi = bh / nh
                for ti in 0..<t {
                    let row = (bh * t + ti) * hs
                    let tab = (perBatch ? (bi * t + ti) : ti) * hs
                    for i in 0..<half {
                        let x1 = px[row + i], x2 = px[row + i + half]
                        let c1 = pc[tab + i], s1 = ps[tab + i], c2 = pc[tab + i + half], s2 = ps[tab + i + half]
                        if !inverse {
                            po[row + i] = x1 * c1 - x2 * s1   // x·cos + (−x2)·sin
                            po[row + i + half] = x2 * c2 + x1 * s2   // x·cos + x1·sin
                        } else {
                            // Rᵀ: dx1 = g1·cos + g2·sin, dx2 = g2·cos − g1·sin
                            po[row + i] = x1 * c1 + x2 * s2
                            po[row + i + half] = x2 * c2 - x1 * s1
                        }
                    }
                }
            }
        }
        return out
    }
    let y = apply(xc, inverse: false)
    return Tensor.record("rope", y, [x]) { g in [apply(g.contiguous(), inverse: true)] }
}
