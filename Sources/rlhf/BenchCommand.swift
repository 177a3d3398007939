// `rlhf bench <name> [--json]`: speed figures, one JSON object per line with --json.

import ArgumentParser
import Foundation
import RLHFBench
import RLHFDistributed

/// The benchmarks `rlhf bench` knows.
enum BenchName: String, ExpressibleByArgument, CaseIterable {
    case gemm, ops, generate, forward
    case rmTrain = "rm-train", rmScore = "rm-score", sftStep = "sft-step", ppoStep = "ppo-step", dpoStep = "dpo-step", grpoStep = "grpo-step"
    case allreduce
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed (compare with PyTorch: `make bench`).",
        discussion:
            "gemm: GFLOP/s of square and transformer-shaped products. ops: ms of forward+backward of the fused kernels at B=32, T=128, C=384, 12 heads, vocabulary 49152. generate: SmolLM2 greedy tokens/s at batch 1 and 8 (prompt 32, 64 new). forward: SmolLM2 log-prob tokens/s at 8×128, MiniLM sequences/s at 32×128. rm-train: seconds per MiniLM reward-model step (16 pairs × 128 tokens, AdamW). rm-score: MiniLM reward sequences/s at 32×128. sft-step: seconds per SmolLM2 SFT step (4 × 128 tokens, AdamW), full and LoRA r=16. ppo-step: seconds per PPO step (SmolLM2 policy with LoRA r=16 and a value head on its trunk, reference = adapters off, MiniLM reward model; 8 prompts × 32 tokens, 48 sampled tokens at temperature 0.7, 1 epoch, 1 minibatch), split into generation, scoring (reference, values, reward) and update. dpo-step: seconds per DPO step (SmolLM2 with LoRA r=16, reference = adapters off; 4 pairs of 64 prompt + 64 completion tokens, sigmoid loss, AdamW). grpo-step: seconds per GRPO step (SmolLM2 with LoRA r=16, β 0; 4 prompts × 32 tokens, G = 8 completions of 64 tokens at temperature 1, a programmatic reward, dapo, one update of the 32 completions), split into generation, scoring and update. allreduce (under mpirun -np N): ms per gradient reduction and bus GB/s for SmolLM2's LoRA r=16 and full gradients. Model benchmarks also report peak memory (MB). Threads: RLHF_NUM_THREADS (default: all cores)."
    )

    @Argument(help: "Which benchmark: \(BenchName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var name: BenchName

    @Flag(help: "Print one JSON object per line.")
    var json = false

    @Option(help: "Only the metrics whose name contains this text (ops).")
    var filter: String?

    @Option(
        help:
            "generate / forward / rm-train / rm-score / sft-step / ppo-step / dpo-step / grpo-step: run only this case in this process (b1, b8 / logprobs, encode / train / score / full, lora / step / step / step)."
    )
    var `case`: String?

    @Option(help: "Folder holding minilm/ and smollm2/ (scripts/fetch-models).")
    var modelsDir: String = "models"

    func run() throws {
        let report: (BenchResult) -> Void = { r in
            print(json ? r.jsonLine : r.humanLine)
            fflush(nil)
        }
        switch name {
        case .gemm: runGemmBench(report: report)
        case .allreduce:
            let world = ProcessGroup.world
            if !world.isDistributed { warn("note: allreduce measures nothing in one process; run it under mpirun -np 2 (or more)") }
            try runAllreduceBench(modelsDir: modelsDir, group: world, report: report)
        case .ops: runOpsBench(filter: filter, report: report)
        case .generate, .forward, .rmTrain, .rmScore, .sftStep, .ppoStep, .dpoStep, .grpoStep:
            if let c = `case` {
                if name == .grpoStep {
                    try runGRPOBenchCase(caseName: c, modelsDir: modelsDir, report: report)
                } else if name == .dpoStep {
                    try runDPOBenchCase(caseName: c, modelsDir: modelsDir, report: report)
                } else if name == .ppoStep {
                    try runPPOBenchCase(caseName: c, modelsDir: modelsDir, report: report)
                } else if name == .sftStep {
                    try runSFTBenchCase(caseName: c, modelsDir: modelsDir, report: report)
                } else if name == .rmTrain || name == .rmScore {
                    try runRewardBenchCase(bench: name.rawValue, caseName: c, modelsDir: modelsDir, report: report)
                } else {
                    try runModelBenchCase(bench: name.rawValue, caseName: c, modelsDir: modelsDir, report: report)
                }
            } else {
                // one process per case, so that each reports its own peak memory
                for c in name == .ppoStep ? ppoBenchCases : modelBenchCases(name.rawValue) {
                    let p = Process()
                    p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
                    p.arguments = ["bench", name.rawValue, "--case", c, "--models-dir", modelsDir] + (json ? ["--json"] : [])
                    try p.run()
                    p.waitUntilExit()
                    // the case has written its own `error:` line: exit with its code, adding none
                    if p.terminationStatus != 0 { throw ExitCode(p.terminationStatus) }
                }
            }
        }
    }
}
