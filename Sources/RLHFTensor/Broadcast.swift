// Broadcasting (NumPy rules) for binary ops, its inverse for gradients (`sum(toShape:)`), and the
// materialising `broadcasted(to:)`.

extension Tensor {
    /// The shape that `a` and `b` broadcast to (NumPy rules); a precondition names both shapes.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let r = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            precondition(da == db || da == 1 || db == 1, "broadcast: shapes \(a) and \(b) are incompatible")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Strides that read this tensor as if it had shape `target` (0 along broadcast dimensions).
    package func broadcastStrides(to target: [Int]) -> [Int] {
        let r = target.count
        precondition(r >= rank, "broadcast: cannot broadcast \(shape) to \(target)")
        var st = [Int](repeating: 0, count: r)
        for i in 0..<rank {
            let j = i + r - rank
            if shape[i] == target[j] { st[j] = strides[i] } else { precondition(shape[i] == 1, "broadcast: cannot broadcast \(shape) to \(target)") }
        }
        return st
    }

    /// A new contiguous tensor holding this tensor broadcast to `target` (as `expand(...).contiguous()`).
    public func broadcasted(to target: [Int]) -> Tensor {
        if target == shape { return contiguous() }   // callers index the result as a dense buffer
        let view = Tensor(storage: storage, shape: target, strides: broadcastStrides(to: target), offset: offset)
        let out = Tensor(uninitialized: target)
        view.copyStrided(into: out.pointer)
        let src = shape
        return Tensor.record("broadcast", out, [self]) { g in [g.sum(toShape: src)] }
    }

    /// Sums over the dimensions that broadcasting added or stretched, giving a tensor of `target` shape.
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "sum(toShape:): \(shape) cannot reduce to \(target)")
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[i + lead] != 1 { axes.append(i + lead) }
        var r = axes.isEmpty ? self : sum(axes: axes, keepDim: true)
        if r.rank != target.count { r = r.reshaped(target) }
        return r
    }
}
