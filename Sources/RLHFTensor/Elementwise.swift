// Elementwise primitives: binary ops with broadcasting, unary maths, comparisons, where/maskedFill.
// Each op that is differentiable records its backward right next to its forward.

import Foundation

/// A binary elementwise kernel; generic specialisation inlines `apply` into the loops.
package protocol BinaryKernel { static func apply(_ a: Float, _ b: Float) -> Float }
/// `a + b`.
package enum AddK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
/// `a − b`.
package enum SubK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
/// `a · b`.
package enum MulK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
/// `a / b` (IEEE: x/0 is ±inf or NaN).
package enum DivK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
/// 1 where `a > b`, else 0.
package enum GtK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a > b ? 1 : 0 } }
/// 1 where `a ≥ b`, else 0.
package enum GeK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a >= b ? 1 : 0 } }
/// 1 where `a < b`, else 0.
package enum LtK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a < b ? 1 : 0 } }
/// 1 where `a ≤ b`, else 0.
package enum LeK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a <= b ? 1 : 0 } }
/// 1 where `a == b`, else 0.
package enum EqK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }
/// The larger of `a` and `b` (`Swift.max`).
package enum MaxK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) } }
/// The smaller of `a` and `b` (`Swift.min`).
package enum MinK: BinaryKernel { @inline(__always) package static func apply(_ a: Float, _ b: Float) -> Float { Swift.min(a, b) } }

extension Tensor {
    /// Applies `K` to `a` and `b` broadcast together; no autodiff.
    package static func binary<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _: K.Type) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape)
        let out = Tensor(uninitialized: shape)
        let n = out.count
        if n == 0 { return out }
        let o = out.pointer
        if a.shape == b.shape && a.isContiguous && b.isContiguous {
            let pa = a.pointer, pb = b.pointer
            Parallel.forEachChunk(n, grain: 1 << 16) { r in
                for i in r { o[i] = K.apply(pa[i], pb[i]) }
            }
            return out
        }
        let sa = a.broadcastStrides(to: shape), sb = b.broadcastStrides(to: shape)
        let r = shape.count
        let inner = shape[r - 1], ia = sa[r - 1], ib = sb[r - 1]
        let rows = n / inner
        let pa0 = a.storage.pointer + a.offset, pb0 = b.storage.pointer + b.offset
        Parallel.forEachChunk(rows, grain: Swift.max(1, (1 << 15) / Swift.max(inner, 1))) { range in
            for row in range {
                // offsets of this row in a and b
                var rem = row, oa = 0, ob = 0
                for k in stride(from: r - 2, through: 0, by: -1) {
                    let ix = rem % shape[k]; rem /= shape[k]
                    oa += ix * sa[k]; ob += ix * sb[k]
                }
                let pa = pa0 + oa, pb = pb0 + ob, po = o + row * inner
                if ia == 1 && ib == 1 {
                    for i in 0..<inner { po[i] = K.apply(pa[i], pb[i]) }
                } else if ia == 1 && ib == 0 {
                    let bv = pb[0]
                    for i in 0..<inner { po[i] = K.apply(pa[i], bv) }
                } else if ia == 0 && ib == 1 {
                    let av = pa[0]
                    for i in 0..<inner { po[i] = K.apply(av, pb[i]) }
                } else {
                    for i in 0..<inner { po[i] = K.apply(pa[i * ia], pb[i * ib]) }
                }
            }
        }
        return out
    }

    /// Applies `f` to every element; no autodiff.
    @inline(__always)
    package func map(_ f: (Float) -> Float) -> Tensor {
        let src = contiguous()
        let out = Tensor(uninitialized: shape)
        let s = src.pointer, o = out.pointer
        let n = count
        Parallel.forEachChunk(n, grain: 1 << 15) { r in
            for i in r { o[i] = f(s[i]) }
        }
        return out
    }

    /// Applies `K` lane-wise to every element (tails padded through a 16-lane scratch); no autodiff.
    /// Generic over the kernel type so that the kernel is specialised and inlined into the loop.
    package func mapVec<K: VecMap>(_: K.Type) -> Tensor {
        let src = contiguous()
        let out = Tensor(uninitialized: shape)
        let s = src.pointer, o = out.pointer
        let n = count
        Parallel.forEachChunk(n / 16 + 1, grain: 2048) { r in
            for c in r {
                let i = c * 16
                if i + 16 <= n {
                    vstore(K.apply(vload(s + i)), o + i)
                } else if i < n {
                    var tmp = Vec(repeating: 0)
                    for j in 0..<(n - i) { tmp[j] = s[i + j] }
                    let y = K.apply(tmp)
                    for j in 0..<(n - i) { o[i + j] = y[j] }
                }
            }
        }
        return out
    }

    /// Applies `K` lane-wise to two same-shaped tensors (x, upstream gradient); no autodiff.
    package static func zipMapVec<K: VecZip>(_ a: Tensor, _ b: Tensor, _: K.Type) -> Tensor {
        precondition(a.shape == b.shape, "zipMapVec: \(a.shape) vs \(b.shape)")
        let ac = a.contiguous(), bc = b.contiguous()
        let out = Tensor(uninitialized: a.shape)
        let pa = ac.pointer, pb = bc.pointer, po = out.pointer
        let n = a.count
        Parallel.forEachChunk(n / 16 + 1, grain: 2048) { r in
            for c in r {
                let i = c * 16
                if i + 16 <= n {
                    vstore(K.apply(vload(pa + i), vload(pb + i)), po + i)
                } else if i < n {
                    var ta = Vec(repeating: 0), tb = Vec(repeating: 0)
                    for j in 0..<(n - i) { ta[j] = pa[i + j]; tb[j] = pb[i + j] }
                    let y = K.apply(ta, tb)
                    for j in 0..<(n - i) { po[i + j] = y[j] }
                }
            }
        }
        return out
    }
}

