// `rlhf bench rm-train` and `rlhf bench rm-score`: MiniLM as a reward model, against bench/peer/rm.py
// (a plain PyTorch loop and TRL's RewardTrainer).
//
//   rm-train  train: one optimizer step on 16 pairs of 128 tokens (one batch of 32 × 128, chosen then
//             rejected, no padding): forward, Bradley-Terry loss, backward, global-norm clip 1.0, AdamW
//             (lr 1e-5, no weight decay); seconds per step, median after 2 warm-up steps (≥ 5 steps, ≥ 10 s)
//   rm-score  score: rewards of 32 × 128 tokens without gradients; sequences/s
// Token ids: [CLS] = 101, then ids drawn from 1000..<30000 with a fixed seed, then [SEP] = 102.

import Foundation
import RLHFModels
import RLHFOptim
import RLHFTensor
import RLHFTraining

/// The ids of `rows` sequences of `length` tokens.
private func benchIds(rows: Int, length: Int, seed: UInt64) -> [Int] {
    var rng = RandomGenerator(seed: seed)
    return (0..<rows).flatMap { _ in [101] + (0..<(length - 2)).map { _ in 1000 + Int(rng.next() % 29000) } + [102] }
}

/// Runs one case of `rm-train` or `rm-score` in this process.
public func runRewardBenchCase(bench: String, caseName: String, modelsDir: String, report: (BenchResult) -> Void) throws {
    let pre = try loadPretrained(path: modelsDir + "/minilm")
    guard let tokenizer = pre.tokenizer else { return }
    var rng = RandomGenerator(seed: 0)
    let rm = RewardModel(backbone: pre.architecture, tokenizer: tokenizer, rng: &rng)
    switch (bench, caseName) {
    case ("rm-train", "train"):
        let (pairs, t) = (16, 128)
        let ids = benchIds(rows: 2 * pairs, length: t, seed: 1)
        let lengths = Array(repeating: t, count: 2 * pairs)
        rm.train()
        let optimizer = AdamW(parameters: rm.trainableParameters(), learningRate: 1e-5, weightDecay: 0)
        let secs = medianSeconds(warmup: 2, minReps: 5, minTotal: 10) {
            optimizer.zeroGrad()
            let r = rm(ids: ids, lengths: lengths)
            let loss = bradleyTerryLoss(chosen: r.sliced(axis: 0, 0, pairs), rejected: r.sliced(axis: 0, pairs, 2 * pairs))
            loss.backward()
            clipGradNorm(optimizer.parameters, maxNorm: 1)
            optimizer.step()
        }
        report(BenchResult(bench: bench, metric: "minilm.16x128.seconds_per_step", value: secs, unit: "s"))
        report(BenchResult(bench: bench, metric: "minilm.16x128.peak_rss", value: peakRSSMegabytes(), unit: "MB"))
    case ("rm-score", "score"):
        let (b, t) = (32, 128)
        let ids = benchIds(rows: b, length: t, seed: 2)
        let lengths = Array(repeating: t, count: b)
        rm.eval()
        let secs = medianSeconds(warmup: 1, minReps: 5, minTotal: 3) {
            withNoGrad { _ = rm(ids: ids, lengths: lengths) }
        }
        report(BenchResult(bench: bench, metric: "minilm.32x128.sequences_per_s", value: Double(b) / secs, unit: "seq/s"))
        report(BenchResult(bench: bench, metric: "minilm.32x128.peak_rss", value: peakRSSMegabytes(), unit: "MB"))
    default:
        throw BenchError.unknownCase(bench: bench, caseName: caseName)
    }
}
