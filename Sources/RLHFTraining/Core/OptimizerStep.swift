// The end of every optimizer step, shared by the trainers: the gradients are ready; measure their global
// norm, refuse a non-finite step, clip, set the scheduled learning rate, step, and check that the weights
// are still finite.
//
// The non-finite guard: an update whose loss or gradient norm is NaN or ±∞ is skipped (the optimizer's
// moments and the weights stay as they were; the data it consumed is not revisited) and reported;
// `max_nonfinite_steps` such updates in a row stop the run with an error naming the step. (PPO makes
// several updates per step, one per minibatch and PPO epoch; the guard counts updates.) An applied step
// that leaves a trained weight non-finite (a finite gradient times an absurd learning rate) stops the run
// at once: it cannot be undone, and no checkpoint is written from it. Overflow can also leave every
// number finite and the model dead: an RMSNorm whose input squares to ∞ outputs 0, the logits are all 0,
// the loss sits at ln(vocabulary) and the gradient is exactly 0. `max_nonfinite_steps` updates in a row
// with a zero gradient and a non-zero loss stop the run the same way.

import RLHFNN
import RLHFOptim
import RLHFTensor

/// Counts non-finite steps and decides when a run must stop.
public struct NonFiniteGuard: Equatable, Sendable {
    /// Non-finite steps in a row that stop the run.
    public let limit: Int
    /// Non-finite steps in a row so far.
    public private(set) var streak = 0
    /// Non-finite steps skipped over the run.
    public private(set) var skipped = 0
    /// Updates in a row whose gradient was exactly zero although the loss was not.
    public private(set) var zeroStreak = 0
    /// Why the run must stop, once it must.
    public private(set) var failure: TrainingError?

    /// A guard that stops the run after `limit` non-finite steps in a row.
    public init(limit: Int) { self.limit = limit }

    /// Whether a step with this loss and gradient norm may be applied. A non-finite one is counted (and
    /// sets `failure` when it is the `limit`-th in a row); a finite one ends the streak.
    ///
    /// - Parameter step: the optimizer step being taken, counted from 1.
    public mutating func admit(step: Int, loss: Double, gradNorm: Double) -> Bool {
        guard loss.isFinite && gradNorm.isFinite else {
            streak += 1
            skipped += 1
            if streak >= limit && failure == nil {
                failure = .nonFinite(
                    step: step,
                    reason: "loss \(loss), gradient norm \(gradNorm): \(streak) non-finite steps in a row "
                        + "(max_nonfinite_steps \(limit)); lower the learning rate or check the data")
            }
            return false
        }
        streak = 0
        zeroStreak = gradNorm == 0 && loss != 0 ? zeroStreak + 1 : 0
        if zeroStreak >= limit && failure == nil {
            failure = .nonFinite(
                step: step,
                reason: "the gradient has been exactly zero for \(zeroStreak) steps in a row with loss \(loss): "
                    + "the model has saturated (an overflow, e.g. from too high a learning rate) and cannot learn")
        }
        return true
    }

    /// Records that step `step` left a trained weight non-finite (`key`).
    public mutating func weightsBroke(step: Int, key: String) {
        guard failure == nil else { return }
        failure = .nonFinite(step: step, reason: "the update made '\(key)' non-finite; lower the learning rate (the last checkpoint is intact)")
    }

    /// Throws `failure` when the run must stop.
    public func check() throws {
        if let failure { throw failure }
    }
}

/// What `optimizerStep` did.
public struct OptimizerStepResult: Sendable {
    /// The global gradient norm before clipping.
    public var gradNorm: Double
    /// false: the step was skipped as non-finite.
    public var applied: Bool
}

/// Ends an optimizer step over `optimizer`'s parameters, whose gradients are ready: global-norm clipping
/// to `maxGradNorm` (0: none), the non-finite guard, the learning rate, the step, the weights' check.
///
/// - Parameters:
///   - keys: the parameters' keys, in the optimizer's order (for messages).
///   - loss: the step's loss as reported (non-finite: the step is skipped).
///   - step: the optimizer step being taken, counted from 1 (for messages).
///   - report: receives the warning of a skipped step.
public func optimizerStep(
    _ optimizer: Adam, keys: [String], maxGradNorm: Double, learningRate: Double, loss: Double, step: Int,
    guard nonFinite: inout NonFiniteGuard, report: (String) -> Void
) -> OptimizerStepResult {
    let params = optimizer.parameters
    let norm = Double(clipGradNorm(params, maxNorm: maxGradNorm > 0 ? Float(maxGradNorm) : .infinity))
    guard nonFinite.admit(step: step, loss: loss, gradNorm: norm) else {
        report(
            "warning: step \(step): loss \(loss), gradient norm \(norm): not finite, step skipped "
                + "(\(nonFinite.streak) in a row; the run stops at \(nonFinite.limit))")
        return OptimizerStepResult(gradNorm: norm, applied: false)
    }
    optimizer.learningRate = learningRate
    optimizer.step()
    if let i = params.firstIndex(where: { !isAllFinite($0.value) }) {
        nonFinite.weightsBroke(step: step, key: i < keys.count ? keys[i] : "parameter \(i)")
    }
    return OptimizerStepResult(gradNorm: norm, applied: true)
}

/// Whether every element of `t` is finite.
public func isAllFinite(_ t: Tensor) -> Bool {
    let c = t.contiguous()
    return withExtendedLifetime(c) {
        let p = UnsafeRawPointer(c.pointer)
        let n = c.count, vectors = n / 16
        // x · 0 is 0 for finite x and NaN for NaN and ±∞: one pass, sixteen lanes, no branch per element
        var acc = SIMD16<Float>()
        for v in 0..<vectors { acc += p.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self) * 0 }
        var tail: Float = acc.sum()
        for i in (vectors * 16)..<n { tail += c.pointer[i] * 0 }
        return tail == 0
    }
}

/// Throws when a trained weight is not finite: a checkpoint is never written from such weights.
///
/// - Parameter step: the step the checkpoint would be of.
public func requireFiniteWeights(_ keys: [String], _ parameters: [Parameter], step: Int) throws {
    if let i = parameters.firstIndex(where: { !isAllFinite($0.value) }) {
        throw TrainingError.nonFinite(step: step, reason: "'\(i < keys.count ? keys[i] : "parameter \(i)")' is not finite; no checkpoint written")
    }
}
