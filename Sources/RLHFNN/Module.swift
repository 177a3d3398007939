// Module: a tree of layers whose parameters are addressed by HF-style key paths
// ("encoder.layer.0.attention.self.query.weight"). Children and parameters are found by reflection over
// stored properties; a property's key is its name in snake_case (`qProj` → `q_proj`, as HF names it),
// unless the class renames it in `keyRenames` (declared beside the properties, e.g. `["selfAttention": "self"]`).

import RLHFTensor

/// A trainable tensor owned by a module. Optimizers update `value` in place.
public final class Parameter: @unchecked Sendable {
    /// The current value: a leaf that accumulates a gradient while the parameter is trainable.
    public private(set) var value: Tensor

    /// Whether the parameter gets gradients (false once frozen).
    public var isTrainable: Bool {
        didSet {
            if oldValue != isTrainable { value = value.detached().requiringGrad(isTrainable) }
            if isTrainable { storedQuantized = nil }
        }
    }

    /// The same weights in a ggml block format (as a GGUF file stores them), which inference-time products
    /// read instead of `value` while the parameter is frozen (`Linear` decoding a few rows). Dropped for
    /// good when the parameter becomes trainable or is assigned, so it never goes stale.
    public var quantized: QuantizedMatrix? {
        get { isTrainable ? nil : storedQuantized }
        set { storedQuantized = newValue }
    }
    private var storedQuantized: QuantizedMatrix?

    /// Creates a trainable parameter holding `value`.
    public init(_ value: Tensor, trainable: Bool = true) {
        self.isTrainable = trainable
        self.value = value.detached().contiguous().requiringGrad(trainable)
    }

    /// The gradient accumulated by the last `backward()` calls.
    public var grad: Tensor? { value.grad }

    /// Shape of the value.
    public var shape: [Int] { value.shape }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { value.zeroGrad() }

    /// Overwrites the values in place (same shape), keeping the parameter's identity and gradient.
    public func assign(_ newValue: Tensor) {
        precondition(newValue.shape == value.shape, "Parameter.assign: shape \(newValue.shape) into \(value.shape)")
        value.buffer.baseAddress!.update(from: newValue.contiguous().pointer, count: value.count)
        storedQuantized = nil
    }
}

/// A layer or model. Subclasses store `Parameter`s, child `Module`s and arrays of modules as properties;
/// they are found by reflection, so loading and saving are key maps.
open class Module: @unchecked Sendable {
    /// Whether the module is in training mode (dropout active); see `train()` / `eval()`.
    public private(set) var training: Bool = true

    /// A module in training mode (subclasses call it after setting their parameters and children).
    public init() {}

    /// Checkpoint keys that differ from the snake_case of property names: property name → key (e.g. BERT's
    /// `["selfAttention": "self", "layerNorm": "LayerNorm"]`). Arrays of modules contribute `key.0`, `key.1`, ….
    open var keyRenames: [String: String] { [:] }

    /// Direct children and parameters under their keys, in declaration order.
    private func reflectedEntries() -> [(String, Any)] {
        var entries: [(String, Any)] = []
        let renames = keyRenames
        var mirror: Mirror? = Mirror(reflecting: self)
        var chain: [Mirror] = []
        while let m = mirror { chain.append(m); mirror = m.superclassMirror }
        for m in chain.reversed() {
            for child in m.children {
                guard let label = child.label else { continue }
                let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
                entries.append((renames[name] ?? Module.snakeCase(name), child.value))
            }
        }
        return entries
    }

    /// `qProj` → `q_proj`, `embedTokens` → `embed_tokens`: the HF spelling of a Swift property name.
    public static func snakeCase(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }

    /// Direct child modules with their keys (arrays contribute "name.0", "name.1", …).
    open func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = []
        for (key, value) in reflectedEntries() {
            if let m = value as? Module {
                out.append((key, m))
            } else if let list = value as? [Module] {
                for (i, m) in list.enumerated() { out.append(("\(key).\(i)", m)) }
            }
        }
        return out
    }

    /// Parameters stored directly on this module.
    open func namedOwnParameters() -> [(String, Parameter)] {
        reflectedEntries().compactMap { key, value in (value as? Parameter).map { (key, $0) } }
    }

    /// Every parameter in the tree under its full key path.
    public func namedParameters() -> [(key: String, parameter: Parameter)] {
        var out: [(key: String, parameter: Parameter)] = namedOwnParameters().map { (key: $0.0, parameter: $0.1) }
        for (name, child) in namedChildren() {
            for (k, p) in child.namedParameters() { out.append((key: "\(name).\(k)", parameter: p)) }
        }
        return out
    }

    /// Every parameter in the tree.
    public func parameters() -> [Parameter] { namedParameters().map { $0.parameter } }

    /// The trainable parameters in the tree.
    public func trainableParameters() -> [Parameter] { parameters().filter { $0.isTrainable } }

    /// The parameter at `key`, if any.
    public func parameter(at key: String) -> Parameter? {
        namedParameters().first { $0.key == key }?.parameter
    }

    /// Number of scalars in all parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.value.count } }

    /// Number of scalars in trainable parameters.
    public var trainableParameterCount: Int { trainableParameters().reduce(0) { $0 + $1.value.count } }

    /// Puts the tree in training mode (or evaluation mode with `false`).
    public func train(_ on: Bool = true) {
        training = on
        for (_, c) in namedChildren() { c.train(on) }
    }

    /// Puts the tree in evaluation mode.
    public func eval() { train(false) }

    /// Stops gradients for every parameter whose key starts with `prefix` (all when empty).
    public func freeze(prefix: String = "") {
        for (k, p) in namedParameters() where k.hasPrefix(prefix) { p.isTrainable = false }
    }

    /// Restores gradients for every parameter whose key starts with `prefix` (all when empty).
    public func unfreeze(prefix: String = "") {
        for (k, p) in namedParameters() where k.hasPrefix(prefix) { p.isTrainable = true }
    }

    /// Forgets every accumulated gradient.
    public func zeroGrad() { for p in parameters() { p.zeroGrad() } }
}

/// Runs `loss` with fresh gradients and returns its value and the gradient of every trainable
/// parameter of `model` by key (as mlx's `valueAndGrad(model, fn)`).
public func valueAndGrad(_ model: Module, _ loss: () -> Tensor) -> (value: Float, grads: [String: Tensor]) {
    model.zeroGrad()
    let l = GradMode.$isEnabled.withValue(true) { loss() }
    precondition(l.count == 1, "valueAndGrad: loss must have one element, shape is \(l.shape)")
    if l.requiresGrad { l.backward() }
    var grads: [String: Tensor] = [:]
    for (k, p) in model.namedParameters() where p.isTrainable {
        grads[k] = p.grad ?? Tensor.zeros(p.shape)
    }
    return (l.item, grads)
}
