// Seeded random numbers: xoshiro256** with SplitMix64 seeding. Its four-word state can be saved and
// restored (checkpoints resume bit for bit). Normal samples use Box–Muller in Double.

import Foundation

/// A seeded, reproducible generator; the same seed gives the same numbers on every run.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Codable, Equatable {
    /// The xoshiro256** state.
    public var state: [UInt64]

    /// Seeds the state through SplitMix64.
    public init(seed: UInt64) {
        var z = seed
        var s: [UInt64] = []
        for _ in 0..<4 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            s.append(x ^ (x >> 31))
        }
        state = s
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A standard normal sample (Box–Muller).
    public mutating func nextNormal() -> Float {
        var u1 = nextDouble()
        while u1 <= 0 { u1 = nextDouble() }
        let u2 = nextDouble()
        return Float(Foundation.sqrt(-2 * Foundation.log(u1)) * Foundation.cos(2 * Double.pi * u2))
    }
}

extension Tensor {
    /// Uniform samples in `[low, high)`.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1,
        using rng: inout RandomGenerator
    ) -> Tensor {
        let t = Tensor(zeros: shape)
        let p = t.pointer
        for i in 0..<t.count { p[i] = low + (high - low) * rng.nextFloat() }
        return t
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(
        _ shape: [Int], mean: Float = 0, std: Float = 1,
        using rng: inout RandomGenerator
    ) -> Tensor {
        let t = Tensor(zeros: shape)
        let p = t.pointer
        for i in 0..<t.count { p[i] = mean + std * rng.nextNormal() }
        return t
    }

    /// One category index per row of `probabilities` [N, K] (non-negative, not necessarily normalised),
    /// as `torch.multinomial(p, 1)`. Returns N indices.
    public static func categorical(probabilities: Tensor, using rng: inout RandomGenerator) -> [Int] {
        precondition(probabilities.rank == 2, "categorical: expected [N, K], got \(probabilities.shape)")
        let p = probabilities.contiguous()
        let n = p.shape[0], k = p.shape[1]
        var out = [Int](repeating: 0, count: n)
        let ptr = p.pointer
        for i in 0..<n {
            let row = ptr + i * k
            var total: Double = 0
            for j in 0..<k {
                precondition(row[j] >= 0 && row[j].isFinite, "categorical: row \(i) has a negative or non-finite weight")
                total += Double(row[j])
            }
            precondition(total > 0, "categorical: row \(i) sums to 0")
            let u = rng.nextDouble() * total
            var acc: Double = 0
            var pick = k - 1
            for j in 0..<k {
                acc += Double(row[j])
                if u < acc { pick = j; break }
            }
            while row[pick] == 0 && pick > 0 { pick -= 1 }   // never return a zero-weight category
            out[i] = pick
        }
        return out
    }

    /// One category index per row of `logits` [N, K], sampled from softmax(logits / temperature).
    public static func categorical(
        logits: Tensor, temperature: Float = 1,
        using rng: inout RandomGenerator
    ) -> [Int] {
        let probs = withNoGrad { softmax(logits * (1 / temperature), axis: -1) }
        return categorical(probabilities: probs, using: &rng)
    }
}
