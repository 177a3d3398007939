// Tensor: a Float32 n-dimensional array value over shared storage, with shape, strides and an optional
// autodiff node. Ops are free functions and methods in one file per family (Elementwise, Broadcast, Reduce,
// Shape, Matmul, Softmax, Norms, Attention, …), each forward next to its backward.

/// A Float32 n-dimensional array.
///
/// `Tensor` is a value type: copying it copies the view (shape, strides, offset) and shares the storage.
/// Ops produce new contiguous tensors; `reshaped`, `permuted`, `transposed` and `sliced` produce views
/// where they can. When any input requires a gradient and recording is on (see `withNoGrad`), an op
/// records a `GradNode` so that `backward()` can compute gradients.
public struct Tensor: @unchecked Sendable {
    /// The shared buffer.
    public let storage: TensorStorage
    /// Size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// Elements to skip to move one step along each dimension.
    public let strides: [Int]
    /// Index of the first element in `storage`.
    public let offset: Int
    /// The autodiff node; `nil` for tensors that need no gradient.
    package var node: GradNode?

    /// A view of `storage`.
    public init(storage: TensorStorage, shape: [Int], strides: [Int]? = nil, offset: Int = 0) {
        let st = strides ?? Tensor.contiguousStrides(shape)
        precondition(st.count == shape.count, "Tensor: strides \(st) do not match shape \(shape)")
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.storage = storage
        self.shape = shape
        self.strides = st
        self.offset = offset
        self.node = nil
    }

    /// A new zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.init(storage: TensorStorage(count: Tensor.elementCount(shape)), shape: shape)
    }

    /// A new tensor whose elements are not initialised: every element must be written before it is read.
    package init(uninitialized shape: [Int]) {
        self.init(storage: TensorStorage(count: Tensor.elementCount(shape), zeroed: false), shape: shape)
    }

    /// A new tensor with `values` in row-major order.
    public init(_ values: [Float], shape: [Int]) {
        precondition(
            values.count == Tensor.elementCount(shape),
            "Tensor: \(values.count) values do not fill shape \(shape)")
        self.init(storage: TensorStorage(values), shape: shape)
    }

    /// A 1-D tensor of `values`.
    public init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A rank-0 tensor.
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// A new tensor of `shape` filled with zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(zeros: shape) }

    /// A new tensor of `shape` filled with ones.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    /// A new tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        if value == 0 { return Tensor(zeros: shape) }
        let t = Tensor(uninitialized: shape)
        t.storage.pointer.update(repeating: value, count: t.count)
        return t
    }

    /// `[start, start + step, …]` below `end`.
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step is 0")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<n).map { start + Float($0) * step })
    }

    // MARK: Geometry

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { Tensor.elementCount(shape) }

    /// Product of `shape`.
    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = acc
            acc *= shape[i]
        }
        return strides
    }

    /// Normalises a possibly negative axis.
    @inline(__always)
    public func axis(_ a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < Swift.max(rank, 1), "axis \(a) out of range for shape \(shape)")
        return r
    }

    /// Whether elements lie row-major and back to back.
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: rank - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Pointer to the first element (meaningful for contiguous tensors).
    @inline(__always)
    public var pointer: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// The elements of a contiguous tensor as a buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        precondition(isContiguous, "buffer: tensor of shape \(shape) is not contiguous; call contiguous()")
        return UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// A contiguous tensor with the same values (self when already contiguous).
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitialized: shape)
        copyStrided(into: out.pointer)
        return Tensor.record("contiguous", out, [self]) { g in [g] }
    }

    /// Copies the elements in row-major order into `dst`.
    package func copyStrided(into dst: UnsafeMutablePointer<Float>) {
        if isContiguous { dst.update(from: pointer, count: count); return }
        let n = count
        if n == 0 { return }
        let r = rank
        let inner = shape[r - 1], innerStride = strides[r - 1]
        var index = [Int](repeating: 0, count: r)
        var src = offset
        var d = 0
        let base = storage.pointer
        while d < n {
            if innerStride == 1 {
                dst.advanced(by: d).update(from: base + src, count: inner)
            } else {
                for i in 0..<inner { dst[d + i] = base[src + i * innerStride] }
            }
            d += inner
            // odometer over the outer dimensions
            var k = r - 2
            while k >= 0 {
                index[k] += 1
                src += strides[k]
                if index[k] < shape[k] { break }
                src -= strides[k] * shape[k]
                index[k] = 0
                k -= 1
            }
        }
    }

    // MARK: Reading values

    /// All elements in row-major order.
    public var scalars: [Float] {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { copyStrided(into: $0.baseAddress!) }
        return out
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements")
        return storage.pointer[offset]
    }

    /// The element at a multi-index.
    public subscript(index: Int...) -> Float {
        precondition(index.count == rank, "subscript: \(index.count) indices for shape \(shape)")
        var p = offset
        for (i, ix) in index.enumerated() {
            precondition(ix >= 0 && ix < shape[i], "subscript: index \(index) out of range for \(shape)")
            p += ix * strides[i]
        }
        return storage.pointer[p]
    }
}

extension Tensor: CustomStringConvertible {
    /// Shape and the first values.
    public var description: String {
        let vals = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(vals)\(count > 8 ? ", …" : "")])"
    }
}