/// A lane-wise function of one vector.
package protocol VecMap { static func apply(_ x: Vec) -> Vec }
/// A lane-wise function of two vectors (typically x and the upstream gradient).
package protocol VecZip { static func apply(_ x: Vec, _ g: Vec) -> Vec }

private enum ExpK: VecMap { @inline(__always) static func apply(_ x: Vec) -> Vec { vexp(x) } }

// MARK: - Arithmetic

/// `a + b` with broadcasting.
public func + (a: Tensor, b: Tensor) -> Tensor {
    let out = Tensor.binary(a, b, AddK.self)
    let sa = a.shape, sb = b.shape
    return Tensor.record("add", out, [a, b]) { g in [g.sum(toShape: sa), g.sum(toShape: sb)] }
}

/// `a - b` with broadcasting.
public func - (a: Tensor, b: Tensor) -> Tensor {
    let out = Tensor.binary(a, b, SubK.self)
    let sa = a.shape, sb = b.shape
    return Tensor.record("sub", out, [a, b]) { g in [g.sum(toShape: sa), (-g).sum(toShape: sb)] }
}

/// `a * b` with broadcasting.
public func * (a: Tensor, b: Tensor) -> Tensor {
    let out = Tensor.binary(a, b, MulK.self)
    let da = a.detached(), db = b.detached()
    return Tensor.record("mul", out, [a, b]) { g in
        [
            a.requiresGrad ? (g * db).sum(toShape: da.shape) : nil,
            b.requiresGrad ? (g * da).sum(toShape: db.shape) : nil
        ]
    }
}

/// `a / b` with broadcasting.
public func / (a: Tensor, b: Tensor) -> Tensor {
    let out = Tensor.binary(a, b, DivK.self)
    let da = a.detached(), db = b.detached(), y = out
    return Tensor.record("div", out, [a, b]) { g in
        // y = a/b: dy/da = 1/b, dy/db = −y/b
        [
            a.requiresGrad ? (g / db).sum(toShape: da.shape) : nil,
            b.requiresGrad ? (-(g * y) / db).sum(toShape: db.shape) : nil
        ]
    }
}

