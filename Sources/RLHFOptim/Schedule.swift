// Learning-rate schedules as in `transformers`' get_*_schedule_with_warmup: a multiplier of the base
// learning rate for each optimizer step (LambdaLR), computed in Double.

import Foundation

/// A learning-rate multiplier per step.
public enum LRSchedule: Sendable, Equatable, Codable {
    /// Always 1 (`get_constant_schedule`).
    case constant
    /// Linear warm-up from 0 to 1 over `warmupSteps`, then 1 (`get_constant_schedule_with_warmup`).
    case constantWithWarmup(warmupSteps: Int)
    /// Warm-up, then linear decay to 0 at `totalSteps` (`get_linear_schedule_with_warmup`).
    case linear(warmupSteps: Int, totalSteps: Int)
    /// Warm-up, then cosine decay over `numCycles` periods; 0.5 decays to 0 at `totalSteps`
    /// (`get_cosine_schedule_with_warmup`; like it, not clamped past `totalSteps`).
    case cosine(warmupSteps: Int, totalSteps: Int, numCycles: Double = 0.5)

    /// The multiplier at `step` (0-based: the first optimizer step uses step 0).
    public func multiplier(at step: Int) -> Double {
        func warm(_ w: Int) -> Double? { step < w ? Double(step) / Double(max(1, w)) : nil }
        switch self {
        case .constant:
            return 1
        case .constantWithWarmup(let w):
            return warm(w) ?? 1
        case .linear(let w, let total):
            if let v = warm(w) { return v }
            return max(0, Double(total - step) / Double(max(1, total - w)))
        case .cosine(let w, let total, let cycles):
            if let v = warm(w) { return v }
            let progress = Double(step - w) / Double(max(1, total - w))
            return max(0, 0.5 * (1 + Foundation.cos(Double.pi * cycles * 2 * progress)))
        }
    }

    /// `baseLR · multiplier(at: step)` as a Float.
    public func learningRate(base: Float, at step: Int) -> Float {
        Float(Double(base) * multiplier(at: step))
    }
}
