// LoRA (Hu et al. 2021, as PEFT implements it): a frozen linear map plus a low-rank update,
//
//   y = base(x) + s · (dropout(x) Aᵀ) Bᵀ,   A [r, in] ~ U(±1/√in) (kaiming-uniform, a = √5),  B [out, r] = 0,
//   s = alpha / r.
//
// Any `LoRAAdaptable` layer carries one: `Linear` (weight [out, in]) and transformers' `Conv1D` (GPT-2,
// weight [in, out]: PEFT's fan_in_fan_out, where A and B keep their shapes and merging adds (B A)ᵀ).
// Adapters hang off the layer's `adapter`, outside the reflected parameter tree: `namedParameters()` keeps
// the checkpoint's own keys (so loading and exporting the base are unchanged) and `loraAdapters()` lists
// the adapters by the key of the layer they adapt. Turning adapters off gives the base model back, which
// is how RLHF gets its frozen reference without a second copy of the weights.

import RLHFTensor

/// A linear layer that can carry a LoRA update (`Linear`, transformers' `Conv1D`).
public protocol LoRAAdaptable: Module {
    /// The base weight: [out, in], or [in, out] when `weightIsTransposed`.
    var weight: Parameter { get }
    /// The update added to the layer's output when present and enabled.
    var adapter: LoRAAdapter? { get set }
    /// Whether `weight` is stored [in, out] (transformers' Conv1D; PEFT's `fan_in_fan_out`).
    var weightIsTransposed: Bool { get }
}

extension LoRAAdaptable {
    /// The width of the layer's input.
    public var inFeatures: Int { weight.shape[weightIsTransposed ? 0 : 1] }
    /// The width of the layer's output.
    public var outFeatures: Int { weight.shape[weightIsTransposed ? 1 : 0] }

    /// The base weight with the adapter folded in (the weight itself without an adapter), no autodiff.
    public func mergedWeight() -> Tensor {
        guard let adapter else { return weight.value.detached() }
        return adapter.merged(into: weight.value, transposed: weightIsTransposed)
    }
}

/// The low-rank update of one linear layer.
public final class LoRAAdapter: @unchecked Sendable {
    /// [r, in]
    public let loraA: Parameter
    /// [out, r]
    public let loraB: Parameter
    /// r, the inner width of the update.
    public let rank: Int
    /// LoRA's alpha; the update is scaled by alpha / r (`scaling`).
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

    /// s · (dropout(x) Aᵀ) Bᵀ: x [..., in] → [..., out]. The scaling multiplies the small [..., r] product,
    /// not the [..., out] one (the same map; one pass over r columns instead of out).
    public func delta(_ x: Tensor, training: Bool) -> Tensor {
        let xd = dropout > 0 && training ? RLHFTensor.dropout(x, p: dropout, training: true, using: &rng) : x
        return matmul(matmul(xd, loraA.value, transposeB: true) * scaling, loraB.value, transposeB: true)
    }

    /// y + s · (dropout(x) Aᵀ) Bᵀ for a layer's output y [..., out] of input x [..., in]. When nothing needs
    /// a gradient and dropout is off (decoding, scoring), the update is added into y in place by one GEMM
    /// with β = 1, so y must be the layer's own fresh output.
    public func added(to y: Tensor, input x: Tensor, training: Bool) -> Tensor {
        let recording = GradMode.isEnabled && (x.requiresGrad || y.requiresGrad || loraA.value.requiresGrad || loraB.value.requiresGrad)
        guard !recording, !(dropout > 0 && training), y.isContiguous, let out = y.shape.last, out > 0 else {
            return y + delta(x, training: training)
        }
        let rows = y.count / out
        let xa = matmul(x.reshaped([rows, x.shape.last ?? 0]), loraA.value, transposeB: true)   // [rows, r]
        addMatmul(into: y.reshaped([rows, out]), xa, loraB.value, transposeB: true, alpha: scaling)
        return y
    }

    /// W + s · B A for a weight [out, in]; W + s · (B A)ᵀ = W + s · Aᵀ Bᵀ for a transposed one [in, out]
    /// (no autodiff).
    public func merged(into weight: Tensor, transposed: Bool = false) -> Tensor {
        withNoGrad {
            let (a, b) = (loraA.value.detached(), loraB.value.detached())
            let update = transposed ? matmul(a, b, transposeA: true, transposeB: true) : matmul(b, a)
            return weight.detached() + update * scaling
        }
    }
}

