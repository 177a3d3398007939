// Reverse-mode, define-by-run autodiff: each op that needs a gradient records a GradNode holding its
// inputs' nodes and a backward closure; `backward()` walks the nodes in reverse topological order.

/// One recorded op (or a leaf that wants a gradient).
///
/// Leaves keep their accumulated `grad` after `backward()`; intermediate nodes drop theirs once spent.
public final class GradNode: @unchecked Sendable {
    /// Accumulated gradient of the final output with respect to this node's tensor.
    public internal(set) var grad: Tensor?
    /// The nodes of the op's inputs (`nil` for inputs that need no gradient).
    private(set) var inputs: [GradNode?]
    /// Maps the output gradient to one gradient per input (`nil` where none is needed).
    private(set) var backwardFn: ((Tensor) -> [Tensor?])?
    /// The op's name, for debugging.
    public let name: String

    /// Whether this node is a leaf (a tensor made to require a gradient, not an op's output).
    public var isLeaf: Bool { backwardFn == nil }

    init(name: String, inputs: [GradNode?], backward: ((Tensor) -> [Tensor?])?) {
        self.name = name
        self.inputs = inputs
        self.backwardFn = backward
    }

    /// Releases a long chain of nodes with a loop instead of one nested release per node (a chain of
    /// 100,000 nodes overflowed the 8 MB main-thread stack): a node about to die hands its inputs over.
    deinit {
        backwardFn = nil   // the closure's captured inputs go; `inputs` still holds them
        var pending = inputs.compactMap { $0 }
        inputs = []
        while var n = pending.popLast() {
            guard isKnownUniquelyReferenced(&n) else { continue }
            n.backwardFn = nil
            pending.append(contentsOf: n.inputs.compactMap { $0 })
            n.inputs = []
        }
    }

    /// Adds `g` to this node's gradient. `shared`: `g`'s buffer is also held elsewhere (a seed, or an
    /// upstream gradient passed on unchanged to several inputs), so a leaf takes a copy: users and
    /// optimizers may change a leaf's gradient in place.
    func accumulate(_ g: Tensor, shared: Bool = false) {
        if let old = grad {
            precondition(old.shape == g.shape, "gradient of \(name): shape \(g.shape) vs \(old.shape)")
            grad = old + g
        } else if isLeaf && shared {
            let owned = Tensor(zeros: g.shape)
            g.copyStrided(into: owned.pointer)
            grad = owned
        } else {
            grad = g.isContiguous ? g.detached() : g.contiguous().detached()
        }
    }
}

/// Whether ops record autodiff nodes. A task-local value, so tests and threads do not disturb each other.
public enum GradMode {
    /// True (the default) when ops record; `withNoGrad` or `GradMode.$isEnabled.withValue(false)` turns it off
    /// for a scope.
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` without recording autodiff nodes (as `torch.no_grad()`).
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.$isEnabled.withValue(false) { try body() }
}

extension Tensor {
    /// Whether this tensor takes part in autodiff.
    public var requiresGrad: Bool { node != nil }

    /// The gradient accumulated by `backward()` (leaves only).
    public var grad: Tensor? { node?.grad }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { node?.grad = nil }

    /// Replaces the accumulated gradient (of a leaf that takes part in autodiff) with `gradient`, of this
    /// tensor's shape: data parallelism writes the gradient reduced over processes back this way.
    package func replaceGrad(with gradient: Tensor) {
        precondition(gradient.shape == shape, "replaceGrad: gradient \(gradient.shape) for a tensor \(shape)")
        node?.grad = gradient
    }

    /// A leaf view of the same storage that accumulates a gradient (or, with `false`, one that does not).
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        var t = Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
        if flag { t.node = GradNode(name: "leaf", inputs: [], backward: nil) }
        return t
    }

    /// The same values, cut from the autodiff graph.
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Records `out` as the result of an op on `inputs` whose backward is `backward`.
    ///
    /// `backward` must not capture `out` with its node (capture the value before this call).
    package static func record(
        _ name: String, _ out: Tensor, _ inputs: [Tensor],
        _ backward: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return out }
        var o = out
        o.node = GradNode(name: name, inputs: inputs.map { $0.node }, backward: backward)
        return o
    }

    /// Computes the gradient of this tensor with respect to every leaf that requires one.
    ///
    /// - Parameter seed: the gradient of the final objective with respect to this tensor; defaults to
    ///   one, which requires a one-element tensor.
    public func backward(_ seed: Tensor? = nil) {
        guard let root = node else {
            preconditionFailure("backward(): tensor of shape \(shape) does not require a gradient")
        }
        let g0: Tensor
        if let seed {
            precondition(seed.shape == shape, "backward(): seed shape \(seed.shape) vs \(shape)")
            g0 = seed
        } else {
            precondition(count == 1, "backward(): implicit seed needs one element, shape is \(shape)")
            g0 = Tensor.ones(shape)
        }
        // Post-order DFS: every node after all of its inputs.
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Bool)] = [(root, false)]
        while let (n, expanded) = stack.popLast() {
            if expanded { order.append(n); continue }
            if !visited.insert(ObjectIdentifier(n)).inserted { continue }
            stack.append((n, true))
            for case let input? in n.inputs where !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        withNoGrad {
            root.accumulate(g0, shared: seed != nil)
            for n in order.reversed() {
                guard let fn = n.backwardFn, let g = n.grad else { continue }
                let grads = fn(g)
                precondition(grads.count == n.inputs.count, "backward of \(n.name): wrong gradient count")
                for (input, gi) in zip(n.inputs, grads) {
                    // a gradient passed on as it came (or as a view of it) shares g's buffer
                    if let input, let gi { input.accumulate(gi, shared: gi.storage === g.storage) }
                }
                n.grad = nil
            }
        }
    }
}

/// Evaluates `f` at `inputs` and returns its value and its gradient with respect to each input
/// (as `jax.value_and_grad` / mlx `valueAndGrad`). `f` must return a one-element tensor.
public func valueAndGrad(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> (value: Tensor, grads: [Tensor]) {
    let leaves = inputs.map { $0.detached().requiringGrad() }
    let value = GradMode.$isEnabled.withValue(true) { f(leaves) }
    if value.requiresGrad { value.backward() }
    let grads = leaves.map { $0.grad ?? Tensor.zeros($0.shape) }
    return (value.detached(), grads)
}
