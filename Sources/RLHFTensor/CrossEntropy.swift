// Vocabulary-sized kernels that never hold a second [N, V] tensor in the forward: cross-entropy with an
// ignore index, selectiveLogSoftmax (log p of given ids) and entropy from logits. Each keeps only a
// per-row log-sum-exp; the backward recomputes softmax from the logits in one pass.

import Foundation

/// Per-row log Σ exp over the last axis of [rows, V].
private func rowLogSumExp(_ x: Tensor) -> [Float] {
    let (rows, v) = x.rowsAndWidth
    var lse = [Float](repeating: 0, count: rows)
    let px = x.pointer
    lse.withUnsafeMutableBufferPointer { pl in
        Parallel.forEachChunk(rows, grain: max(1, 65536 / max(v, 1))) { r in
            for i in r {
                let row = px + i * v
                let m = rowMax(row, v)
                pl[i] = m + Foundation.log(rowSumExpShift(row, v, m))
            }
        }
    }
    return lse
}

/// Writes `scale_i·(exp(x − lse_i) − [j == target_i])` row by row into a new [rows, V] tensor;
/// a negative target means no one-hot term, a zero scale a zero row.
private func softmaxMinusOneHot(_ x: Tensor, lse: [Float], targets: [Int], scales: [Float]) -> Tensor {
    let (rows, v) = x.rowsAndWidth
    let dx = Tensor(uninitialized: x.shape)
    let px = x.pointer, pd = dx.pointer
    Parallel.forEachChunk(rows, grain: max(1, 65536 / max(v, 1))) { r in
        for i in r {
            let sc = scales[i]
            let row = px + i * v, drow = pd + i * v
            if sc == 0 { drow.update(repeating: 0, count: v); continue }
            let lv = Vec(repeating: lse[i]), sv = Vec(repeating: sc)
            var j = 0
            while j + 16 <= v { vstore(vexp(vload(row + j) - lv) * sv, drow + j); j += 16 }
            while j < v { drow[j] = sexp(row[j] - lse[i]) * sc; j += 1 }
            if targets[i] >= 0 { drow[targets[i]] -= sc }
        }
    }
    return dx
}

/// Mean cross-entropy of `logits` [..., V] against `targets` (one per row); rows whose target equals
/// `ignoreIndex` add nothing and are not counted (as `F.cross_entropy(ignore_index=-100)`).
/// Returns a scalar; 0 when every row is ignored.
public func crossEntropy(_ logits: Tensor, targets: [Int], ignoreIndex: Int = -100) -> Tensor {
    let x = logits.detached().contiguous()
    let (rows, v) = x.rowsAndWidth
    precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows of \(logits.shape)")
    for t in targets where t != ignoreIndex {
        precondition(t >= 0 && t < v, "crossEntropy: target \(t) out of range 0..<\(v)")
    }
    let lse = rowLogSumExp(x)
    var total: Double = 0
    var counted = 0
    let px = x.pointer
    for i in 0..<rows where targets[i] != ignoreIndex {
        total += Double(lse[i] - px[i * v + targets[i]])
        counted += 1
    }
    let loss = Tensor(scalar: counted > 0 ? Float(total / Double(counted)) : 0)
    return Tensor.record("crossEntropy", loss, [logits]) { g in
        // dx_ij = g/n · (softmax_ij − [j == t_i]) on counted rows
        let gs = g.item / Float(max(counted, 1))
        let scales = targets.map { $0 == ignoreIndex ? Float(0) : gs }
        let oneHot = targets.map { $0 == ignoreIndex ? -1 : $0 }
        return [softmaxMinusOneHot(x, lse: lse, targets: oneHot, scales: scales).reshaped(logits.shape)]
    }
}

/// log softmax(logits)[id] per row, without materialising the log-softmax: `x[id] − logsumexp(x)`.
///
/// Shapes: logits [..., V], ids one per row → [...].
public func selectiveLogSoftmax(_ logits: Tensor, ids: [Int]) -> Tensor {
    let x = logits.detached().contiguous()
    let (rows, v) = x.rowsAndWidth
    precondition(ids.count == rows, "selectiveLogSoftmax: \(ids.count) ids for \(rows) rows of \(logits.shape)")
    for t in ids { precondition(t >= 0 && t < v, "selectiveLogSoftmax: id \(t) out of range 0..<\(v)") }
    let lse = rowLogSumExp(x)
    let px = x.pointer
    let out = Tensor((0..<rows).map { px[$0 * v + ids[$0]] - lse[$0] }, shape: Array(logits.shape.dropLast()))
    return Tensor.record("selectiveLogSoftmax", out, [logits]) { g in
        // d/dx_ij = g_i·([j == id_i] − softmax_ij) = −g_i·(softmax_ij − [j == id_i])
        let gv = g.scalars.map { -$0 }
        return [softmaxMinusOneHot(x, lse: lse, targets: ids, scales: gv).reshaped(logits.shape)]
    }
}

/// Entropy of softmax(logits) per row: `H = logsumexp(x) − Σ p·x`.
///
/// Shapes: logits [..., V] → [...].
public func entropy(_ logits: Tensor) -> Tensor {
    let x = logits.detached().contiguous()
    let (rows, v) = x.rowsAndWidth
    let lse = rowLogSumExp(x)
    var expect = [Float](repeating: 0, count: rows)   // Σ p·x per row
    let px = x.pointer
    expect.withUnsafeMutableBufferPointer { pe in
        Parallel.forEachChunk(rows, grain: max(1, 65536 / max(v, 1))) { r in
            for i in r {
                let row = px + i * v
                let lv = Vec(repeating: lse[i])
                var acc = Vec(repeating: 0)
                var j = 0
                while j + 16 <= v { let xv = vload(row + j); acc += vexp(xv - lv) * xv; j += 16 }
                var s = hsum(acc)
                while j < v { s += sexp(row[j] - lse[i]) * row[j]; j += 1 }
                pe[i] = s
            }
        }
    }
    let out = Tensor((0..<rows).map { lse[$0] - expect[$0] }, shape: Array(logits.shape.dropLast()))
    return Tensor.record("entropy", out, [logits]) { g in
        // dH/dx_j = −p_j (x_j − Σ p·x)
        let gc = g.contiguous()
        let dx = Tensor(uninitialized: x.shape)
        let pg = gc.pointer, pd = dx.pointer
        Parallel.forEachChunk(rows, grain: max(1, 65536 / max(v, 1))) { r in
            for i in r {
                let row = px + i * v, drow = pd + i * v
                let lv = Vec(repeating: lse[i]), ev = Vec(repeating: expect[i]), gv = Vec(repeating: -pg[i])
                var j = 0
                while j + 16 <= v {
                    let xv = vload(row + j)
                    vstore(gv * vexp(xv - lv) * (xv - ev), drow + j); j += 16
                }
                while j < v { drow[j] = -pg[i] * sexp(row[j] - lse[i]) * (row[j] - expect[i]); j += 1 }
            }
        }
        return [dx.reshaped(logits.shape)]
    }
}
