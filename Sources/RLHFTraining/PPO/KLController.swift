// The KL coefficient β of PPO-RLHF: fixed (TRL's current PPO trainer), or adaptive (Ziegler et al. 2019,
// TRL 0.11's AdaptiveKLController), which nudges β so that the measured KL tracks a target:
//
//   e = clip(KL / target − 1, −0.2, 0.2),   β ← β · (1 + e · n / horizon)     (n: episodes in the batch)

/// β and how it moves; Codable so a resumed run continues with the same β.
public struct KLController: Codable, Equatable, Sendable {
    /// The current coefficient.
    public private(set) var value: Double
    /// Target KL (nats per sequence) of the adaptive controller; nil: β stays fixed.
    public let target: Double?
    /// Episodes over which a full proportional error moves β by 20%.
    public let horizon: Double

    /// A fixed β.
    public static func fixed(_ beta: Double) -> KLController { KLController(value: beta, target: nil, horizon: 1) }

    /// An adaptive β starting at `initial`.
    public static func adaptive(initial: Double, target: Double, horizon: Double) -> KLController {
        KLController(value: initial, target: target, horizon: horizon)
    }

    /// Moves β after a batch of `episodes` responses whose mean KL was `currentKL` (no-op when fixed).
    public mutating func update(currentKL: Double, episodes: Int) {
        guard let target else { return }
        let error = min(max(currentKL / target - 1, -0.2), 0.2)
        value *= 1 + error * Double(episodes) / horizon
    }
}
