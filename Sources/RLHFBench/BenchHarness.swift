// Timing harness shared by the benchmarks, with the same rules as bench/peer/common.py: warm-up calls,
// then timed calls until at least `minReps` and `minTotal` seconds; the value is the median.

import Foundation

/// One benchmark figure, printed as a JSON line `{"bench", "metric", "value", "unit", "impl"}`.
public struct BenchResult: Codable, Sendable {
    /// The benchmark's name (e.g. `gemm`).
    public let bench: String
    /// What was measured (the case and the figure).
    public let metric: String
    /// The measured value, in `unit`.
    public let value: Double
    /// The unit of `value` (`ms`, `GFLOP/s`, …).
    public let unit: String
    /// Which implementation produced it (`swift-rlhf` here, `pytorch` in the comparison script).
    public var impl: String = "swift-rlhf"

    /// The JSON line.
    public var jsonLine: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// A line for people.
    public var humanLine: String {
        "\(bench)  \(metric.padding(toLength: max(24, metric.count), withPad: " ", startingAt: 0))  \(String(format: "%10.3f", value)) \(unit)"
    }
}

/// The median of `xs` (the mean of the middle two for an even count).
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted(), n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

/// Monotonic seconds.
@inline(__always)
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Median seconds of `body` (with `before` run untimed ahead of every call).
func medianSeconds(
    warmup: Int, minReps: Int, minTotal: Double, maxReps: Int = 10_000,
    before: () -> Void = {}, _ body: () -> Void
) -> Double {
    for _ in 0..<warmup { before(); body() }
    var times: [Double] = []
    while times.count < minReps || (times.reduce(0, +) < minTotal && times.count < maxReps) {
        before()
        let t0 = now()
        body()
        times.append(now() - t0)
    }
    times.sort()
    let n = times.count
    return n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2
}
