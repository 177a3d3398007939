// Fused softmax and log-softmax over the last axis (other axes are permuted there), each with its own
// backward. Rows are split across workers; each row is SIMD16 max → exp → sum → scale.

import Foundation

extension Tensor {
    /// (rows, C) for row-wise kernels over the last axis of a contiguous tensor.
    package var rowsAndWidth: (Int, Int) {
        let c = shape.last ?? 1
        return (c == 0 ? 0 : count / c, c)
    }
}

/// Row maximum of `n` floats.
@inline(__always)
package func rowMax(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var m = Vec(repeating: -.infinity)
    var j = 0
    while j + 16 <= n { m = vmax(m, vload(p + j)); j += 16 }
    var s = hmax(m)
    while j < n { s = max(s, p[j]); j += 1 }
    return s
}

/// Writes `exp(p[j] − shift)` to `out` and returns the sum.
@inline(__always)
package func rowExpShift(_ p: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, _ shift: Float) -> Float {
    var acc = Vec(repeating: 0)
    let sv = Vec(repeating: shift)
    var j = 0
    while j + 16 <= n {
        let e = vexp(vload(p + j) - sv)
        vstore(e, out + j); acc += e; j += 16
    }
    var s = hsum(acc)
    while j < n { let e = sexp(p[j] - shift); out[j] = e; s += e; j += 1 }
    return s
}

/// Σ exp(p[j] − shift) without storing.
@inline(__always)
package func rowSumExpShift(_ p: UnsafePointer<Float>, _ n: Int, _ shift: Float) -> Float {
    var acc = Vec(repeating: 0)
    let sv = Vec(repeating: shift)
    var j = 0
    while j + 16 <= n { acc += vexp(vload(p + j) - sv); j += 16 }
    var s = hsum(acc)
    while j < n { s += sexp(p[j] - shift); j += 1 }
    return s
}

/// Σ a[j]·b[j].
@inline(__always)
package func rowDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vec(repeating: 0), acc2 = Vec(repeating: 0)   // two chains: the adds' latency overlaps
    var j = 0
    while j + 32 <= n {
        acc = vfma(vload(a + j), vload(b + j), acc)
        acc2 = vfma(vload(a + j + 16), vload(b + j + 16), acc2)
        j += 32
    }
    acc += acc2
    while j + 16 <= n { acc = vfma(vload(a + j), vload(b + j), acc); j += 16 }
    var s = hsum(acc)
    while j < n { s += a[j] * b[j]; j += 1 }
    return s
}

/// Moves `axis` last, applies a last-axis function, and moves it back.
private func alongLastAxis(_ x: Tensor, _ axis: Int, _ f: (Tensor) -> Tensor) -> Tensor {
    let ax = x.axis(axis)
    if ax == x.rank - 1 { return f(x) }
    var order = Array(0..<x.rank); order.remove(at: ax); order.append(ax)
    var inverse = [Int](repeating: 0, count: x.rank)
    for (i, a) in order.enumerated() { inverse[a] = i }
    return f(x.permuted(order).contiguous()).permuted(inverse).contiguous()
}

/// softmax(x) along `axis`: `exp(x − max) / Σ exp(x − max)`.
public func softmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    alongLastAxis(x, axis) { x in
        let xc = x.contiguous()
        let (rows, n) = xc.rowsAndWidth
        let y = Tensor(uninitialized: x.shape)
        let px = xc.pointer, py = y.pointer
        Parallel.forEachChunk(rows, grain: max(1, 4096 / max(n, 1))) { r in
            for i in r {
                let src = px + i * n, dst = py + i * n
                let s = rowExpShift(src, dst, n, rowMax(src, n))
                let inv = Vec(repeating: 1 / s)
                var j = 0
                while j + 16 <= n { vstore(vload(dst + j) * inv, dst + j); j += 16 }
                while j < n { dst[j] *= 1 / s; j += 1 }
            }
        }
        return Tensor.record("softmax", y, [x]) { g in
            // dx = y ⊙ (dy − Σ dy·y)
            let gc = g.contiguous(), dx = Tensor(uninitialized: y.shape)
            let pg = gc.pointer, pd = dx.pointer
            Parallel.forEachChunk(rows, grain: max(1, 4096 / max(n, 1))) { r in
                for i in r {
                    let yr = py + i * n, gr = pg + i * n, dr = pd + i * n
                    let d = Vec(repeating: rowDot(yr, gr, n))
                    var j = 0
                    while j + 16 <= n { vstore(vload(yr + j) * (vload(gr + j) - d), dr + j); j += 16 }
                    while j < n { dr[j] = yr[j] * (gr[j] - d[0]); j += 1 }
                }
            }
            return [dx]
        }
    }
}

/// log softmax(x) along `axis`: `x − max − log Σ exp(x − max)`.
public func logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor {
    alongLastAxis(x, axis) { x in
        let xc = x.contiguous()
        let (rows, n) = xc.rowsAndWidth
        let y = Tensor(uninitialized: x.shape)
        let px = xc.pointer, py = y.pointer
        Parallel.forEachChunk(rows, grain: max(1, 4096 / max(n, 1))) { r in
            for i in r {
                let src = px + i * n, dst = py + i * n
                let m = rowMax(src, n)
                let shift = Vec(repeating: m + Foundation.log(rowSumExpShift(src, n, m)))
                var j = 0
                while j + 16 <= n { vstore(vload(src + j) - shift, dst + j); j += 16 }
                while j < n { dst[j] = src[j] - shift[0]; j += 1 }
            }
        }
        return Tensor.record("logSoftmax", y, [x]) { g in
            // dx = dy − exp(y) Σ dy
            let gc = g.contiguous(), dx = Tensor(uninitialized: y.shape)
            let pg = gc.pointer, pd = dx.pointer
            Parallel.forEachChunk(rows, grain: max(1, 4096 / max(n, 1))) { r in
                for i in r {
                    let yr = py + i * n, gr = pg + i * n, dr = pd + i * n
                    var acc = Vec(repeating: 0)
                    var j = 0
                    while j + 16 <= n { acc += vload(gr + j); j += 16 }
                    var s = hsum(acc)
                    while j < n { s += gr[j]; j += 1 }
                    let sv = Vec(repeating: s)
                    j = 0
                    while j + 16 <= n { vstore(vload(gr + j) - vexp(vload(yr + j)) * sv, dr + j); j += 16 }
                    while j < n { dr[j] = gr[j] - sexp(yr[j]) * s; j += 1 }
                }
            }
            return [dx]
        }
    }
}
