// Matrix products through cblas_sgemm: 2-D and batched, either operand transposed. Transposed views
// (from `transposed()`) go to BLAS as they are, with the transpose flag flipped instead of a copy.

import CBLAS

/// How one operand's last two dimensions are laid out for BLAS.
private struct GemmOperand {
    let tensor: Tensor
    let trans: Bool   // BLAS transpose flag, after accounting for a column-major view
    let ld: Int
    let batchStride: Int

    /// `t` viewed as [batch, rows, cols] (rows × cols as stored, before `transpose`).
    init(_ t: Tensor, transpose: Bool) {
        var x = t
        let r = x.rank
        func batchOK(_ x: Tensor) -> Bool {
            let r = x.rank
            if r <= 2 { return true }
            let batch = x.shape.dropLast(2).reduce(1, *)
            if x.shape[r - 3] == 1 && batch > 1 { return false }
            for i in 0..<Swift.max(r - 3, 0) where x.strides[i] != x.strides[i + 1] * x.shape[i + 1] {
                return false
            }
            return true
        }
        let rows = x.shape[r - 2], cols = x.shape[r - 1]
        if !batchOK(x) { x = x.contiguous() }
        let s0 = x.strides[r - 2], s1 = x.strides[r - 1]
        if (s1 == 1 || cols == 1) && s0 >= cols {
            trans = transpose; ld = Swift.max(s0, 1, cols)
        } else if (s0 == 1 || rows == 1) && s1 >= rows {
            trans = !transpose; ld = Swift.max(s1, 1, rows)
        } else {
            x = x.contiguous(); trans = transpose; ld = Swift.max(cols, 1)
        }
        tensor = x
        batchStride = r > 2 ? x.strides[r - 3] : 0
    }
}

/// `a @ b` for a rank-2 or batched (rank ≥ 3, equal batch dimensions) pair, no autodiff.
private func gemmForward(_ a: Tensor, _ b: Tensor, _ tA: Bool, _ tB: Bool) -> Tensor {
    let r = a.rank
    let M = tA ? a.shape[r - 1] : a.shape[r - 2]
    let K = tA ? a.shape[r - 2] : a.shape[r - 1]
    let Kb = tB ? b.shape[r - 1] : b.shape[r - 2]
    let N = tB ? b.shape[r - 2] : b.shape[r - 1]
    precondition(K == Kb, "matmul: inner dimensions differ: \(a.shape)\(tA ? "ᵀ" : "") @ \(b.shape)\(tB ? "ᵀ" : "")")
    let batchShape = Array(a.shape.dropLast(2))
    let batch = batchShape.reduce(1, *)
    if M == 0 || N == 0 || batch == 0 || K == 0 { return Tensor(zeros: batchShape + [M, N]) }
    let out = Tensor(uninitialized: batchShape + [M, N])   // sgemm with β = 0 writes every element
    _ = BLAS.configured
    let A = GemmOperand(a, transpose: tA), B = GemmOperand(b, transpose: tB)
    let pa = A.tensor.pointer, pb = B.tensor.pointer, pc = out.pointer
    let ta = A.trans ? CblasTrans : CblasNoTrans, tb = B.trans ? CblasTrans : CblasNoTrans
    let one = 1 as Float, zero = 0 as Float
    if M == 1 && !A.trans {
        // a single row (decoding one token): y = op(B)ᵀ·a streams B once, where sgemm would first pack all
        // of B. The N outputs are split across our workers, OpenBLAS single-threaded inside (its own idle
        // threads would spin against ours on a 2-core machine).
        BLAS.withThreads(1) {
            for i in 0..<batch {
                let a = pa + i * A.batchStride, b0 = pb + i * B.batchStride, y = pc + i * N
                Parallel.forEachChunk(N, grain: 256) { r in
                    if B.trans {   // stored [N, K]: rows r of B times a
                        cblas_sgemv(
                            CblasRowMajor, CblasNoTrans, Int32(r.count), Int32(K), one,
                            b0 + r.lowerBound * B.ld, Int32(B.ld), a, 1, zero, y + r.lowerBound, 1)
                    } else {   // stored [K, N]: columns r of B, transposed, times a
                        cblas_sgemv(
                            CblasRowMajor, CblasTrans, Int32(K), Int32(r.count), one,
                            b0 + r.lowerBound, Int32(B.ld), a, 1, zero, y + r.lowerBound, 1)
                    }
                }
            }
        }
        return out
    }
    let work = M * N * K
    if batch >= 2 && work < (1 << 21) && Parallel.threadCount > 1 {
        // many small products: one per worker, BLAS single-threaded inside
        BLAS.withThreads(1) {
            Parallel.forEachChunk(batch) { range in
                for i in range {
                    cblas_sgemm(
                        CblasRowMajor, ta, tb, Int32(M), Int32(N), Int32(K), one,
                        pa + i * A.batchStride, Int32(A.ld), pb + i * B.batchStride, Int32(B.ld),
                        zero, pc + i * M * N, Int32(N))
                }
            }
        }
    } else {
        for i in 0..<batch {
            splitSgemm(A, B, M: M, N: N, K: K, a: pa + i * A.batchStride, b: pb + i * B.batchStride, c: pc + i * M * N)
        }
    }
    return out
}

