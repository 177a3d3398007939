// Optimizers with PyTorch's exact single-tensor semantics (torch.optim with foreach=False): SGD with
// momentum/dampening/Nesterov and coupled L2 decay, Adam (coupled L2), AdamW (decoupled decay).
// Each update is a pure per-parameter rule over its state; scalars are computed in Double as PyTorch
// computes them in Python, then rounded to Float once.

import Foundation
import RLHFNN
import RLHFTensor

/// Updates parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next `step()` (schedules set it).
    var learningRate: Double { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// Forgets every parameter's gradient.
    func zeroGrad()
}

/// Per-parameter optimizer state buffers.
final class ParamState {
    var step: Int = 0
    var buffers: [Tensor] = []
}

/// Stochastic gradient descent (as `torch.optim.SGD`).
public final class SGD: Optimizer {
    /// The parameters `step()` updates; frozen ones and those without a gradient are skipped.
    public let parameters: [Parameter]
    /// The learning rate of the next `step()` (schedules set it).
    public var learningRate: Double
    /// `torch.optim.SGD`'s hyper-parameters: the momentum factor μ, the dampening τ (the gradient enters the
    /// momentum buffer scaled by 1 − τ, except at the first step), the coupled L2 weight decay λ (g ← g + λ·θ)
    /// and whether the momentum is Nesterov's.
    public let momentum: Double, dampening: Double, weightDecay: Double, nesterov: Bool
    private var momentumBuffers: [Tensor?]

    /// SGD over `parameters`; the defaults are PyTorch's (no momentum, dampening, weight decay or Nesterov).
    ///
    /// - Precondition: `nesterov` needs `momentum > 0` and `dampening == 0` (PyTorch raises the same error).
    public init(
        parameters: [Parameter], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
        weightDecay: Double = 0, nesterov: Bool = false
    ) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: Nesterov needs momentum > 0 and no dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum; self.dampening = dampening
        self.weightDecay = weightDecay; self.nesterov = nesterov
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// Updates every trainable parameter that has a gradient: d = g + λ·θ; with momentum, the buffer
    /// b ← μ·b + (1 − τ)·d (b = d at the first step) and d = b, or d + μ·b with Nesterov; then θ ← θ − lr·d.
    public func step() {
        for (i, p) in parameters.enumerated() {
            guard p.isTrainable, let grad = p.grad else { continue }
            let w = p.value.pointer, n = p.value.count
            let g = grad.contiguous().pointer
            let wd = Float(weightDecay), mom = Float(momentum), damp = Float(1 - dampening)
            var d = [Float](repeating: 0, count: n)
            for j in 0..<n { d[j] = wd != 0 ? g[j] + wd * w[j] : g[j] }
            if momentum != 0 {
                let buf: Tensor
                if let b = momentumBuffers[i] {
                    buf = b
                    let pb = buf.pointer
                    for j in 0..<n { pb[j] = pb[j] * mom + damp * d[j] }
                } else {
                    buf = Tensor(d, shape: p.shape)
                    momentumBuffers[i] = buf
                }
                let pb = buf.pointer
                if nesterov { for j in 0..<n { d[j] = d[j] + mom * pb[j] } } else { for j in 0..<n { d[j] = pb[j] } }
            }
            let negLR = Float(-learningRate)
            for j in 0..<n { w[j] = w[j] + negLR * d[j] }
        }
    }

    /// Forgets every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// Adam and AdamW (as `torch.optim.Adam` / `torch.optim.AdamW`, amsgrad off).
public final class Adam: Optimizer {
    /// How weight decay enters the update.
    public enum Decay: Sendable {
        /// Adam: `g ← g + λ·θ` before the moments (L2 regularisation).
        case coupled
        /// AdamW: `θ ← θ·(1 − lr·λ)` before the update (Loshchilov & Hutter).
        case decoupled
    }

    /// The parameters `step()` updates, in the order of the per-parameter state; frozen ones and those without a
    /// gradient are skipped (and their step counts stay).
    public let parameters: [Parameter]
    /// The learning rate of the next `step()` (schedules set it).
    public var learningRate: Double
    /// The decay rates β1 and β2 of the first and second moments, the ε added to the denominator, and the
    /// weight decay λ, applied as `decay` says.
    public let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    /// Whether `weightDecay` is coupled (Adam) or decoupled (AdamW).
    public let decay: Decay
    /// Per parameter, in `parameters` order: how many updates it has had (t of the bias corrections).
    public private(set) var steps: [Int]
    /// Per parameter: the first moment m (PyTorch's `exp_avg`), shaped as the parameter.
    public private(set) var firstMoments: [Tensor]
    /// Per parameter: the second moment v (PyTorch's `exp_avg_sq`), shaped as the parameter.
    public private(set) var secondMoments: [Tensor]

    /// Adam over `parameters`, zero moments and step counts; the defaults are `torch.optim.Adam`'s (no weight
    /// decay). `AdamW(parameters:learningRate:betas:eps:weightDecay:)` gives AdamW with its defaults.
    ///
    /// - Parameters:
    ///   - betas: (β1, β2).
    ///   - eps: added to √v̂ in the denominator.
    ///   - decay: `.coupled` as `torch.optim.Adam`, `.decoupled` as `torch.optim.AdamW`.
    public init(
        parameters: [Parameter], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8, weightDecay: Double = 0, decay: Decay = .coupled
    ) {
        self.parameters = parameters
        self.learningRate = learningRate
        beta1 = betas.0; beta2 = betas.1
        self.eps = eps; self.weightDecay = weightDecay; self.decay = decay
        steps = Array(repeating: 0, count: parameters.count)
        firstMoments = parameters.map { Tensor.zeros($0.shape) }
        secondMoments = parameters.map { Tensor.zeros($0.shape) }
    }