extension Module {
    /// Every LoRA-adaptable layer in the tree with its key (e.g. `model.layers.0.self_attn.q_proj`,
    /// `transformer.h.0.attn.c_attn`).
    public func namedLoRALayers(prefix: String = "") -> [(key: String, layer: any LoRAAdaptable)] {
        var out: [(key: String, layer: any LoRAAdaptable)] = []
        for (name, child) in namedChildren() {
            let key = prefix.isEmpty ? name : prefix + "." + name
            if let l = child as? any LoRAAdaptable { out.append((key, l)) }
            out += child.namedLoRALayers(prefix: key)
        }
        return out
    }

    /// Adds a fresh adapter to every adaptable layer whose last key component is in `targets` (`q_proj`,
    /// `c_attn`, …; PEFT's matching) and freezes everything else.
    ///
    /// - Returns: the keys of the adapted layers, in tree order (empty when no name matched).
    @discardableResult
    public func addLoRA(targets: [String], rank: Int, alpha: Double, dropout: Float = 0, seed: UInt64) -> [String] {
        var rng = RandomGenerator(seed: seed)
        freeze()
        var adapted: [String] = []
        for (key, layer) in namedLoRALayers() where targets.contains(String(key.split(separator: ".").last ?? "")) {
            layer.adapter = LoRAAdapter(
                inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, rank: rank, alpha: alpha,
                dropout: dropout, rng: &rng)
            adapted.append(key)
        }
        return adapted
    }

    /// The adapters in the tree, by the key of the layer each adapts.
    public func loraAdapters() -> [(key: String, adapter: LoRAAdapter)] {
        namedLoRALayers().compactMap { k, l in l.adapter.map { (k, $0) } }
    }

    /// Whether any adapted layer stores its weight [in, out] (PEFT's `fan_in_fan_out`).
    public var adaptersAreFanInFanOut: Bool {
        namedLoRALayers().contains { $0.layer.adapter != nil && $0.layer.weightIsTransposed }
    }

    /// The adapters' parameters under PEFT-style keys (`<layer>.lora_A.weight`, `<layer>.lora_B.weight`).
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

    /// The adaptable layers whose adapter is on.
    private func enabledAdaptedLayers() -> [(layer: any LoRAAdaptable, adapter: LoRAAdapter)] {
        namedLoRALayers().compactMap { _, l in
            guard let a = l.adapter, a.enabled else { return nil }
            return (l, a)
        }
    }

    /// Every parameter under its key with enabled adapters merged into their layer's weight (for export).
    public func mergedNamedTensors() -> [(key: String, tensor: Tensor)] {
        var merged: [ObjectIdentifier: Tensor] = [:]
        for (l, _) in enabledAdaptedLayers() { merged[ObjectIdentifier(l.weight)] = l.mergedWeight() }
        return namedParameters().map { k, p in (k, merged[ObjectIdentifier(p)] ?? p.value.detached()) }
    }

    /// Runs `body` with every enabled adapter folded into its layer's weight and switched off (so the
    /// module's own parameters are the merged model, e.g. for an export), then puts the base weights back
    /// exactly, with the quantised blocks a frozen base weight decodes from, and switches the adapters
    /// on again. (Dropping those blocks would switch later decoding from the quantised kernel to the
    /// Float32 GEMM, whose rounding differs: a run that saved a checkpoint would then compute otherwise
    /// than one resumed from it.)
    public func withAdaptersMerged<T>(_ body: () throws -> T) rethrows -> T {
        let adapted = enabledAdaptedLayers()
        var originals: [(Parameter, Tensor, QuantizedMatrix?)] = []
        for (l, a) in adapted {
            originals.append((l.weight, Tensor(l.weight.value.scalars, shape: l.weight.shape), l.weight.quantized))
            l.weight.assign(l.mergedWeight())
            a.enabled = false
        }
        defer {
            for (p, v, q) in originals { p.assign(v); p.quantized = q }
            for (_, a) in adapted { a.enabled = true }
        }
        return try body()
    }
}
