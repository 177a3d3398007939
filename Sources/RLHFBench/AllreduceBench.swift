// `rlhf bench allreduce` under `mpirun -np N`: how fast the ranks average a gradient, for the two gradients
// training sends: SmolLM2-135M with LoRA r = 16 on its seven projections (the adapters) and in full (every
// weight). Each case times the whole reduction data parallelism runs per optimizer update
// (`ProcessGroup.averageGradients`: flatten, rank-order sum by all-to-all + all-gather, write back) over a
// fixed number of calls (every rank must make the same calls), with a barrier before each.
//
// Figures: seconds per reduction (the median over ranks' medians is rank 0's view), and the bus bandwidth
// 2 (N − 1)/N · bytes / seconds, the rate each rank's link carries (comparable across N, as NCCL reports it).

import Foundation
import RLHFDistributed
import RLHFModels
import RLHFNN
import RLHFTensor

/// The cases of `allreduce`.
public let allreduceBenchCases = ["full", "lora"]

/// Runs the allreduce benchmark in this process (every rank of the job runs it; rank 0 reports).
public func runAllreduceBench(modelsDir: String, group: ProcessGroup, report: (BenchResult) -> Void) throws {
    guard let lm = try loadPretrained(path: modelsDir + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").architecture.causalLM else { return }
    for name in allreduceBenchCases {
        // the adapters freeze the base: they are added once the full gradient has been measured
        if name == "lora" { lm.addLoRA(targets: LoRASettings.llamaProjections, rank: 16, alpha: 32, dropout: 0, seed: 1) }
        let parameters = name == "lora" ? lm.loraParameters().map(\.parameter) : lm.trainableParameters()
        let reps = name == "lora" ? 20 : 5
        // a gradient on every parameter, different on each rank
        var rng = RandomGenerator(seed: UInt64(7 + group.rank))
        for p in parameters {
            let loss = (p.value * Tensor.normal(p.shape, std: 1, using: &rng)).sum()
            loss.backward()
        }
        let floats = parameters.reduce(0) { $0 + $1.value.count }
        var times: [Double] = []
        for i in 0..<(reps + 2) {
            try group.barrier()
            let t0 = now()
            try group.averageGradients(parameters)
            if i >= 2 { times.append(now() - t0) }
        }
        for p in parameters { p.zeroGrad() }
        times.sort()
        let seconds = try group.sumForReport([times[times.count / 2]])[0] / Double(group.size)
        let bytes = Double(floats * 4)
        let bus = 2 * Double(group.size - 1) / Double(max(group.size, 1)) * bytes / seconds
        if group.isMain {
            report(BenchResult(bench: "allreduce", metric: "smollm2.\(name).\(group.size)ranks.ms", value: seconds * 1000, unit: "ms"))
            report(BenchResult(bench: "allreduce", metric: "smollm2.\(name).\(group.size)ranks.MB", value: bytes / 1e6, unit: "MB"))
            report(BenchResult(bench: "allreduce", metric: "smollm2.\(name).\(group.size)ranks.bus", value: bus / 1e9, unit: "GB/s"))
        }
    }
}
