// Shape primitives: reshape, permute/transpose, slice, concat, stack, gather, indexSelect. Views where
// possible (reshape of a contiguous tensor, permute, slice); copies otherwise.

extension Tensor {
    /// Resolves one `-1` in a requested shape.
    private func resolve(_ newShape: [Int]) -> [Int] {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "reshape: cannot reshape \(shape) to \(newShape)")
            s[i] = count / known
        }
        precondition(Tensor.elementCount(s) == count, "reshape: cannot reshape \(shape) to \(newShape)")
        return s
    }

    /// A view with a new shape of a contiguous tensor, without autodiff bookkeeping.
    package func reshapedView(_ newShape: [Int]) -> Tensor {
        var t = Tensor(storage: storage, shape: newShape, strides: Tensor.contiguousStrides(newShape), offset: offset)
        t.node = node
        return t
    }

    /// The same elements in row-major order with a new shape (one entry may be -1).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let s = resolve(newShape)
        if s == shape { return self }
        let src = contiguous()
        let out = Tensor(storage: src.storage, shape: s, offset: src.offset)
        let old = shape
        return Tensor.record("reshape", out, [src]) { g in [g.reshaped(old)] }
    }

    /// Inserts a dimension of size 1 at `axis`.
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        var s = shape; s.insert(1, at: a)
        return reshaped(s)
    }

    /// Removes a dimension of size 1 at `axis`.
    public func squeezed(_ axis: Int) -> Tensor {
        let a = self.axis(axis)
        precondition(shape[a] == 1, "squeeze: dimension \(a) of \(shape) is not 1")
        var s = shape; s.remove(at: a)
        return reshaped(s)
    }

    /// A view with dimensions reordered: result dimension i is dimension `order[i]` of self.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(
            order.count == rank && Set(order.map { axis($0) }).count == rank,
            "permute: \(order) is not a permutation for shape \(shape)")
        let o = order.map { axis($0) }
        let out = Tensor(storage: storage, shape: o.map { shape[$0] }, strides: o.map { strides[$0] }, offset: offset)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in o.enumerated() { inverse[a] = i }
        return Tensor.record("permute", out, [self]) { g in [g.permuted(inverse)] }
    }

    /// A view with two dimensions swapped (the last two by default).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(axis(a), axis(b))
        return permuted(order)
    }

    /// A view of `start..<end` along `axis`.
    public func sliced(axis a: Int, _ start: Int, _ end: Int) -> Tensor {
        let ax = axis(a)
        precondition(
            start >= 0 && start <= end && end <= shape[ax],
            "slice: \(start)..<\(end) out of range for dimension \(ax) of \(shape)")
        var s = shape; s[ax] = end - start
        let out = Tensor(storage: storage, shape: s, strides: strides, offset: offset + start * strides[ax])
        let full = shape
        return Tensor.record("slice", out, [self]) { g in
            // place g back into a zero tensor of the input's shape
            let dx = Tensor(zeros: full)
            let view = Tensor(storage: dx.storage, shape: s, strides: dx.strides, offset: start * dx.strides[ax])
            view.assign(g)
            return [dx]
        }
    }

    /// Copies `src` (same shape) element by element into this view, without autodiff.
    package func assign(_ src: Tensor) {
        precondition(src.shape == shape, "assign: shape \(src.shape) into \(shape)")
        let c = src.contiguous()
        if isContiguous { pointer.update(from: c.pointer, count: count); return }
        let n = count
        if n == 0 { return }
        let r = rank, inner = shape[r - 1], st = strides[r - 1]
        var index = [Int](repeating: 0, count: r)
        var dst = offset, d = 0
        let base = storage.pointer, s = c.pointer
        while d < n {
            for i in 0..<inner { base[dst + i * st] = s[d + i] }
            d += inner
            var k = r - 2
            while k >= 0 {
                index[k] += 1; dst += strides[k]
                if index[k] < shape[k] { break }
                dst -= strides[k] * shape[k]; index[k] = 0; k -= 1
            }
        }
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concat(_ tensors: [Tensor], axis a: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors")
        let first = tensors[0]
        let ax = first.axis(a)
        for t in tensors {
            precondition(
                t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == ax || t.shape[$0] == first.shape[$0] },
                "concat: shape \(t.shape) does not match \(first.shape) off axis \(ax)")
        }
        var s = first.shape
        s[ax] = tensors.reduce(0) { $0 + $1.shape[ax] }
        let out = Tensor(zeros: s)
        var starts: [Int] = []
        var pos = 0
        for t in tensors {
            starts.append(pos)
            var vs = s; vs[ax] = t.shape[ax]
            Tensor(storage: out.storage, shape: vs, strides: out.strides, offset: pos * out.strides[ax]).assign(t)
            pos += t.shape[ax]
        }
        let sizes = tensors.map { $0.shape[ax] }
        return Tensor.record("concat", out, tensors) { g in
            (0..<sizes.count).map { i in g.sliced(axis: ax, starts[i], starts[i] + sizes[i]).contiguous() }
        }
    }

    /// Stacks same-shaped tensors along a new dimension `axis`.
    public static func stack(_ tensors: [Tensor], axis a: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: no tensors")
        return concat(tensors.map { $0.unsqueezed(a) }, axis: a)
    }

    /// `out[i][j][k] = self[i][index[i][j][k]][k]` for `axis` 1 (as `torch.gather`); `index` holds
    /// integral values, has the rank of self, and is no larger than self off `axis`.
    public func gather(axis a: Int, index: Tensor) -> Tensor {
        let ax = axis(a)
        precondition(
            index.rank == rank && (0..<rank).allSatisfy { $0 == ax || index.shape[$0] <= shape[$0] },
            "gather: index shape \(index.shape) does not fit input shape \(shape) off axis \(ax)")
        let x = contiguous(), idx = index.contiguous()
        let out = Tensor(zeros: idx.shape)
        let outer = idx.shape[..<ax].reduce(1, *), inner = idx.shape[(ax + 1)...].reduce(1, *)
        let m = idx.shape[ax], n = shape[ax]
        // offsets in x of index's outer and inner positions (index may be smaller than x off the axis)
        let xs = x.strides
        func xOffset(_ flat: Int, _ dims: [Int]) -> Int {
            var r = flat, off = 0
            for d in dims.reversed() { off += (r % idx.shape[d]) * xs[d]; r /= idx.shape[d] }
            return off
        }
        let outerOff = (0..<outer).map { xOffset($0, Array(0..<ax)) }
        let innerOff = (0..<inner).map { xOffset($0, Array((ax + 1)..<rank)) }
        let px = x.pointer, pi = idx.pointer, po = out.pointer
        var positions = [Int](repeating: 0, count: out.count)
        for o in 0..<outer {
            for j in 0..<m {
                for i in 0..<inner {
                    let k = Int(pi[(o * m + j) * inner + i])
                    precondition(k >= 0 && k < n, "gather: index \(k) out of range 0..<\(n)")
                    let src = outerOff[o] + k * xs[ax] + innerOff[i]
                    positions[(o * m + j) * inner + i] = src
                    po[(o * m + j) * inner + i] = px[src]
                }
            }
        }
        let inShape = shape
        return Tensor.record("gather", out, [self]) { g in
            let gc = g.contiguous(), dx = Tensor(zeros: inShape)
            let pg = gc.pointer, pd = dx.pointer
            for (i, p) in positions.enumerated() { pd[p] += pg[i] }
            return [dx]
        }
    }

    /// Selects entries `indices` along `axis` (as `torch.index_select`).
    public func indexSelect(axis a: Int, _ indices: [Int]) -> Tensor {
        let ax = axis(a)
        let x = contiguous()
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *), n = shape[ax]
        var s = shape; s[ax] = indices.count
        let out = Tensor(zeros: s)
        let px = x.pointer, po = out.pointer
        for k in indices { precondition(k >= 0 && k < n, "indexSelect: index \(k) out of range 0..<\(n)") }
        for o in 0..<outer {
            for (j, k) in indices.enumerated() {
                (po + (o * indices.count + j) * inner).update(from: px + (o * n + k) * inner, count: inner)
            }
        }
        let inShape = shape
        return Tensor.record("indexSelect", out, [self]) { g in
            let gc = g.contiguous(), dx = Tensor(zeros: inShape)
            let pg = gc.pointer, pd = dx.pointer
            for o in 0..<outer {
                for (j, k) in indices.enumerated() {
                    let d = pd + (o * n + k) * inner, s = pg + (o * indices.count + j) * inner
                    for i in 0..<inner { d[i] += s[i] }
                }
            }
            return [dx]
        }
    }
}
