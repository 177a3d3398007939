// `rlhf bench gemm`: C = A·B through our `matmul` (cblas_sgemm) on square and transformer shapes, in
// GFLOP/s; bench/peer/gemm.py times the same products in PyTorch.

import RLHFTensor

/// The (M, K, N) shapes of the GEMM benchmark.
public let gemmShapes: [(Int, Int, Int)] = [
    (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
    (4096, 384, 1536),   // BERT-small MLP: [B·T, C] @ [C, 4C] at B·T = 4096
    (512, 576, 1536)   // SmolLM2 MLP: [B·T, 576] @ [576, 1536] at B·T = 512
]

/// Runs the GEMM benchmark, reporting each result as it is measured.
public func runGemmBench(report: (BenchResult) -> Void) {
    var rng = RandomGenerator(seed: 0)
    for (m, k, n) in gemmShapes {
        let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([k, n], using: &rng)
        let secs = medianSeconds(warmup: 3, minReps: 5, minTotal: 0.5) { _ = matmul(a, b) }
        let gflops = 2 * Double(m) * Double(n) * Double(k) / secs / 1e9
        report(BenchResult(bench: "gemm", metric: "\(m)x\(k)x\(n)", value: gflops, unit: "GFLOP/s"))
    }
}
