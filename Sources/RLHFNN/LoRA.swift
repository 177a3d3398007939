// LoRA (Hu et al. 2021, as PEFT implements it): a frozen Linear plus a low-rank update,
//
//   y = x Wᵀ + b + s · (dropout(x) Aᵀ) Bᵀ,   A [r, in] ~ U(±1/√in) (kaiming-uniform, a = √5),  B [out, r] = 0,
//   s = alpha / r.
//
// Adapters hang off `Linear.adapter`, outside the reflected parameter tree: `namedParameters()` keeps the
// checkpoint's own keys (so loading and exporting the base are unchanged) and `loraAdapters()` lists the
// adapters by the key of the Linear they adapt. Turning adapters off gives the base model back, which is
// how RLHF gets its frozen reference without a second copy of the weights.

import RLHFTensor

/// The low-rank update of one Linear.
public final class LoRAAdapter: @unchecked Sendable {
    /// [r, in]
    public let loraA: Parameter
    /// [out, r]
    public let loraB: Parameter
    public let rank: Int
    public let alpha: Double
    /// Dropout on the adapter's input (training mode only).
    public let dropout: Float
    /// Whether the update is applied.
    public var enabled = true
    /// Draws the dropout masks.
    public var rng: RandomGenerator

    /// PEFT's initialisation: A kaiming-uniform, B zero (so a new adapter changes nothing).
    public init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Double, dropout: Float = 0, rng: inout RandomGenerator) {
        precondition(rank > 0, "LoRAAdapter: rank must be positive")
        let bound = 1 / Float(inFeatures).squareRoot()
        loraA = Parameter(Tensor.uniform([rank, inFeatures], low: -bound, high: bound, using: &rng))
        loraB = Parameter(Tensor.zeros([outFeatures, rank]))
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.rng = RandomGenerator(seed: rng.next())
    }

    /// alpha / r.
    public var scaling: Float { Float(alpha / Double(rank)) }

    /// s · (dropout(x) Aᵀ) Bᵀ: x [..., in] → [..., out].
    public func delta(_ x: Tensor, training: Bool) -> Tensor {
        let xd = dropout > 0 && training ? RLHFTensor.dropout(x, p: dropout, training: true, using: &rng) : x
        return matmul(matmul(xd, loraA.value, transposeB: true), loraB.value, transposeB: true) * scaling
    }

    /// W + s · B A: the base weight [out, in] with the update folded in (no autodiff).
    public func merged(into weight: Tensor) -> Tensor {
        withNoGrad { weight.detached() + matmul(loraB.value.detached(), loraA.value.detached()) * scaling }
    }
}

extension Module {
    /// Every Linear in the tree with its key (e.g. `model.layers.0.self_attn.q_proj`).
    public func namedLinears(prefix: String = "") -> [(key: String, linear: Linear)] {
        var out: [(key: String, linear: Linear)] = []
        for (name, child) in namedChildren() {
            let key = prefix.isEmpty ? name : prefix + "." + name
            if let l = child as? Linear { out.append((key, l)) }
            out += child.namedLinears(prefix: key)
        }
        return out
    }

    /// Adds a fresh adapter to every Linear whose last key component is in `targets` (`q_proj`, `v_proj`, …)
    /// and freezes everything else; returns the adapted keys.
    ///
    /// - Returns: the keys of the adapted Linears, in tree order (empty when no name matched).
    @discardableResult
    public func addLoRA(targets: [String], rank: Int, alpha: Double, dropout: Float = 0, seed: UInt64) -> [String] {
        var rng = RandomGenerator(seed: seed)
        freeze()
        var adapted: [String] = []
        for (key, linear) in namedLinears() where targets.contains(String(key.split(separator: ".").last ?? "")) {
            let (out, inF) = (linear.weight.shape[0], linear.weight.shape[1])
            linear.adapter = LoRAAdapter(inFeatures: inF, outFeatures: out, rank: rank, alpha: alpha, dropout: dropout, rng: &rng)
            adapted.append(key)
        }
        return adapted
    }

    /// The adapters in the tree, by the key of the Linear each adapts.
    public func loraAdapters() -> [(key: String, adapter: LoRAAdapter)] {
        namedLinears().compactMap { k, l in l.adapter.map { (k, $0) } }
    }

    /// The adapters' parameters under PEFT-style keys (`<linear>.lora_A.weight`, `<linear>.lora_B.weight`).
    public func loraParameters() -> [(key: String, parameter: Parameter)] {
        loraAdapters().flatMap { k, a in [(k + ".lora_A.weight", a.loraA), (k + ".lora_B.weight", a.loraB)] }
    }

    /// Turns every adapter on or off (off: the base model, e.g. the RLHF reference policy).
    public func setAdaptersEnabled(_ on: Bool) {
        for (_, a) in loraAdapters() { a.enabled = on }
    }

    /// Runs `body` with every adapter off, then restores each adapter's previous state.
    public func withAdaptersDisabled<T>(_ body: () throws -> T) rethrows -> T {
        let adapters = loraAdapters().map(\.adapter)
        let before = adapters.map(\.enabled)
        for a in adapters { a.enabled = false }
        defer { for (a, e) in zip(adapters, before) { a.enabled = e } }
        return try body()
    }

    /// Every parameter under its key with enabled adapters merged into their Linear's weight (for export).
    public func mergedNamedTensors() -> [(key: String, tensor: Tensor)] {
        var merged: [ObjectIdentifier: Tensor] = [:]
        for (_, l) in namedLinears() {
            if let a = l.adapter, a.enabled { merged[ObjectIdentifier(l.weight)] = a.merged(into: l.weight.value) }
        }
        return namedParameters().map { k, p in (k, merged[ObjectIdentifier(p)] ?? p.value.detached()) }
    }

    /// Runs `body` with every enabled adapter folded into its Linear's weight and switched off (so the
    /// module's own parameters are the merged model, e.g. for an export), then puts the base weights back
    /// exactly and switches the adapters on again.
    public func withAdaptersMerged<T>(_ body: () throws -> T) rethrows -> T {
        let adapted = namedLinears().compactMap { _, l -> (Linear, LoRAAdapter)? in
            guard let a = l.adapter, a.enabled else { return nil }
            return (l, a)
        }
        var originals: [(Parameter, Tensor)] = []
        for (l, a) in adapted {
            originals.append((l.weight, Tensor(l.weight.value.scalars, shape: l.weight.shape)))
            l.weight.assign(a.merged(into: l.weight.value))
            a.enabled = false
        }
        defer {
            for (p, v) in originals { p.assign(v) }
            for (_, a) in adapted { a.enabled = true }
        }
        return try body()
    }
}
