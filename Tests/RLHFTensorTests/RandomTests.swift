// The seeded generator: reproducibility, state save/restore, uniform and normal moments over 100k
// samples, and categorical sampling frequencies (within 0.01 of the probabilities over 100k draws, never
// a zero-probability category).

import Foundation
import XCTest
@testable import RLHFTensor

final class RandomTests: XCTestCase {
    func testSameSeedSameNumbers() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let xa = (0..<100).map { _ in a.next() }, xb = (0..<100).map { _ in b.next() }
        let xc = (0..<100).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
        var r1 = RandomGenerator(seed: 7), r2 = RandomGenerator(seed: 7)
        XCTAssertEqual(Tensor.normal([4, 5], using: &r1).scalars, Tensor.normal([4, 5], using: &r2).scalars)
        XCTAssertEqual(
            Tensor.uniform([9], low: -2, high: 3, using: &r1).scalars,
            Tensor.uniform([9], low: -2, high: 3, using: &r2).scalars)
        XCTAssertEqual(randn([3, 3], seed: 1).scalars, randn([3, 3], seed: 1).scalars)
    }

    func testKnownFirstOutputs() {
        // xoshiro256** seeded through SplitMix64: pin the stream so that a change to it is noticed
        var r = RandomGenerator(seed: 0)
        let first = (0..<3).map { _ in r.next() }
        var again = RandomGenerator(seed: 0)
        XCTAssertEqual(first, (0..<3).map { _ in again.next() })
        XCTAssertEqual(RandomGenerator(seed: 0).state[0], 0xE220_A839_7B1D_CDAF, "SplitMix64(0) first output")
    }

    func testStateRoundTripResumes() throws {
        var r = RandomGenerator(seed: 3)
        for _ in 0..<10 { _ = r.next() }
        let data = try JSONEncoder().encode(r)
        var restored = try JSONDecoder().decode(RandomGenerator.self, from: data)
        XCTAssertEqual(restored, r)
        XCTAssertEqual((0..<20).map { _ in restored.next() }, (0..<20).map { _ in r.next() })
    }

    func testUniformRangeAndMoments() {
        var r = RandomGenerator(seed: 11)
        let n = 100_000
        let f = (0..<n).map { _ in r.nextFloat() }
        XCTAssertTrue(f.allSatisfy { $0 >= 0 && $0 < 1 })
        let d = (0..<n).map { _ in r.nextDouble() }
        XCTAssertTrue(d.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = d.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0.5, accuracy: 0.005)
        let u = Tensor.uniform([n], low: -3, high: 5, using: &r).scalars
        XCTAssertTrue(u.allSatisfy { $0 >= -3 && $0 < 5 })
        XCTAssertEqual(Double(u.reduce(0, +)) / Double(n), 1, accuracy: 0.03)
    }

    func testNormalMoments() {
        var r = RandomGenerator(seed: 12)
        let n = 100_000
        let x = Tensor.normal([n], using: &r).doubles
        let mean = x.reduce(0, +) / Double(n)
        let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
        let kurt = x.reduce(0) { $0 + Foundation.pow(($1 - mean) / std, 4) } / Double(n)
        print("RNG: normal over \(n): mean \(mean), std \(std), kurtosis \(kurt)")
        XCTAssertEqual(mean, 0, accuracy: 0.01)   // standard error 0.003
        XCTAssertEqual(std, 1, accuracy: 0.01)
        XCTAssertEqual(kurt, 3, accuracy: 0.1)
        XCTAssertTrue(x.allSatisfy(\.isFinite))
        let within1 = Double(x.filter { Swift.abs($0) < 1 }.count) / Double(n)
        XCTAssertEqual(within1, 0.6827, accuracy: 0.01)
        let shifted = Tensor.normal([n], mean: 3, std: 0.5, using: &r).doubles
        XCTAssertEqual(shifted.reduce(0, +) / Double(n), 3, accuracy: 0.01)
    }

    func testCategoricalFrequencies() {
        let n = 100_000
        // unnormalised weights with a zero in the middle and at both ends
        let weights: [Float] = [0, 1, 3, 0, 2, 4, 0]
        let total = weights.reduce(0, +)
        let probs = Tensor(Array((0..<n).map { _ in weights }.joined()), shape: [n, weights.count])
        var r = RandomGenerator(seed: 13)
        let draws = Tensor.categorical(probabilities: probs, using: &r)
        XCTAssertEqual(draws.count, n)
        var counts = [Int](repeating: 0, count: weights.count)
        for d in draws { counts[d] += 1 }
        for (k, w) in weights.enumerated() {
            let freq = Double(counts[k]) / Double(n)
            XCTAssertEqual(freq, Double(w / total), accuracy: 0.01, "category \(k)")
            if w == 0 { XCTAssertEqual(counts[k], 0, "zero-probability category \(k) was drawn") }
        }
        // same seed, same draws
        var r2 = RandomGenerator(seed: 13)
        XCTAssertEqual(Tensor.categorical(probabilities: probs.sliced(axis: 0, 0, 1000), using: &r2), Array(draws[0..<1000]))
    }

    func testCategoricalFromLogits() {
        let n = 100_000
        // −inf logits (as top-k / top-p filtering writes them) are never drawn
        let logits: [Float] = [1, -.infinity, 0, 2, -.infinity]
        let t = Tensor(Array((0..<n).map { _ in logits }.joined()), shape: [n, logits.count])
        var r = RandomGenerator(seed: 14)
        let draws = Tensor.categorical(logits: t, using: &r)
        var counts = [Int](repeating: 0, count: logits.count)
        for d in draws { counts[d] += 1 }
        let z = Foundation.exp(1.0) + 1 + Foundation.exp(2.0)
        XCTAssertEqual(counts[1], 0)
        XCTAssertEqual(counts[4], 0)
        XCTAssertEqual(Double(counts[0]) / Double(n), Foundation.exp(1.0) / z, accuracy: 0.01)
        XCTAssertEqual(Double(counts[2]) / Double(n), 1 / z, accuracy: 0.01)
        XCTAssertEqual(Double(counts[3]) / Double(n), Foundation.exp(2.0) / z, accuracy: 0.01)
        // temperature 0.5 sharpens: p ∝ exp(2·logit)
        var r2 = RandomGenerator(seed: 15)
        let sharp = Tensor.categorical(logits: t, temperature: 0.5, using: &r2)
        let z2 = Foundation.exp(2.0) + 1 + Foundation.exp(4.0)
        XCTAssertEqual(Double(sharp.filter { $0 == 3 }.count) / Double(n), Foundation.exp(4.0) / z2, accuracy: 0.01)
    }

    func testCategoricalExactSoftmaxZerosAreNeverPicked() {
        // a probability row where only the last category has weight: every draw picks it
        var r = RandomGenerator(seed: 16)
        let p = Tensor([0, 0, 0, 1e-30], shape: [1, 4])
        for _ in 0..<1000 { XCTAssertEqual(Tensor.categorical(probabilities: p, using: &r), [3]) }
        // masked logits give probabilities of exactly zero
        let probs = softmax(Tensor([0, -.infinity, 0], shape: [1, 3])).scalars
        XCTAssertEqual(probs[1], 0)
    }
}
