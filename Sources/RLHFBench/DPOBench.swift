// `rlhf bench dpo-step`: one DPO step on SmolLM2-135M with LoRA, against bench/peer/dpo.py (TRL's DPOTrainer,
// and a plain PyTorch + PEFT loop).
//
//   model      SmolLM2-135M-Instruct (the GGUF, dequantised to float32), LoRA r = 16, alpha 32, no dropout, on
//              all seven projections; only the adapters train
//   reference  the same model with its adapters off
//   data       4 pairs, no padding; pair i: prompt[j] = 1000 + (i·7919 + j·104729) mod 48000, chosen[j] =
//              1000 + (i·7919 + (64 + j)·104729) mod 48000, rejected[j] = 1000 + (i·7919 + (128 + j)·104729 + 17)
//              mod 48000, j < 64: rows of 128 tokens, the completion being the last 64 (the peer's ids)
//   one step   what DPOTrainer's step does: the policy's forward over the 8 rows (chosen, then rejected) with
//              logits only at the 4 × 2 × 64 completion positions, summed log-probs, and TRL's metrics (mean
//              logits, top-1 of the chosen tokens); the reference's forward without gradient; the sigmoid loss
//              (β 0.1); backward, clip 1.0, AdamW (lr 1e-6, constant, no weight decay)
//
// Seconds per step: median after 1 warm-up step over ≥ 3 steps and ≥ 10 s.

import Foundation
import RLHFData
import RLHFModels
import RLHFNN
import RLHFOptim
import RLHFTensor
import RLHFTraining

/// The 4 bench pairs (shared with bench/peer/dpo.py).
func dpoBenchPairs() -> [DPOExample] {
    (0..<4).map { i in
        let prompt = (0..<64).map { j in 1000 + (i * 7919 + j * 104_729) % 48_000 }
        let chosen = (0..<64).map { j in 1000 + (i * 7919 + (64 + j) * 104_729) % 48_000 }
        let rejected = (0..<64).map { j in 1000 + (i * 7919 + (128 + j) * 104_729 + 17) % 48_000 }
        return DPOExample(
            chosen: DPOSequence(ids: prompt + chosen, completionStart: 64), rejected: DPOSequence(ids: prompt + rejected, completionStart: 64),
            line: i + 1)
    }
}

/// Runs the one case of `dpo-step` (`step`) in this process.
public func runDPOBenchCase(caseName: String, modelsDir: String, report: (BenchResult) -> Void) throws {
    guard caseName == "step" else { throw BenchError.unknownCase(bench: "dpo-step", caseName: caseName) }
    let pre = try loadPretrained(path: modelsDir + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard let lm = pre.architecture.causalLM else { return }
    lm.addLoRA(targets: LoRASettings.llamaProjections, rank: 16, alpha: 32, dropout: 0, seed: 1)
    lm.eval()   // no dropout anywhere (DPO's disable_dropout)
    let parameters = lm.loraParameters().map(\.parameter)
    let optimizer = AdamW(parameters: parameters, learningRate: 1e-6, weightDecay: 0)
    let pairs = dpoBenchPairs()
    var losses: [Float] = [], parts: [[Double]] = []
    let secs = medianSeconds(warmup: 1, minReps: 3, minTotal: 10) {
        let t0 = now()
        optimizer.zeroGrad()
        let policy = dpoBatchLogProbs(lm, pairs, padTokenId: 0, withMetrics: true)
        let t1 = now()
        let reference = withNoGrad { lm.withAdaptersDisabled { dpoBatchLogProbs(lm, pairs, padTokenId: 0, withMetrics: false) } }
        let t2 = now()
        let loss = dpoLoss(
            chosenLogProbs: policy.chosen, rejectedLogProbs: policy.rejected, referenceChosen: reference.chosen.scalars,
            referenceRejected: reference.rejected.scalars, beta: 0.1
        ).loss
        loss.backward()
        clipGradNorm(parameters, maxNorm: 1)
        optimizer.step()
        losses.append(loss.item)
        parts.append([t1 - t0, t2 - t1, now() - t2])
    }
    // lora_B = 0 at the first step: the policy is the reference and the loss is log 2 (as the peer checks)
    precondition(abs(Double(losses[0]) - log(2)) < 1e-4 && losses.allSatisfy(\.isFinite), "dpo-step: losses \(losses.prefix(4))")
    let name = "smollm2.lora16.dpo4x128"
    report(BenchResult(bench: "dpo-step", metric: name + ".seconds_per_step", value: secs, unit: "s"))
    for (i, part) in ["policy_forward", "reference_forward", "backward_update"].enumerated() {
        report(BenchResult(bench: "dpo-step", metric: name + "." + part, value: median(parts.dropFirst().map { $0[i] }), unit: "s"))
    }
    report(BenchResult(bench: "dpo-step", metric: name + ".peak_rss", value: peakRSSMegabytes(), unit: "MB"))
}
