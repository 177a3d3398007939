// Pieces every trainer's loop shares: the data order of an epoch, and the metrics of a logging interval.

import RLHFOptim
import RLHFTensor

/// The order of `count` examples in `epoch`: a Fisher-Yates shuffle drawn from (seed, epoch) alone, so a
/// resumed run sees the same order as the uninterrupted one without saving it.
public func epochOrder(count: Int, seed: Int, epoch: Int) -> [Int] {
    var order = Array(0..<count)
    var r = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
    for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(r.next() % UInt64(i + 1)))
    }
    return order
}

/// The per-step metrics since the last log line, summarised as transformers' Trainer does: the mean of
/// each metric, except `min_*`/`max_*` (the extreme over the interval) and the `latest` keys (the last value).
public struct MetricWindow {
    private var steps: [[String: Double]] = []
    /// Keys reported at their last value (`learning_rate`, `epoch`, running counts).
    public var latest: Set<String> = ["learning_rate", "epoch", "num_tokens"]

    public init() {}

    public mutating func append(_ m: [String: Double]) { steps.append(m) }

    public var isEmpty: Bool { steps.isEmpty }

    /// The summary, then an empty window.
    public mutating func flush() -> [String: Double] {
        guard let last = steps.last else { return [:] }
        var out: [String: Double] = [:]
        for k in last.keys {
            let values = steps.compactMap { $0[k] }
            if latest.contains(k) { out[k] = last[k] }
            else if k.hasPrefix("min_") { out[k] = values.min() }
            else if k.hasPrefix("max_") { out[k] = values.max() }
            else { out[k] = values.reduce(0, +) / Double(values.count) }
        }
        steps.removeAll()
        return out
    }
}

/// transformers' schedule for `totalSteps` optimizer steps: `warmupSteps` when positive, else
/// ⌈warmupRatio · totalSteps⌉ of linear warm-up, then the named decay.
public func learningRateSchedule(type: String, warmupSteps: Int, warmupRatio: Double, totalSteps: Int) -> LRSchedule {
    let warm = warmupSteps > 0 ? warmupSteps : Int((warmupRatio * Double(totalSteps)).rounded(.up))
    switch type {
    case "constant": return .constant
    case "constant_with_warmup": return .constantWithWarmup(warmupSteps: warm)
    case "cosine": return .cosine(warmupSteps: warm, totalSteps: totalSteps)
    default: return .linear(warmupSteps: warm, totalSteps: totalSteps)
    }
}