    /// Updates every trainable parameter that has a gradient, as PyTorch's single-tensor Adam/AdamW: t ← t + 1;
    /// θ ← θ·(1 − lr·λ) (decoupled) or g ← g + λ·θ (coupled); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
    /// θ ← θ − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε).
    public func step() {
        let lrD = learningRate
        for (i, p) in parameters.enumerated() {
            guard p.isTrainable, let grad = p.grad else { continue }
            steps[i] += 1
            let t = Double(steps[i])
            let w = p.value.pointer, n = p.value.count
            let g = grad.contiguous().pointer
            let m = firstMoments[i].pointer, v = secondMoments[i].pointer
            if decay == .decoupled && weightDecay != 0 {
                let f = Float(1 - lrD * weightDecay)
                for j in 0..<n { w[j] *= f }
            }
            let oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2), b2 = Float(beta2)
            let epsF = Float(eps)
            let bc1 = 1 - Foundation.pow(beta1, t)
            let bc2Sqrt = Float((1 - Foundation.pow(beta2, t)).squareRoot())
            let stepSize = Float(lrD / bc1)
            let wd = decay == .coupled ? Float(weightDecay) : 0
            // elementwise, so split across our workers (each element's arithmetic is unchanged)
            Parallel.forEachChunk(n, grain: 1 << 16) { r in
                for j in r {
                    let gj = wd != 0 ? g[j] + wd * w[j] : g[j]
                    m[j] = m[j] + oneMinusB1 * (gj - m[j])   // exp_avg.lerp_(grad, 1 − β1)
                    v[j] = v[j] * b2 + oneMinusB2 * gj * gj   // exp_avg_sq.mul_(β2).addcmul_(g, g, 1 − β2)
                    let denom = v[j].squareRoot() / bc2Sqrt + epsF
                    w[j] = w[j] + (-stepSize) * (m[j] / denom)   // param.addcdiv_(m, denom, −step_size)
                }
            }
        }
    }

    /// Forgets every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Replaces the per-parameter state (a resumed run): step counts and both moments, in `parameters`
    /// order, each moment shaped as its parameter.
    ///
    /// - Returns: nil on success, else what does not fit (count or the first mismatched shape).
    public func restoreState(steps: [Int], firstMoments m: [Tensor], secondMoments v: [Tensor]) -> String? {
        guard steps.count == parameters.count, m.count == parameters.count, v.count == parameters.count else {
            return "state for \(steps.count)/\(m.count)/\(v.count) parameters, optimizer has \(parameters.count)"
        }
        for i in parameters.indices where m[i].shape != parameters[i].shape || v[i].shape != parameters[i].shape {
            return "moment \(i) has shape \(m[i].shape)/\(v[i].shape), parameter \(parameters[i].shape)"
        }
        self.steps = steps
        firstMoments = m.map { Tensor($0.scalars, shape: $0.shape) }
        secondMoments = v.map { Tensor($0.scalars, shape: $0.shape) }
        return nil
    }
}

/// AdamW with PyTorch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01).
public func AdamW(
    parameters: [Parameter], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
    eps: Double = 1e-8, weightDecay: Double = 0.01
) -> Adam {
    Adam(
        parameters: parameters, learningRate: learningRate, betas: betas, eps: eps,
        weightDecay: weightDecay, decay: .decoupled)
}

/// Scales all gradients so that their global L2 norm is at most `maxNorm` (as
/// `torch.nn.utils.clip_grad_norm_`: coefficient `maxNorm / (norm + 1e-6)` clamped to 1) and returns
/// the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var perParam: [Float] = []
    for p in parameters {
        guard let g = p.grad else { continue }
        let c = g.contiguous()
        let pg = c.pointer
        // per-chunk partial sums in Double (the chunks are fixed by the size, so the result is deterministic)
        let chunks = Parallel.chunkCount(c.count, grain: 1 << 16)
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
        defer { partial.deallocate() }
        Parallel.forEachChunkIndexed(c.count, grain: 1 << 16) { k, r in
            var s: Float = 0, acc = 0.0
            for (i, j) in r.enumerated() {
                s += pg[j] * pg[j]
                if i & 4095 == 4095 { acc += Double(s); s = 0 }
            }
            partial[k] = acc + Double(s)
        }
        var s = 0.0
        for k in 0..<chunks { s += partial[k] }
        perParam.append(Float(s.squareRoot()))
    }
    var total: Float = 0
    for x in perParam { total += x * x }
    total = total.squareRoot()
    let coef = min(maxNorm / (total + 1e-6), 1)
    if coef < 1 {
        for p in parameters {
            guard let g = p.grad else { continue }
            let pg = g.pointer
            Parallel.forEachChunk(g.count, grain: 1 << 16) { r in for j in r { pg[j] *= coef } }
        }
    }
    return total
}
