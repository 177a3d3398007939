// Fused layerNorm and rmsNorm over the last axis, each with its own backward. Per-row statistics are
// kept from the forward; weight and bias gradients are summed per worker, then combined.

import Foundation

/// Sums per-chunk partial vectors [chunks, C] into one [C] tensor of `shape`.
private func combinePartials(_ partial: [Float], chunks: Int, width c: Int) -> Tensor {
    let out = Tensor(zeros: [c])
    let po = out.pointer
    for k in 0..<chunks { for j in 0..<c { po[j] += partial[k * c + j] } }
    return out
}

/// Layer normalisation over the last axis: `(x − mean) / √(var + eps) · weight + bias` (biased variance).
///
/// Shapes: x [..., C], weight [C]?, bias [C]? → [..., C].
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
    let xc = x.detached().contiguous()
    let (rows, c) = xc.rowsAndWidth
    if let weight { precondition(weight.shape == [c], "layerNorm: weight \(weight.shape) for width \(c)") }
    if let bias { precondition(bias.shape == [c], "layerNorm: bias \(bias.shape) for width \(c)") }
    let w = weight?.detached().contiguous(), b = bias?.detached().contiguous()
    let y = Tensor(uninitialized: x.shape)
    var meanBuf = [Float](repeating: 0, count: rows), rstdBuf = [Float](repeating: 0, count: rows)
    let px = xc.pointer, py = y.pointer, pw = w?.pointer, pb = b?.pointer
    let grain = max(1, 8192 / max(c, 1))
    meanBuf.withUnsafeMutableBufferPointer { pm in
        rstdBuf.withUnsafeMutableBufferPointer { pr in
            Parallel.forEachChunk(rows, grain: grain) { r in
                for i in r {
                    let src = px + i * c, dst = py + i * c
                    var acc = Vec(repeating: 0)
                    var j = 0
                    while j + 16 <= c { acc += vload(src + j); j += 16 }
                    var s = hsum(acc)
                    while j < c { s += src[j]; j += 1 }
                    let mean = s / Float(c)
                    let mv = Vec(repeating: mean)
                    var acc2 = Vec(repeating: 0)
                    j = 0
                    while j + 16 <= c { let d = vload(src + j) - mv; acc2 += d * d; j += 16 }
                    var s2 = hsum(acc2)
                    while j < c { let d = src[j] - mean; s2 += d * d; j += 1 }
                    let rstd = 1 / (s2 / Float(c) + eps).squareRoot()
                    pm[i] = mean; pr[i] = rstd
                    let rv = Vec(repeating: rstd)
                    j = 0
                    while j + 16 <= c {
                        var v = (vload(src + j) - mv) * rv
                        if let pw { v = v * vload(pw + j) }
                        if let pb { v = v + vload(pb + j) }
                        vstore(v, dst + j); j += 16
                    }
                    while j < c {
                        var v = (src[j] - mean) * rstd
                        if let pw { v *= pw[j] }
                        if let pb { v += pb[j] }
                        dst[j] = v; j += 1
                    }
                }
            }
        }
    }
    let inputs = [x] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
    let hasW = weight != nil, hasB = bias != nil
    return Tensor.record("layerNorm", y, inputs) { g in
        let gc = g.contiguous()
        let dx = Tensor(uninitialized: xc.shape)
        let pg = gc.pointer, pd = dx.pointer
        let chunks = Parallel.chunkCount(rows, grain: grain)
        var dw = [Float](repeating: 0, count: chunks * c), db = [Float](repeating: 0, count: chunks * c)
        dw.withUnsafeMutableBufferPointer { pdw in
            db.withUnsafeMutableBufferPointer { pdb in
                let pdwb = pdw.baseAddress!, pdbb = pdb.baseAddress!
                Parallel.forEachChunkIndexed(rows, grain: grain) { k, r in
                    let accW = pdwb + k * c, accB = pdbb + k * c
                    for i in r {
                        let src = px + i * c, gr = pg + i * c, dr = pd + i * c
                        let mv = Vec(repeating: meanBuf[i]), rv = Vec(repeating: rstdBuf[i])
                        // dxhat = dy·w; dx = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat))
                        var s1 = Vec(repeating: 0), s2 = Vec(repeating: 0)
                        var j = 0
                        while j + 16 <= c {
                            let xh = (vload(src + j) - mv) * rv
                            let gv = vload(gr + j)
                            let dxh = pw.map { gv * vload($0 + j) } ?? gv
                            s1 += dxh; s2 += dxh * xh
                            vstore(vload(accW + j) + gv * xh, accW + j)
                            vstore(vload(accB + j) + gv, accB + j)
                            j += 16
                        }
                        var m1 = hsum(s1), m2 = hsum(s2)
                        while j < c {
                            let xh = (src[j] - meanBuf[i]) * rstdBuf[i]
                            let dxh = pw.map { gr[j] * $0[j] } ?? gr[j]
                            m1 += dxh; m2 += dxh * xh
                            accW[j] += gr[j] * xh; accB[j] += gr[j]
                            j += 1
                        }
                        m1 /= Float(c); m2 /= Float(c)
                        let m1v = Vec(repeating: m1), m2v = Vec(repeating: m2)
                        j = 0
                        while j + 16 <= c {
                            let xh = (vload(src + j) - mv) * rv
                            let gv = vload(gr + j)
                            let dxh = pw.map { gv * vload($0 + j) } ?? gv
                            vstore(rv * (dxh - m1v - xh * m2v), dr + j)
                            j += 16
                        }
                        while j < c {
                            let xh = (src[j] - meanBuf[i]) * rstdBuf[i]
                            let dxh = pw.map { gr[j] * $0[j] } ?? gr[j]
                            dr[j] = rstdBuf[i] * (dxh - m1 - xh * m2)
                            j += 1
                        }
                    }
                }
            }
        }
        var grads: [Tensor?] = [dx]
        if hasW { grads.append(combinePartials(dw, chunks: chunks, width: c)) }
        if hasB { grads.append(combinePartials(db, chunks: chunks, width: c)) }
        return grads
    }
}

