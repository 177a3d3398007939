// Reductions over axes: sum, mean, max, var (with keepDim), argmax. A reduced axis is viewed as the
// middle of (outer, n, inner) over a contiguous tensor.

extension Tensor {
    /// (outer, n, inner) for reducing `axis`.
    private func split(_ axis: Int) -> (Int, Int, Int) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    private func reducedShape(_ axes: [Int], keepDim: Bool) -> [Int] {
        var s: [Int] = []
        for (i, d) in shape.enumerated() {
            if axes.contains(i) { if keepDim { s.append(1) } } else { s.append(d) }
        }
        return s
    }

    /// Sum over one axis, keeping it as size 1; no autodiff.
    private func rawSum(axis: Int) -> Tensor {
        let x = contiguous()
        let (outer, n, inner) = split(axis)
        var outShape = shape; outShape[axis] = 1
        let out = Tensor(zeros: outShape)
        let px = x.pointer, po = out.pointer
        if inner == 1 {
            Parallel.forEachChunk(outer, grain: Swift.max(1, 8192 / Swift.max(n, 1))) { r in
                for o in r {
                    let row = px + o * n
                    var acc = Vec(repeating: 0)
                    var j = 0
                    while j + 16 <= n { acc += vload(row + j); j += 16 }
                    var s = hsum(acc)
                    while j < n { s += row[j]; j += 1 }
                    po[o] = s
                }
            }
        } else {
            Parallel.forEachChunk(outer, grain: 1) { r in
                for o in r {
                    let dst = po + o * inner
                    for k in 0..<n {
                        let src = px + (o * n + k) * inner
                        for i in 0..<inner { dst[i] += src[i] }
                    }
                }
            }
        }
        return out
    }

    /// Sum over `axes` (all when nil or empty).
    public func sum(axes: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        let ax = Set((axes?.isEmpty == false ? axes! : Array(0..<rank)).map { axis($0) }).sorted()
        var y = self.detached()
        for a in ax { y = y.rawSum(axis: a) }
        let outShape = reducedShape(ax, keepDim: keepDim)
        let out = y.reshapedView(outShape)
        let inShape = shape, keptShape = reducedShape(ax, keepDim: true)
        return Tensor.record("sum", out, [self]) { g in [g.reshaped(keptShape).broadcasted(to: inShape)] }
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDim: Bool = false) -> Tensor { sum(axes: [axis], keepDim: keepDim) }

    /// Mean over `axes` (all when nil or empty).
    public func mean(axes: [Int]? = nil, keepDim: Bool = false) -> Tensor {
        let ax = (axes?.isEmpty == false ? axes! : Array(0..<rank)).map { axis($0) }
        let n = Set(ax).reduce(1) { $0 * shape[$1] }
        return sum(axes: ax, keepDim: keepDim) * (1 / Float(n))
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDim: Bool = false) -> Tensor { mean(axes: [axis], keepDim: keepDim) }

    /// Variance over `axes`; `unbiased` divides by n − 1 (PyTorch's default, `correction=1`).
    public func variance(axes: [Int]? = nil, unbiased: Bool = true, keepDim: Bool = false) -> Tensor {
        let ax = (axes?.isEmpty == false ? axes! : Array(0..<rank)).map { axis($0) }
        let n = Set(ax).reduce(1) { $0 * shape[$1] }
        let d = self - mean(axes: ax, keepDim: true)
        return (d * d).sum(axes: ax, keepDim: keepDim) * (1 / Float(unbiased ? n - 1 : n))
    }

    /// Maximum over one axis; the gradient goes to the first maximal element.
    public func max(axis a: Int, keepDim: Bool = false) -> Tensor {
        let ax = axis(a)
        let (values, indices) = maxWithIndices(axis: ax)
        let kept = values
        let out = keepDim ? kept : kept.reshapedView(reducedShape([ax], keepDim: false))
        let inShape = shape, (outer, n, inner) = split(ax)
        return Tensor.record("max", out, [self]) { g in
            let gc = g.contiguous()
            let dx = Tensor(zeros: inShape)
            let pg = gc.pointer, pd = dx.pointer
            for o in 0..<outer {
                for i in 0..<inner {
                    let k = indices[o * inner + i]
                    pd[(o * n + k) * inner + i] += pg[o * inner + i]
                }
            }
            return [dx]
        }
    }

    /// Maximum of all elements.
    public func max() -> Tensor { reshaped([count]).max(axis: 0) }

    /// The mean and the index of the first maximum of each row of the last axis (no gradient): what the
    /// trainers log of [N, V] logits (mean logit, top-1 token). Rows are split across workers; each is a
    /// SIMD16 sum and max, then a scan for the first index holding the max.
    public func rowMeansAndArgmax() -> (means: [Double], argmax: [Int]) {
        let x = contiguous()
        let (rows, n) = x.rowsAndWidth
        var means = [Double](repeating: 0, count: rows), argmax = [Int](repeating: 0, count: rows)
        guard n > 0 else { return (means, argmax) }
        let p = x.pointer
        means.withUnsafeMutableBufferPointer { pm in
            argmax.withUnsafeMutableBufferPointer { pa in
                let pm = pm.baseAddress!, pa = pa.baseAddress!
                Parallel.forEachChunk(rows) { range in
                    for r in range {
                        let row = p + r * n
                        var acc = Vec(repeating: 0)
                        var j = 0
                        while j + 16 <= n { acc += vload(row + j); j += 16 }
                        var sum = Double(hsum(acc))
                        while j < n { sum += Double(row[j]); j += 1 }
                        let m = rowMax(row, n)
                        var k = 0
                        while k < n - 1 && !(row[k] == m) { k += 1 }
                        pm[r] = sum / Double(n); pa[r] = k
                    }
                }
            }
        }
        return withExtendedLifetime(x) { (means, argmax) }
    }

    /// Index of the first maximum along `axis` (as Float values); no gradient.
    public func argmax(axis a: Int, keepDim: Bool = false) -> Tensor {
        let ax = axis(a)
        let (values, indices) = maxWithIndices(axis: ax)
        let out = Tensor(indices.map { Float($0) }, shape: values.shape)
        return keepDim ? out : out.reshapedView(reducedShape([ax], keepDim: false))
    }

    /// Max values (axis kept as 1) and their first indices, in (outer, inner) order.
    private func maxWithIndices(axis ax: Int) -> (Tensor, [Int]) {
        let x = contiguous()
        let (outer, n, inner) = split(ax)
        precondition(n > 0, "max: empty axis \(ax) in shape \(shape)")
        var outShape = shape; outShape[ax] = 1
        let out = Tensor(zeros: outShape)
        var idx = [Int](repeating: 0, count: outer * inner)
        let px = x.pointer, po = out.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                var best = px[o * n * inner + i], bi = 0
                for k in 1..<Swift.max(n, 1) {
                    let v = px[(o * n + k) * inner + i]
                    if v > best || (best.isNaN == false && v.isNaN) { best = v; bi = k }
                }
                po[o * inner + i] = best
                idx[o * inner + i] = bi
            }
        }
        return (out, idx)
    }
}
