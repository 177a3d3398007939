// `rlhf bench ops`: forward + backward of the fused kernels at transformer sizes (B = 32, T = 128,
// C = 384, 12 heads; vocabulary 49152 for cross-entropy), in ms. bench/peer/ops.py times the same in
// PyTorch: same shapes, an upstream gradient of the output's shape, gradients cleared between reps.

import RLHFTensor

/// Median ms of forward + backward with upstream gradient `g` (nil: the output is a scalar loss).
private func fwdBwdMS(_ leaves: [Tensor], _ g: Tensor?, _ forward: () -> Tensor) -> Double {
    1e3
        * medianSeconds(warmup: 2, minReps: 5, minTotal: 1.0, before: { leaves.forEach { $0.zeroGrad() } }) {
            let y = forward()
            y.backward(g)
        }
}

/// Runs the fused-kernel benchmark, reporting each result as it is measured.
public func runOpsBench(filter: String? = nil, report: (BenchResult) -> Void) {
    var rng = RandomGenerator(seed: 0)
    func want(_ group: String) -> Bool { filter.map { group.contains($0) || $0.hasPrefix(group) } ?? true }
    func leaf(_ shape: [Int]) -> Tensor { Tensor.normal(shape, using: &rng).requiringGrad() }
    func emit(_ metric: String, _ ms: Double) { report(BenchResult(bench: "ops", metric: metric, value: ms, unit: "ms")) }

    if want("layernorm") {   // layerNorm: x [32, 128, 384], weight and bias [384]
        let x = leaf([32, 128, 384]), w = Tensor.ones([384]).requiringGrad(), b = Tensor.zeros([384]).requiringGrad()
        let g = Tensor.normal([32, 128, 384], using: &rng)
        emit("layernorm.fwd_bwd", fwdBwdMS([x, w, b], g) { layerNorm(x, weight: w, bias: b, eps: 1e-5) })
    }
    if want("softmax") {   // softmax: attention scores [32, 12, 128, 128]
        let x = leaf([32, 12, 128, 128]), g = Tensor.normal([32, 12, 128, 128], using: &rng)
        emit("softmax.fwd_bwd", fwdBwdMS([x], g) { softmax(x, axis: -1) })
    }
    if want("gelu") {   // gelu: MLP hidden [32, 128, 1536]
        let x = leaf([32, 128, 1536]), g = Tensor.normal([32, 128, 1536], using: &rng)
        emit("gelu_tanh.fwd_bwd", fwdBwdMS([x], g) { gelu(x, approximate: .tanh) })
        emit("gelu.fwd_bwd", fwdBwdMS([x], g) { gelu(x) })
    }
    if want("attention") {   // causal attention: q, k, v [32, 12, 128, 32]
        let q = leaf([32, 12, 128, 32]), k = leaf([32, 12, 128, 32]), v = leaf([32, 12, 128, 32])
        let g = Tensor.normal([32, 12, 128, 32], using: &rng)
        emit("attention.fwd_bwd", fwdBwdMS([q, k, v], g) { scaledDotProductAttention(q, k, v, causal: true) })
    }
    if want("cross_entropy") {   // cross-entropy: logits [4096, 49152], mean over rows
        let logits = Tensor.uniform([4096, 49152], low: -4, high: 4, using: &rng).requiringGrad()
        let targets = (0..<4096).map { _ in Int(rng.next() % 49152) }
        emit("cross_entropy.fwd_bwd", fwdBwdMS([logits], nil) { crossEntropy(logits, targets: targets) })
    }
}
