// Large-size sanity checks for the kernels that split rows across workers (rows > 1000, so with two or
// more threads every kernel below runs in several chunks): fused against composed, values and gradients,
// within 1e-5 + 1e-5·|composed|. Also checks that the same call gives the same bits twice.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFTensor

final class ParallelKernelTests: XCTestCase {
    private let rows = 1536

    func testChunksReallySplit() {
        // the row kernels below use grains of at most 8192 / C rows (C ≥ 96 here) or 65536 / V for the
        // vocabulary kernels: with 2+ threads each of these sizes is split
        guard Parallel.threadCount > 1 else { return }
        XCTAssertGreaterThan(Parallel.chunkCount(rows, grain: 8192 / 96), 1)
        XCTAssertGreaterThan(Parallel.chunkCount(rows, grain: 65536 / 200), 1)
        XCTAssertGreaterThan(Parallel.chunkCount(rows * 96 / 16 + 1, grain: 2048), 1)
    }

    func testSoftmaxLarge() {
        let x = randn([rows, 100], seed: 1, scale: 3)
        compareComposition("softmax [\(rows), 100]", [x], fused: { softmax($0[0]) }, composed: { Composed.softmax($0[0]) })
        compareComposition(
            "logSoftmax [\(rows), 100]", [x], fused: { logSoftmax($0[0]) },
            composed: { Composed.logSoftmax($0[0]) })
        XCTAssertEqual(softmax(x).scalars, softmax(x).scalars, "deterministic")
    }

    func testLayerNormLarge() {
        let x = randn([rows, 96], seed: 2, scale: 2), w = randn([96], seed: 3), b = randn([96], seed: 4)
        // the weight and bias gradients sum over 1536 rows: absolute tolerance scaled to that sum
        compareComposition(
            "layerNorm [\(rows), 96]", [x, w, b], abs: 1e-4, rel: 1e-5,
            fused: { layerNorm($0[0], weight: $0[1], bias: $0[2]) },
            composed: { Composed.layerNorm($0[0], weight: $0[1], bias: $0[2]) })
        compareComposition(
            "rmsNorm [\(rows), 96]", [x, w], abs: 1e-4, rel: 1e-5,
            fused: { rmsNorm($0[0], weight: $0[1]) }, composed: { Composed.rmsNorm($0[0], weight: $0[1]) })
    }

    func testCrossEntropyLarge() {
        let v = 200
        let x = randn([rows, v], seed: 5, scale: 2)
        var rng = RandomGenerator(seed: 6)
        let targets = (0..<rows).map { i in i % 7 == 3 ? -100 : Int(rng.next() % UInt64(v)) }
        compareComposition(
            "crossEntropy [\(rows), \(v)]", [x], fused: { crossEntropy($0[0], targets: targets) },
            composed: { Composed.crossEntropy($0[0], targets: targets) })
        let ids = targets.map { $0 < 0 ? 0 : $0 }
        compareComposition(
            "selectiveLogSoftmax [\(rows), \(v)]", [x], fused: { selectiveLogSoftmax($0[0], ids: ids) },
            composed: { Composed.selectiveLogSoftmax($0[0], ids: ids) })
        compareComposition("entropy [\(rows), \(v)]", [x], fused: { entropy($0[0]) }, composed: { Composed.entropy($0[0]) })
    }

    func testPointwiseLarge() {
        let x = randn([rows, 96], seed: 7, scale: 3), y = randn([rows, 96], seed: 8)
        compareComposition(
            "gelu tanh [\(rows), 96]", [x], fused: { gelu($0[0], approximate: .tanh) },
            composed: { Composed.geluTanh($0[0]) })
        compareComposition("silu [\(rows), 96]", [x], fused: { silu($0[0]) }, composed: { Composed.silu($0[0]) })
        // binary ops and reductions against Double
        let s = (x * y + x).sum(axis: 1)
        let ref = (0..<rows).map { r in (0..<96).reduce(0.0) { $0 + Double(x[r, $1]) * Double(y[r, $1]) + Double(x[r, $1]) } }
        assertClose(s.doubles, ref, abs: 1e-4, rel: 1e-5, "sum of x·y + x over rows")
        let e = x.exp().scalars
        XCTAssertEqual(e.count, rows * 96)
        assertClose(e.map(Double.init), x.doubles.map(Foundation.exp), abs: 0, rel: 1e-6, "exp of \(rows * 96) values")
    }
}
