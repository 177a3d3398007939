// A tiny deterministic generator for test data, independent of the library's own RandomGenerator (so that a
// change to the library's stream does not change the tests' inputs).

/// SplitMix64: deterministic test data from a seed.
public struct TestRNG {
    /// The generator's state (advanced by each `next()`).
    public var state: UInt64

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Float in [−1, 1) with 24 random bits.
    public mutating func float() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }

    /// A uniform integer in 0..<n (with the negligible modulo bias of 64 bits).
    public mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