/// Root-mean-square normalisation over the last axis: `x / √(mean(x²) + eps) · weight` (as Llama's
/// `LlamaRMSNorm`).
///
/// Shapes: x [..., C], weight [C]? → [..., C].
public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float = 1e-6) -> Tensor {
    let xc = x.detached().contiguous()
    let (rows, c) = xc.rowsAndWidth
    if let weight { precondition(weight.shape == [c], "rmsNorm: weight \(weight.shape) for width \(c)") }
    let w = weight?.detached().contiguous()
    let y = Tensor(uninitialized: x.shape)
    var rstdBuf = [Float](repeating: 0, count: rows)
    let px = xc.pointer, py = y.pointer, pw = w?.pointer
    let grain = max(1, 8192 / max(c, 1))
    rstdBuf.withUnsafeMutableBufferPointer { pr in
        Parallel.forEachChunk(rows, grain: grain) { r in
            for i in r {
                let src = px + i * c, dst = py + i * c
                let rstd = 1 / (rowDot(src, src, c) / Float(c) + eps).squareRoot()
                pr[i] = rstd
                let rv = Vec(repeating: rstd)
                var j = 0
                while j + 16 <= c {
                    var v = vload(src + j) * rv
                    if let pw { v = v * vload(pw + j) }
                    vstore(v, dst + j); j += 16
                }
                while j < c { dst[j] = src[j] * rstd * (pw?[j] ?? 1); j += 1 }
            }
        }
    }
    let inputs = [x] + (weight.map { [$0] } ?? [])
    let hasW = weight != nil
    return Tensor.record("rmsNorm", y, inputs) { g in
        let gc = g.contiguous()
        let dx = Tensor(uninitialized: xc.shape)
        let pg = gc.pointer, pd = dx.pointer
        let chunks = Parallel.chunkCount(rows, grain: grain)
        var dw = [Float](repeating: 0, count: chunks * c)
        dw.withUnsafeMutableBufferPointer { pdw in
            let pdwb = pdw.baseAddress!
            Parallel.forEachChunkIndexed(rows, grain: grain) { k, r in
                let accW = pdwb + k * c
                for i in r {
                    let src = px + i * c, gr = pg + i * c, dr = pd + i * c
                    let rstd = rstdBuf[i]
                    // xhat = x·rstd; dxhat = dy·w; dx = rstd·(dxhat − xhat·mean(dxhat·xhat))
                    var m = Float(0)
                    for j in 0..<c { m += gr[j] * (pw?[j] ?? 1) * src[j] * rstd }
                    m /= Float(c)
                    for j in 0..<c {
                        let xh = src[j] * rstd
                        dr[j] = rstd * (gr[j] * (pw?[j] ?? 1) - xh * m)
                        accW[j] += gr[j] * xh
                    }
                }
            }
        }
        var grads: [Tensor?] = [dx]
        if hasW { grads.append(combinePartials(dw, chunks: chunks, width: c)) }
        return grads
    }
}