/// One product C[M, N] = op(A)·op(B), split into row (or column) blocks across our workers, each block a
/// single-threaded sgemm. OpenBLAS's own threads would busy-wait (sched_yield) for a while after every
/// call, competing on a small machine with our workers' elementwise kernels between the products.
private func splitSgemm(
    _ A: GemmOperand, _ B: GemmOperand, M: Int, N: Int, K: Int,
    a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    alpha: Float = 1, beta: Float = 0
) {
    let ta = A.trans ? CblasTrans : CblasNoTrans, tb = B.trans ? CblasTrans : CblasNoTrans
    let workers = Parallel.threadCount
    let byRows = M >= N
    let extent = byRows ? M : N
    let parts = M * N * K < (1 << 21) ? 1 : Swift.min(workers, extent / 16)
    BLAS.withThreads(1) {
        Parallel.forEachChunk(Swift.max(parts, 1)) { range in
            for p in range {
                // block bounds on multiples of 16 (whole micro-kernel tiles)
                let lo = p == 0 ? 0 : (extent * p / parts) & ~15
                let hi = p == parts - 1 ? extent : (extent * (p + 1) / parts) & ~15
                if hi <= lo { continue }
                if byRows {
                    // rows lo..<hi of op(A) and of C
                    cblas_sgemm(
                        CblasRowMajor, ta, tb, Int32(hi - lo), Int32(N), Int32(K), alpha,
                        a + (A.trans ? lo : lo * A.ld), Int32(A.ld), b, Int32(B.ld), beta, c + lo * N, Int32(N))
                } else {
                    // columns lo..<hi of op(B) and of C
                    cblas_sgemm(
                        CblasRowMajor, ta, tb, Int32(M), Int32(hi - lo), Int32(K), alpha,
                        a, Int32(A.ld), b + (B.trans ? lo * B.ld : lo), Int32(B.ld), beta, c + lo, Int32(N))
                }
            }
        }
    }
}

/// Matrix product `op(a) @ op(b)` where `op` transposes the last two dimensions when asked.
///
/// Shapes: `a` [..., M, K] (or [..., K, M] with `transposeA`), `b` [..., K, N] (or [..., N, K] with
/// `transposeB`) → [..., M, N]. Batch dimensions must be equal, or either side may be rank 2 and is
/// then shared by every batch entry (a rank-2 `b` folds the batch into M: one large GEMM).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA tA: Bool = false, transposeB tB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul: needs rank ≥ 2, got \(a.shape) and \(b.shape)")
    if a.rank > 2 && b.rank == 2 {
        if !tA {
            // [..., M, K] @ [K, N]: fold the batch into M
            let lead = Array(a.shape.dropLast(2))
            let y = matmul(a.reshaped([-1, a.shape[a.rank - 1]]), b, transposeB: tB)
            return y.reshaped(lead + [a.shape[a.rank - 2], y.shape[1]])
        }
        return matmul(a, b.broadcasted(to: Array(a.shape.dropLast(2)) + b.shape), transposeA: tA, transposeB: tB)
    }
    if a.rank == 2 && b.rank > 2 {
        return matmul(a.broadcasted(to: Array(b.shape.dropLast(2)) + a.shape), b, transposeA: tA, transposeB: tB)
    }
    precondition(
        a.rank == b.rank && Array(a.shape.dropLast(2)) == Array(b.shape.dropLast(2)),
        "matmul: batch dimensions differ: \(a.shape) and \(b.shape)")
    let out = gemmForward(a, b, tA, tB)
    let da = a.detached(), db = b.detached()
    let needA = a.requiresGrad, needB = b.requiresGrad
    return Tensor.record("matmul", out, [a, b]) { g in
        // C = A'B' with A' = op(A), B' = op(B): dA' = dC B'ᵀ, dB' = A'ᵀ dC
        let gA: Tensor? =
            needA
            ? (tA ? gemmForward(db, g, tB, true) : gemmForward(g, db, false, !tB)) : nil
        let gB: Tensor? =
            needB
            ? (tB ? gemmForward(g, da, true, tA) : gemmForward(da, g, !tA, false)) : nil
        return [gA, gB]
    }
}

