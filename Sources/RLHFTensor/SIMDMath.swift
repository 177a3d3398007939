// Vectorised transcendental functions on SIMD16<Float>. Swift neither vectorises calls into libm nor
// reassociates float sums, so hot kernels call these. Accuracy against libm is tested (SIMDMathTests).

/// Lanes per vector in the kernels.
public typealias Vec = SIMD16<Float>

@usableFromInline let magicRound: Float = 12_582_912.0   // 1.5 · 2²³: adding it rounds to an integer

/// a·b + c in one rounding (`vfmadd`; Swift never contracts `a * b + c` by itself).
@inlinable @inline(__always)
public func vfma(_ a: Vec, _ b: Vec, _ c: Vec) -> Vec { c.addingProduct(a, b) }

/// e^x, relative error ≤ 7.5e-8 on [-87.3, 88] (measured, SIMDMathTests); 0 below −87.3 (so e^{−∞} = 0),
/// e^88 above 88.
@inlinable @inline(__always)
public func vexp(_ x: Vec) -> Vec {
    let xc = vmin(vmax(x, Vec(repeating: -87.3)), Vec(repeating: 88.0))
    let magic = Vec(repeating: magicRound)
    let t = vfma(xc, Vec(repeating: 1.442_695_040_888_963), magic)   // n + magic, n = round(x / ln 2)
    let n = t - magic
    var r = vfma(n, Vec(repeating: -0.693_359_375), xc)   // x − n·ln2 (Cody–Waite split)
    r = vfma(n, Vec(repeating: 2.121_944_400_546_905_8e-4), r)
    // 1 + r + r²·Q(r): minimax on |r| ≤ ln2/2 for relative error (Taylor's 1/720 … 1/2 reach 2.3e-7)
    var p = Vec(repeating: 1.387_576_805e-3)
    p = vfma(p, r, Vec(repeating: 8.372_880_518e-3))
    p = vfma(p, r, Vec(repeating: 4.166_768_491e-2))
    p = vfma(p, r, Vec(repeating: 1.666_647_792e-1))
    p = vfma(p, r, Vec(repeating: 4.999_999_404e-1))
    p = vfma(p, r, Vec(repeating: 1))
    p = vfma(p, r, Vec(repeating: 1))
    let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    let scale = unsafeBitCast((ni &+ 127) &<< 23, to: Vec.self)
    return (p * scale).replacing(with: 0, where: x .< -87.3)   // exp(−inf) = 0 exactly (masks)
}

/// Lane-wise maximum as compare + blend. (`pointwiseMax`, `.clamped` and `.max()` are scalarised by the
/// compiler: they honour NaN rules lane by lane.)
@inlinable @inline(__always)
public func vmax(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: b .> a) }

/// Lane-wise minimum as compare + blend.
@inlinable @inline(__always)
public func vmin(_ a: Vec, _ b: Vec) -> Vec { a.replacing(with: b, where: b .< a) }

/// tanh(x) = (e^{2x} − 1)/(e^{2x} + 1) with x clamped to ±10 (where tanh rounds to ±1); absolute
/// error ≈ 2e-7. (No sign blends: with them LLVM split this into 128-bit halves.)
@inlinable @inline(__always)
public func vtanh(_ x: Vec) -> Vec {
    let xc = vmin(vmax(x, Vec(repeating: -10)), Vec(repeating: 10))
    let e = vexp(xc + xc)
    return (e - 1) / (e + 1)
}

/// 1 / (1 + e^{−x}).
@inlinable @inline(__always)
public func vsigmoid(_ x: Vec) -> Vec {
    1 / (1 + vexp(-x))
}

/// erf(x) as x·P(x²)/Q(x²) on x clamped to ±4 (the rational form of Eigen and XLA: degree 13/8, no exp).
/// In exact arithmetic its error is 6.5e-8; evaluated in Float the measured absolute error is ≈ 4.5e-7.
@inlinable @inline(__always)
public func verf(_ x: Vec) -> Vec {
    let xc = vmin(vmax(x, Vec(repeating: -4)), Vec(repeating: 4))
    let x2 = xc * xc
    var p = vfma(x2, Vec(repeating: -2.726_142_258_013_06e-10), Vec(repeating: 2.770_681_424_959_02e-08))
    p = vfma(x2, p, Vec(repeating: -2.101_024_020_825_08e-06))
    p = vfma(x2, p, Vec(repeating: -5.692_506_394_623_46e-05))
    p = vfma(x2, p, Vec(repeating: -7.349_906_303_268_55e-04))
    p = vfma(x2, p, Vec(repeating: -2.954_599_808_540_25e-03))
    p = vfma(x2, p, Vec(repeating: -1.609_603_332_624_15e-02))
    var q = vfma(x2, Vec(repeating: -1.456_607_184_649_96e-05), Vec(repeating: -2.133_740_552_789_05e-04))
    q = vfma(x2, q, Vec(repeating: -1.682_826_974_382_03e-03))
    q = vfma(x2, q, Vec(repeating: -7.373_329_167_204_68e-03))
    q = vfma(x2, q, Vec(repeating: -1.426_473_905_141_89e-02))
    return xc * p / q
}

/// Horizontal sum of a vector, by halving (`.sum()` adds the 16 lanes one after another: a 60-cycle
/// dependency chain per call, which dominated row kernels on short rows).
@inlinable @inline(__always)
public func hsum(_ v: Vec) -> Float {
    let a = v.lowHalf + v.highHalf   // 8 lanes
    let b = a.lowHalf + a.highHalf   // 4 lanes
    let c = b.lowHalf + b.highHalf   // 2 lanes
    return c[0] + c[1]
}

/// Horizontal max of a vector, by halving.
@inlinable @inline(__always)
public func hmax(_ v: Vec) -> Float {
    let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)   // 8 lanes
    let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)   // 4 lanes
    let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .> b.lowHalf)   // 2 lanes
    return c[0] > c[1] ? c[0] : c[1]
}

/// Loads 16 floats.
@inlinable @inline(__always)
public func vload(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

/// Stores 16 floats.
@inlinable @inline(__always)
public func vstore(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// Scalar versions with the same formulas, for loop tails (so every element gets the same rounding).
@inlinable @inline(__always)
public func sexp(_ x: Float) -> Float { vexp(Vec(repeating: x))[0] }
/// tanh(x) of one float, by `vtanh`'s formula.
@inlinable @inline(__always)
public func stanh(_ x: Float) -> Float { vtanh(Vec(repeating: x))[0] }
/// erf(x) of one float, by `verf`'s formula.
@inlinable @inline(__always)
public func serf(_ x: Float) -> Float { verf(Vec(repeating: x))[0] }
