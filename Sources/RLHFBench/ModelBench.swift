// `rlhf bench generate` and `rlhf bench forward`: the real models end to end, against transformers in
// bench/peer/generate.py and bench/peer/forward.py. Each case runs in its own process so that its peak
// resident memory (getrusage ru_maxrss) is its own.
//
//   generate  b1 / b8: SmolLM2 greedy generation with the KV cache, prompt 32 tokens, 64 new tokens
//             (no early stop), tokens/s = batch·64 / seconds (prefill included), median of ≥ 3 runs and ≥ 5 s
//   forward   logprobs: SmolLM2 log-probabilities of 8 × 128 tokens (logits → selective log-softmax of the
//             next token), tokens/s; encode: MiniLM last_hidden_state of 32 × 128 tokens, sequences/s;
//             median of ≥ 5 runs and ≥ 3 s
// Model loading is not timed.

import Foundation
import RLHFModels
import RLHFTensor

/// The cases of a model benchmark, in the order they run.
public func modelBenchCases(_ bench: String) -> [String] {
    switch bench {
    case "generate": return ["b1", "b8"]
    case "rm-train": return ["train"]
    case "rm-score": return ["score"]
    case "sft-step": return ["full", "lora"]
    case "dpo-step", "grpo-step": return ["step"]
    default: return ["logprobs", "encode"]
    }
}

/// Peak resident memory of this process so far, in MB.
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Runs one case of `generate` or `forward` in this process.
public func runModelBenchCase(
    bench: String, caseName: String, modelsDir: String,
    report: (BenchResult) -> Void
) throws {
    let smol = modelsDir + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", minilm = modelsDir + "/minilm"
    switch (bench, caseName) {
    case ("generate", "b1"), ("generate", "b8"):
        guard let lm = try loadPretrained(path: smol).architecture.causalLM else { return }
        lm.freeze()   // inference: frozen weights decode from their Q4_1/Q8_0 blocks
        let batch = caseName == "b1" ? 1 : 8
        let prompt = (0..<32).map { (($0 * 7919) + 101) % 49152 }
        let prompts = Array(repeating: prompt, count: batch)
        let config = GenerationConfig(maxNewTokens: 64)
        var rng = RandomGenerator(seed: 0)
        let secs = medianSeconds(warmup: 1, minReps: 3, minTotal: 5) {
            _ = generate(lm, prompts: prompts, config: config, rng: &rng)
        }
        report(
            BenchResult(
                bench: "generate", metric: "smollm2.\(caseName).tokens_per_s",
                value: Double(batch * 64) / secs, unit: "tokens/s"))
        report(BenchResult(bench: "generate", metric: "smollm2.\(caseName).peak_rss", value: peakRSSMegabytes(), unit: "MB"))
    case ("forward", "logprobs"):
        guard let lm = try loadPretrained(path: smol).architecture.causalLM else { return }
        var rng = RandomGenerator(seed: 0)
        let (b, t) = (8, 128)
        let ids = (0..<(b * t)).map { _ in Int(rng.next() % 49152) }
        let targets = (0..<b).flatMap { i in (1..<t).map { ids[i * t + $0] } }
        let secs = medianSeconds(warmup: 1, minReps: 5, minTotal: 3) {
            withNoGrad {
                let h = lm.hiddenStates(ids: ids, batch: b, attentionMask: nil, positions: nil, cache: nil)
                let logits = lm.logits(fromHidden: h.sliced(axis: 1, 0, t - 1))
                _ = selectiveLogSoftmax(logits, ids: targets)
            }
        }
        report(
            BenchResult(
                bench: "forward", metric: "smollm2.logprobs.b8x128.tokens_per_s",
                value: Double(b * t) / secs, unit: "tokens/s"))
        report(BenchResult(bench: "forward", metric: "smollm2.logprobs.peak_rss", value: peakRSSMegabytes(), unit: "MB"))
    case ("forward", "encode"):
        guard case .bert(let bert) = try loadPretrained(path: minilm).architecture else { return }
        var rng = RandomGenerator(seed: 0)
        let (b, t) = (32, 128)
        let ids = (0..<(b * t)).map { _ in 1000 + Int(rng.next() % 19000) }
        let secs = medianSeconds(warmup: 1, minReps: 5, minTotal: 3) {
            withNoGrad { _ = bert(ids: ids, batch: b) }
        }
        report(BenchResult(bench: "forward", metric: "minilm.encode.b32x128.seq_per_s", value: Double(b) / secs, unit: "seq/s"))
        report(BenchResult(bench: "forward", metric: "minilm.encode.peak_rss", value: peakRSSMegabytes(), unit: "MB"))
    default:
        throw BenchError.unknownCase(bench: bench, caseName: caseName)
    }
}

/// A bad benchmark case name.
public enum BenchError: Error, CustomStringConvertible {
    /// A case name the benchmark does not have.
    case unknownCase(bench: String, caseName: String)
    public var description: String {
        switch self {
        case let .unknownCase(bench, c): return "unknown case '\(c)' for bench \(bench) (\(modelBenchCases(bench).joined(separator: ", ")))"
        }
    }
}