/// `y += alpha · a @ op(b)` in place, with no autodiff (inference: adding a LoRA update to a layer's
/// fresh output without the two extra [M, N] tensors of `y + matmul(a, b) * alpha`).
///
/// Shapes: y [M, N] contiguous and outside any graph, a [M, K], b [K, N] (or [N, K] with `transposeB`).
public func addMatmul(into y: Tensor, _ a: Tensor, _ b: Tensor, transposeB tB: Bool = false, alpha: Float = 1) {
    precondition(
        y.rank == 2 && a.rank == 2 && b.rank == 2 && y.isContiguous && !y.requiresGrad,
        "addMatmul: y \(y.shape) must be a contiguous rank-2 tensor outside any graph; a \(a.shape), b \(b.shape)")
    let M = a.shape[0], K = a.shape[1], N = tB ? b.shape[0] : b.shape[1]
    precondition(
        y.shape == [M, N] && (tB ? b.shape[1] : b.shape[0]) == K,
        "addMatmul: y \(y.shape) += a \(a.shape) @ b \(b.shape)\(tB ? "ᵀ" : "")")
    if M == 0 || N == 0 || K == 0 { return }
    _ = BLAS.configured
    let A = GemmOperand(a, transpose: false), B = GemmOperand(b, transpose: tB)
    withExtendedLifetime((A, B)) {   // small products stay one single-threaded sgemm inside splitSgemm
        splitSgemm(A, B, M: M, N: N, K: K, a: A.tensor.pointer, b: B.tensor.pointer, c: y.pointer, alpha: alpha, beta: 1)
    }
}

/// `x Wᵀ + b` as one product (`nn.Linear`, PyTorch's addmm): the output starts as the bias rows and the
/// GEMM adds into it (β = 1), saving the separate pass over the output that `matmul(…) + b` makes.
///
/// Shapes: x [..., K], weight [N, K], bias [N] → [..., N]. Gradients: dx = g W, dW = gᵀ x, db = Σ_rows g.
public func linear(_ x: Tensor, weight w: Tensor, bias: Tensor) -> Tensor {
    let K = x.shape.last ?? 0, N = w.shape[0]
    precondition(
        w.rank == 2 && w.shape[1] == K && bias.shape == [N],
        "linear: x \(x.shape), weight \(w.shape), bias \(bias.shape)")
    let lead = Array(x.shape.dropLast())
    let M = lead.reduce(1, *)
    if M < 64 || K == 0 { return matmul(x, w, transposeB: true) + bias }   // decoding: the gemv path
    let x2 = x.reshaped([M, K])
    let out = Tensor(uninitialized: [M, N])
    let bc = bias.contiguous()
    let pb = bc.pointer, po = out.pointer
    Parallel.forEachChunk(M, grain: 64) { r in
        for i in r { (po + i * N).update(from: pb, count: N) }
    }
    _ = BLAS.configured
    let A = GemmOperand(x2, transpose: false), B = GemmOperand(w, transpose: true)
    withExtendedLifetime((A, B, bc)) {
        splitSgemm(A, B, M: M, N: N, K: K, a: A.tensor.pointer, b: B.tensor.pointer, c: po, beta: 1)
    }
    let dx = x2.detached(), dw = w.detached()
    let needX = x.requiresGrad, needW = w.requiresGrad, needB = bias.requiresGrad
    let y = Tensor.record("linear", out, [x2, w, bias]) { g in
        [
            needX ? gemmForward(g, dw, false, false) : nil,
            needW ? gemmForward(g, dx, true, false) : nil,
            needB ? g.sum(axes: [0]) : nil
        ]
    }
    return y.reshaped(lead + [N])
}
