// The metrics of a logging interval, summarised as transformers' Trainer does.

/// The per-step metrics since the last log line, summarised as transformers' Trainer does: the mean of
/// each metric, except `min_*`/`max_*` (the extreme over the interval) and the `latest` keys (the last value).
public struct MetricWindow {
    private var steps: [[String: Double]] = []
    /// Keys reported at their last value (`learning_rate`, `epoch`, running counts).
    public var latest: Set<String> = ["learning_rate", "epoch", "num_tokens"]

    /// An empty window.
    public init() {}

    /// Adds one step's metrics.
    public mutating func append(_ m: [String: Double]) { steps.append(m) }

    /// Whether no step was added since the last flush.
    public var isEmpty: Bool { steps.isEmpty }

    /// The summary, then an empty window.
    public mutating func flush() -> [String: Double] {
        guard let last = steps.last else { return [:] }
        var out: [String: Double] = [:]
        for k in last.keys {
            let values = steps.compactMap { $0[k] }
            if latest.contains(k) {
                out[k] = last[k]
            } else if k.hasPrefix("min_") {
                out[k] = values.min()
            } else if k.hasPrefix("max_") {
                out[k] = values.max()
            } else {
                out[k] = values.reduce(0, +) / Double(values.count)
            }
        }
        steps.removeAll()
        return out
    }
}
