// Module tree: HF-style key paths (with renamed keys and arrays), train/eval, freezing, counting,
// and the basic layers against their definitions.

import XCTest
import RLHFNN
import RLHFTensor

/// A miniature of BERT's key layout: encoder.layer.N.attention.self.query.weight.
private final class SelfAttention: Module, @unchecked Sendable {
    let query: Linear
    init(rng: inout RandomGenerator) { query = Linear(4, 4, rng: &rng); super.init() }
}

private final class Attention: Module, @unchecked Sendable {
    let selfAttention: SelfAttention
    let output: LayerNorm
    override var keyRenames: [String: String] { ["selfAttention": "self"] }
    init(rng: inout RandomGenerator) {
        selfAttention = SelfAttention(rng: &rng)
        output = LayerNorm(4)
        super.init()
    }
}

private final class Layer: Module, @unchecked Sendable {
    let attention: Attention
    let dropout = Dropout(0.5)
    init(rng: inout RandomGenerator) { attention = Attention(rng: &rng); super.init() }
}

private final class Encoder: Module, @unchecked Sendable {
    let layers: [Layer]
    override var keyRenames: [String: String] { ["layers": "layer"] }
    init(rng: inout RandomGenerator) {
        layers = [Layer(rng: &rng), Layer(rng: &rng)]
        super.init()
    }
}

private final class Model: Module, @unchecked Sendable {
    let embeddings: Embedding
    let encoder: Encoder
    let norm = RMSNorm(4)
    init(rng: inout RandomGenerator) {
        embeddings = Embedding(10, 4, rng: &rng)
        encoder = Encoder(rng: &rng)
        super.init()
    }
}

final class ModuleTests: XCTestCase {
    func testKeyPathsFollowHFLayout() {
        var rng = RandomGenerator(seed: 1)
        let m = Model(rng: &rng)
        let keys = m.namedParameters().map { $0.key }
        XCTAssertEqual(
            keys,
            [
                "embeddings.weight",
                "encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.bias",
                "encoder.layer.0.attention.output.weight", "encoder.layer.0.attention.output.bias",
                "encoder.layer.1.attention.self.query.weight", "encoder.layer.1.attention.self.query.bias",
                "encoder.layer.1.attention.output.weight", "encoder.layer.1.attention.output.bias",
                "norm.weight"
            ])
        XCTAssertTrue(m.parameter(at: "encoder.layer.1.attention.self.query.weight") === m.encoder.layers[1].attention.selfAttention.query.weight)
        XCTAssertNil(m.parameter(at: "encoder.layer.2.attention.self.query.weight"))
    }

    func testPropertyNamesBecomeSnakeCaseKeys() {
        XCTAssertEqual(Module.snakeCase("qProj"), "q_proj")
        XCTAssertEqual(Module.snakeCase("postAttentionLayernorm"), "post_attention_layernorm")
        XCTAssertEqual(Module.snakeCase("weight"), "weight")
        final class Block: Module, @unchecked Sendable {
            let qProj: Linear
            let inputLayernorm = RMSNorm(2)
            init(rng: inout RandomGenerator) { qProj = Linear(2, 2, bias: false, rng: &rng); super.init() }
        }
        var rng = RandomGenerator(seed: 0)
        XCTAssertEqual(Block(rng: &rng).namedParameters().map(\.key), ["q_proj.weight", "input_layernorm.weight"])
    }

