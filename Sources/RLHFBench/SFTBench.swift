// `rlhf bench sft-step`: one SFT optimizer step on SmolLM2-135M, against bench/peer/sft.py (PyTorch, and
// PEFT for LoRA).
//
//   full   every parameter trained: batch 4 × 128 tokens (ids from 1000..<49000, fixed seed, no padding),
//          next-token cross-entropy over the 4 × 127 predictions, backward, global-norm clip 1.0, AdamW
//          (lr 1e-5, no weight decay); seconds per step, median after 2 warm-up steps (≥ 5 steps, ≥ 10 s)
//   lora   the same with LoRA r = 16, alpha 32, no dropout, on all seven projections; only adapters train

import Foundation
import RLHFModels
import RLHFNN
import RLHFOptim
import RLHFTensor
import RLHFTraining

/// Runs one case of `sft-step` in this process.
public func runSFTBenchCase(caseName: String, modelsDir: String, report: (BenchResult) -> Void) throws {
    guard caseName == "full" || caseName == "lora" else { throw BenchError.unknownCase(bench: "sft-step", caseName: caseName) }
    guard let lm = try loadPretrained(path: modelsDir + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").architecture.causalLM else { return }
    let (b, t) = (4, 128)
    var rng = RandomGenerator(seed: 7)
    let ids = (0..<(b * t)).map { _ in 1000 + Int(rng.next() % 48000) }
    let targets = (0..<b).flatMap { i in (1..<t).map { ids[i * t + $0] } }
    let rows = (0..<b).flatMap { i in (0..<(t - 1)).map { i * t + $0 } }
    let parameters: [Parameter]
    if caseName == "lora" {
        lm.addLoRA(targets: LoRASettings.llamaProjections, rank: 16, alpha: 32, dropout: 0, seed: 1)
        parameters = lm.loraParameters().map(\.parameter)
    } else {
        parameters = lm.trainableParameters()
    }
    lm.train()
    let optimizer = AdamW(parameters: parameters, learningRate: 1e-5, weightDecay: 0)
    let secs = medianSeconds(warmup: 2, minReps: 5, minTotal: 10) {
        optimizer.zeroGrad()
        let h = lm.hiddenStates(ids: ids, batch: b, attentionMask: nil, positions: nil, cache: nil)
        let c = h.shape[2]
        let picked = h.reshaped([b * t, c]).indexSelect(axis: 0, rows)
        let logits = lm.logits(fromHidden: picked.reshaped([1, rows.count, c])).reshaped([rows.count, lm.vocabularySize])
        crossEntropy(logits, targets: targets).backward()
        clipGradNorm(parameters, maxNorm: 1)
        optimizer.step()
    }
    let name = caseName == "lora" ? "smollm2.lora16.4x128" : "smollm2.full.4x128"
    report(BenchResult(bench: "sft-step", metric: name + ".seconds_per_step", value: secs, unit: "s"))
    report(BenchResult(bench: "sft-step", metric: name + ".peak_rss", value: peakRSSMegabytes(), unit: "MB"))
}