/// `−a`.
public prefix func - (a: Tensor) -> Tensor {
    let out = a.map { -$0 }
    return Tensor.record("neg", out, [a]) { g in [-g] }
}

/// `a + b`, the scalar `b` broadcast over `a` as a rank-0 tensor; the gradient flows to `a`.
public func + (a: Tensor, b: Float) -> Tensor { a + Tensor(scalar: b) }
/// `a - b`, the scalar `b` broadcast over `a` as a rank-0 tensor; the gradient flows to `a`.
public func - (a: Tensor, b: Float) -> Tensor { a - Tensor(scalar: b) }
/// `a * b`, the scalar `b` broadcast over `a` as a rank-0 tensor; the gradient flows to `a`.
public func * (a: Tensor, b: Float) -> Tensor { a * Tensor(scalar: b) }
/// `a / b`, the scalar `b` broadcast over `a` as a rank-0 tensor; the gradient flows to `a`.
public func / (a: Tensor, b: Float) -> Tensor { a / Tensor(scalar: b) }
/// `a + b`, the scalar `a` broadcast over `b` as a rank-0 tensor; the gradient flows to `b`.
public func + (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) + b }
/// `a - b`, the scalar `a` broadcast over `b` as a rank-0 tensor; the gradient flows to `b`.
public func - (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) - b }
/// `a * b`, the scalar `a` broadcast over `b` as a rank-0 tensor; the gradient flows to `b`.
public func * (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) * b }
/// `a / b`, the scalar `a` broadcast over `b` as a rank-0 tensor; the gradient flows to `b`.
public func / (a: Float, b: Tensor) -> Tensor { Tensor(scalar: a) / b }

// MARK: - Unary maths

extension Tensor {
    /// e^x.
    public func exp() -> Tensor {
        let y = mapVec(ExpK.self)
        return Tensor.record("exp", y, [self]) { g in [g * y] }
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        let x = detached()
        let y = map { Foundation.log($0) }
        return Tensor.record("log", y, [self]) { g in [g / x] }
    }

    /// Square root.
    public func sqrt() -> Tensor {
        let y = map { $0.squareRoot() }
        return Tensor.record("sqrt", y, [self]) { g in [g * 0.5 / y] }
    }

    /// 1 / √x.
    public func rsqrt() -> Tensor {
        let y = map { 1 / $0.squareRoot() }
        // d(x^{-1/2}) = −½ x^{-3/2} = −½ y³
        return Tensor.record("rsqrt", y, [self]) { g in [g * (y * y * y) * -0.5] }
    }