    func testCountingFreezingAndModes() {
        var rng = RandomGenerator(seed: 1)
        let m = Model(rng: &rng)
        // 10·4 + 2·(4·4 + 4 + 4 + 4) + 4
        XCTAssertEqual(m.parameterCount, 40 + 2 * 28 + 4)
        m.freeze(prefix: "encoder.layer.0.")
        XCTAssertEqual(m.trainableParameterCount, 40 + 28 + 4)
        XCTAssertFalse(m.encoder.layers[0].attention.selfAttention.query.weight.value.requiresGrad)
        m.unfreeze()
        XCTAssertEqual(m.trainableParameterCount, m.parameterCount)
        XCTAssertTrue(m.encoder.layers[1].dropout.training)
        m.eval()
        XCTAssertFalse(m.encoder.layers[1].dropout.training)
        var r2 = RandomGenerator(seed: 3)
        let x = Tensor.normal([2, 4], using: &r2)
        XCTAssertEqual(m.encoder.layers[1].dropout(x, rng: &r2).scalars, x.scalars, "dropout is the identity in eval mode")
        m.train()
        XCTAssertTrue(m.encoder.layers[0].dropout.training)
    }

    func testLinearMatchesDefinitionAndInitBounds() {
        var rng = RandomGenerator(seed: 7)
        let lin = Linear(3, 2, rng: &rng)
        XCTAssertEqual(lin.weight.shape, [2, 3])
        let bound = 1 / Float(3).squareRoot()
        XCTAssertTrue(lin.weight.value.scalars.allSatisfy { abs($0) <= bound })
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let y = lin(x).scalars
        let w = lin.weight.value.scalars, b = lin.bias!.value.scalars
        for i in 0..<2 {
            for o in 0..<2 {
                var s = b[o]
                for k in 0..<3 { s += x[i, k] * w[o * 3 + k] }
                XCTAssertEqual(y[i * 2 + o], s, accuracy: 1e-5)
            }
        }
        // batched input [B, T, in]
        let x3 = Tensor.normal([2, 5, 3], using: &rng)
        XCTAssertEqual(lin(x3).shape, [2, 5, 2])
    }

    func testValueAndGradByKey() {
        var rng = RandomGenerator(seed: 2)
        let lin = Linear(2, 1, bias: true, rng: &rng)
        let x = Tensor([1, 2], shape: [1, 2])
        let (value, grads) = valueAndGrad(lin) { lin(x).sum() }
        let w = lin.weight.value.scalars, b = lin.bias!.value.scalars
        XCTAssertEqual(value, w[0] + 2 * w[1] + b[0], accuracy: 1e-6)
        XCTAssertEqual(grads["weight"]!.scalars, [1, 2])
        XCTAssertEqual(grads["bias"]!.scalars, [1])
    }

    func testParameterAssignKeepsIdentity() {
        let p = Parameter(Tensor([1, 2, 3]))
        let before = p.value.storage
        p.assign(Tensor([4, 5, 6]))
        XCTAssertTrue(p.value.storage === before)
        XCTAssertEqual(p.value.scalars, [4, 5, 6])
    }
}

final class QuantizedParameterTests: XCTestCase {
    func testBlocksAreUsedOnlyWhileFrozenAndDroppedOnAssign() {
        var rng = RandomGenerator(seed: 9)
        let layer = Linear(32, 3, bias: false, rng: &rng)
        let bytes: [UInt8] = (0..<(3 * 20)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let q = bytes.withUnsafeBytes { QuantizedMatrix(format: .q4_1, rows: 3, cols: 32, bytes: $0) }
        layer.weight.assign(q.dequantized())
        layer.weight.quantized = q
        XCTAssertNil(layer.weight.quantized, "a trainable parameter never reads its blocks")
        layer.freeze()
        XCTAssertTrue(layer.weight.quantized === q)
        let x = Tensor.normal([2, 32], using: &rng)
        let y = withNoGrad { layer(x) }
        let want = matmul(x, q.dequantized(), transposeB: true)
        for (a, b) in zip(y.scalars, want.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-5 * abs(b)) }
        layer.weight.assign(Tensor.zeros([3, 32]))
        XCTAssertNil(layer.weight.quantized, "new values make the blocks stale")
        XCTAssertEqual(withNoGrad { layer(x) }.scalars, [Float](repeating: 0, count: 6))
    }
}
