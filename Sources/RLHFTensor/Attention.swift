// Scaled-dot-product attention, fused, with its own backward. Causal mask, key-padding mask and
// grouped-query heads (NKV ≤ NH key/value heads, each shared by NH/NKV query heads).
//
// Shapes: q [B, NH, T, hs], k and v [B, NKV, S, hs], keyPaddingMask [B, S] (1 keep, 0 pad) → [B, NH, T, hs].
// Forward per (b, h): S = q kᵀ·scale (T×S), masked softmax → P (kept for the backward), O = P v.
// Backward per (b, kv head), over its query heads: dV += Pᵀ dO, dP = dO vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale,
// dQ = dS k, dK += dSᵀ q. Rows with every key masked give zeros (PyTorch gives NaN there).

import CBLAS
import Foundation

@inline(__always)
private func sgemm(
    _ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
    cblas_sgemm(
        CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Attention `softmax(q kᵀ·scale + mask) v` with causal and key-padding masks and grouped-query heads.
///
/// - Parameters:
///   - causal: query t sees keys up to t + (S − T) (so a query block at the end of a cache lines up).
///   - keyPaddingMask: [B, S], non-zero where the key is real.
///   - scale: defaults to 1/√hs.
public func scaledDotProductAttention(
    _ q: Tensor, _ k: Tensor, _ v: Tensor, causal: Bool = false,
    keyPaddingMask: Tensor? = nil, scale: Float? = nil
) -> Tensor {
    precondition(q.rank == 4 && k.rank == 4 && v.rank == 4, "attention: q, k, v must be rank 4: \(q.shape) \(k.shape) \(v.shape)")
    let (b, nh, t, hs) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let (nkv, s) = (k.shape[1], k.shape[2])
    precondition(k.shape == [b, nkv, s, hs] && v.shape == k.shape, "attention: k \(k.shape), v \(v.shape) vs q \(q.shape)")
    precondition(nkv > 0 && nh % nkv == 0, "attention: \(nh) query heads not divisible by \(nkv) kv heads")
    if let m = keyPaddingMask { precondition(m.shape == [b, s], "attention: keyPaddingMask \(m.shape), expected [\(b), \(s)]") }
    let group = nh / nkv
    let sc = scale ?? 1 / Float(hs).squareRoot()
    // k and v may be views whose rows of hs floats lie back to back inside each (batch, head), such as
    // a slice of a preallocated KV cache: read them in place; anything else is made contiguous.
    func rowsContiguous(_ x: Tensor) -> Tensor {
        x.strides[3] == 1 && (x.strides[2] == hs || x.shape[2] == 1) ? x.detached() : x.detached().contiguous()
    }
    let qc = q.detached().contiguous(), kc = rowsContiguous(k), vc = rowsContiguous(v)
    /// First row of (batch, kv head) `bkv` of a [B, NKV, S, hs] operand.
    func headBase(_ x: Tensor, _ bkv: Int) -> UnsafeMutablePointer<Float> {
        x.storage.pointer + x.offset + (bkv / nkv) * x.strides[0] + (bkv % nkv) * x.strides[1]
    }
    let maskC = keyPaddingMask?.contiguous()
    let probs = Tensor(uninitialized: [b, nh, t, s])
    let out = Tensor(uninitialized: [b, nh, t, hs])
    let pq = qc.pointer, pp = probs.pointer, po = out.pointer
    let pm = maskC?.pointer
    let shift = s - t
    BLAS.withThreads(1) {
        Parallel.forEachChunk(b * nh) { r in
            for bh in r {
                let bi = bh / nh, hi = bh % nh
                let kvh = bi * nkv + hi / group
                let qh = pq + bh * t * hs, kh = headBase(kc, kvh), vh = headBase(vc, kvh)
                let ph = pp + bh * t * s
                sgemm(false, true, t, s, hs, sc, qh, hs, kh, hs, 0, ph, s)
                for i in 0..<t {
                    let row = ph + i * s
                    // keys [0, n) visible (n = 0 when T > S puts query i before every key)
                    let n = causal ? max(min(s, i + shift + 1), 0) : s
                    if let pm {
                        let mrow = pm + bi * s
                        for j in 0..<n where mrow[j] == 0 { row[j] = -.infinity }
                    }
                    for j in n..<s { row[j] = -.infinity }
                    let m = n > 0 ? rowMax(row, n) : -.infinity
                    if m == -.infinity {
                        for j in 0..<s { row[j] = 0 }
                        continue
                    }
                    let sum = rowExpShift(row, row, n, m)
                    let inv = 1 / sum
                    for j in 0..<n { row[j] *= inv }
                    for j in n..<s { row[j] = 0 }
                }
                sgemm(false, false, t, hs, s, 1, ph, s, vh, hs, 0, po + bh * t * hs, hs)
            }
        }
    }
    let saved = (qc, kc, vc, probs)
    return Tensor.record("attention", out, [q, k, v]) { g in
        let (qc, kc, vc, probs) = saved
        let gc = g.contiguous()
        let dq = Tensor(zeros: qc.shape), dk = Tensor(zeros: kc.shape), dv = Tensor(zeros: vc.shape)
        let pg = gc.pointer, pq = qc.pointer, pp = probs.pointer
        let pdq = dq.pointer, pdk = dk.pointer, pdv = dv.pointer
        BLAS.withThreads(1) {
            Parallel.forEachChunk(b * nkv) { r in
                let dsBuf = UnsafeMutablePointer<Float>.allocate(capacity: t * s)
                defer { dsBuf.deallocate() }
                for bkv in r {
                    let bi = bkv / nkv, kvi = bkv % nkv
                    let kh = headBase(kc, bkv), vh = headBase(vc, bkv)
                    let dkh = pdk + bkv * s * hs, dvh = pdv + bkv * s * hs
                    for gi in 0..<group {
                        let bh = bi * nh + kvi * group + gi
                        let ph = pp + bh * t * s, gh = pg + bh * t * hs, qh = pq + bh * t * hs
                        // dV += Pᵀ dO   [S, hs]
                        sgemm(true, false, s, hs, t, 1, ph, s, gh, hs, 1, dvh, hs)
                        // dP = dO Vᵀ    [T, S]
                        sgemm(false, true, t, s, hs, 1, gh, hs, vh, hs, 0, dsBuf, s)
                        // dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale
                        for i in 0..<t {
                            let prow = ph + i * s, drow = dsBuf + i * s
                            let dot = rowDot(prow, drow, s)
                            let dv = Vec(repeating: dot), scv = Vec(repeating: sc)
                            var j = 0
                            while j + 16 <= s { vstore(vload(prow + j) * (vload(drow + j) - dv) * scv, drow + j); j += 16 }
                            while j < s { drow[j] = prow[j] * (drow[j] - dot) * sc; j += 1 }
                        }
                        // dQ = dS K   [T, hs]
                        sgemm(false, false, t, hs, s, 1, dsBuf, s, kh, hs, 0, pdq + bh * t * hs, hs)
                        // dK += dSᵀ Q [S, hs]
                        sgemm(true, false, s, hs, t, 1, dsBuf, s, qh, hs, 1, dkh, hs)
                    }
                }
            }
        }
        return [dq, dk, dv]
    }
}
