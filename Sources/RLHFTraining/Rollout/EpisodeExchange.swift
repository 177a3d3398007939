// Episodes between ranks: under `mpirun` every rank samples its own prompts, then every rank gets every
// rank's episodes (in rank order, which is the global batch's order), so that whitening, GAE and every
// reported statistic are computed over the whole global batch, identically on each rank. An episode
// travels as bytes: its prompt's index (each rank holds the prompts), the response and its per-token numbers.

import RLHFData

/// Bytes of `episodes`, whose prompts are `promptIndices` in the prompt list every rank holds.
func encodeEpisodes(_ episodes: [RolloutEpisode], promptIndices: [Int]) -> [UInt8] {
    var out: [UInt8] = []
    func put<T: FixedWidthInteger>(_ x: T) { withUnsafeBytes(of: x.littleEndian) { out += $0 } }
    func put(_ xs: [Float]) {
        put(Int64(xs.count))
        for x in xs { put(x.bitPattern) }
    }
    put(Int64(episodes.count))
    for (e, index) in zip(episodes, promptIndices) {
        put(Int64(index))
        put(UInt8(e.stopped ? 1 : 0))
        put(e.score.bitPattern)
        put(Int64(e.response.count))
        for t in e.response { put(Int64(t)) }
        put(e.logProbs)
        put(e.refLogProbs)
        put(e.values)
    }
    return out
}

/// The episodes of `bytes` (written by `encodeEpisodes`), their prompts taken from `prompts`.
func decodeEpisodes(_ bytes: [UInt8], prompts: [PPOPrompt]) -> [RolloutEpisode] {
    var at = 0
    func get<T: FixedWidthInteger>(_: T.Type) -> T {
        var x: T = 0
        withUnsafeMutableBytes(of: &x) { dst in
            for i in 0..<MemoryLayout<T>.size { dst[i] = bytes[at + i] }
        }
        at += MemoryLayout<T>.size
        return T(littleEndian: x)
    }
    func floats() -> [Float] { (0..<Int(get(Int64.self))).map { _ in Float(bitPattern: get(UInt32.self)) } }
    var out: [RolloutEpisode] = []
    for _ in 0..<Int(get(Int64.self)) {
        let prompt = prompts[Int(get(Int64.self))]
        let stopped = get(UInt8.self) == 1
        let score = Double(bitPattern: get(UInt64.self))
        let response = (0..<Int(get(Int64.self))).map { _ in Int(get(Int64.self)) }
        let logProbs = floats(), refLogProbs = floats(), values = floats()
        out.append(
            RolloutEpisode(
                prompt: prompt, response: response, stopped: stopped, logProbs: logProbs, refLogProbs: refLogProbs, values: values,
                score: score))
    }
    return out
}

extension TrainerCore {
    /// Every rank's episodes in rank order (this rank's own when alone).
    func gatheredEpisodes(_ episodes: [RolloutEpisode], promptIndices: [Int], prompts: [PPOPrompt]) -> [RolloutEpisode] {
        guard group.isDistributed else { return episodes }
        let bytes = encodeEpisodes(episodes, promptIndices: promptIndices)
        return communicate { try group.allGather(bytes) }.flatMap { decodeEpisodes($0, prompts: prompts) }
    }

    /// This rank's (or `rank`'s) contiguous share of `count` items (rank r of N takes [r·count/N, (r + 1)·count/N)).
    func share(of count: Int, rank: Int? = nil) -> Range<Int> {
        let r = rank ?? group.rank
        return (r * count / group.size)..<((r + 1) * count / group.size)
    }
}

/// The generator seed of prompt `index` at `step` of a run seeded with `seed`: sampling depends on the
/// prompt, not on which rank or batch it falls in.
func promptSeed(_ seed: Int, step: Int, index: Int) -> UInt64 {
    var z = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15
    z ^= UInt64(truncatingIfNeeded: step) &* 0xBF58_476D_1CE4_E5B9
    z ^= UInt64(truncatingIfNeeded: index) &* 0x94D0_49BB_1331_11EB
    z = (z ^ (z >> 31)) &* 0xBF58_476D_1CE4_E5B9
    return z ^ (z >> 29)
}