    /// x^p for a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        let x = detached()
        let y = map { Foundation.pow($0, p) }
        return Tensor.record("pow", y, [self]) { g in [g * x.map { p * Foundation.pow($0, p - 1) }] }
    }

    /// |x|; the gradient at 0 is 0 (as PyTorch).
    public func abs() -> Tensor {
        let x = detached()
        let y = map { Swift.abs($0) }
        return Tensor.record("abs", y, [self]) { g in [g * x.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }] }
    }

    /// Hyperbolic tangent (libm precision).
    public func tanh() -> Tensor {
        let y = map { Foundation.tanh($0) }
        return Tensor.record("tanh", y, [self]) { g in [g * y.map { 1 - $0 * $0 }] }
    }

    /// 1 / (1 + e^{−x}).
    public func sigmoid() -> Tensor {
        let y = map { $0 >= 0 ? 1 / (1 + Foundation.exp(-$0)) : Foundation.exp($0) / (1 + Foundation.exp($0)) }
        return Tensor.record("sigmoid", y, [self]) { g in [g * y.map { $0 * (1 - $0) }] }
    }

    /// Swift.max(x, 0); gradient 0 at 0.
    public func relu() -> Tensor {
        let x = detached()
        let y = map { Swift.max($0, 0) }
        return Tensor.record("relu", y, [self]) { g in [g * x.map { $0 > 0 ? 1 : 0 }] }
    }

    /// Clamps to `[lo, hi]`; the gradient passes where `lo ≤ x ≤ hi` (as PyTorch).
    public func clamp(min lo: Float = -.infinity, max hi: Float = .infinity) -> Tensor {
        let x = detached()
        let y = map { Swift.min(Swift.max($0, lo), hi) }
        return Tensor.record("clamp", y, [self]) { g in [g * x.map { $0 >= lo && $0 <= hi ? 1 : 0 }] }
    }

    /// Elementwise maximum of two tensors; ties send the gradient to `self`.
    public func maximum(_ other: Tensor) -> Tensor {
        let out = Tensor.binary(self, other, MaxK.self)
        let mask = Tensor.binary(self, other, GeK.self)
        let sa = shape, sb = other.shape
        return Tensor.record("maximum", out, [self, other]) { g in
            [(g * mask).sum(toShape: sa), (g * (1 - mask)).sum(toShape: sb)]
        }
    }

    /// Elementwise minimum of two tensors; ties send the gradient to `self`.
    public func minimum(_ other: Tensor) -> Tensor {
        let out = Tensor.binary(self, other, MinK.self)
        let mask = Tensor.binary(self, other, LeK.self)
        let sa = shape, sb = other.shape
        return Tensor.record("minimum", out, [self, other]) { g in
            [(g * mask).sum(toShape: sa), (g * (1 - mask)).sum(toShape: sb)]
        }
    }

    // MARK: Comparisons (no gradient): 1 where true, 0 elsewhere.

    /// `self > other` as 0/1.
    public func greater(_ other: Tensor) -> Tensor { Tensor.binary(self, other, GtK.self) }
    /// `self >= other` as 0/1.
    public func greaterEqual(_ other: Tensor) -> Tensor { Tensor.binary(self, other, GeK.self) }
    /// `self < other` as 0/1.
    public func less(_ other: Tensor) -> Tensor { Tensor.binary(self, other, LtK.self) }
    /// `self <= other` as 0/1.
    public func lessEqual(_ other: Tensor) -> Tensor { Tensor.binary(self, other, LeK.self) }
    /// `self == other` as 0/1.
    public func equal(_ other: Tensor) -> Tensor { Tensor.binary(self, other, EqK.self) }
    /// `self > v` as 0/1.
    public func greater(_ v: Float) -> Tensor { greater(Tensor(scalar: v)) }
    /// `self < v` as 0/1.
    public func less(_ v: Float) -> Tensor { less(Tensor(scalar: v)) }

    /// Where `mask` is non-zero, `value`; elsewhere `self`. The gradient flows where the mask is zero.
    public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
        Tensor.where(mask, Tensor(scalar: value), self)
    }

    /// `a` where `condition` is non-zero, else `b`, all broadcast together.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let c = condition.map { $0 != 0 ? 1 : 0 }
        let shape = broadcastShape(broadcastShape(c.shape, a.shape), b.shape)
        let cb = c.broadcasted(to: shape), ab = a.detached().broadcasted(to: shape)
        let bb = b.detached().broadcasted(to: shape)
        let out = Tensor(zeros: shape)
        let pc = cb.pointer, pa = ab.pointer, pb = bb.pointer, po = out.pointer
        for i in 0..<out.count { po[i] = pc[i] != 0 ? pa[i] : pb[i] }
        let sa = a.shape, sb = b.shape
        return Tensor.record("where", out, [a, b]) { g in
            [(g * cb).sum(toShape: sa), (g * (1 - cb)).sum(toShape: sb)]
        }
    }
}
