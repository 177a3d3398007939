// Direct preference optimisation of a decoder (TRL's DPOTrainer). A step, in the core's supervised loop:
//
//   1. `gradient_accumulation_steps` micro-batches of pairs from the core's cursor;
//   2. the policy's summed log-probs of each pair's chosen and rejected completion (one forward over the
//      2B rows, `dpoBatchLogProbs`); the reference's, without gradient: the model with its adapters off
//      (LoRA), a frozen copy (full fine-tuning), or the values computed once before training
//      (`precompute_ref_log_probs`);
//   3. the loss of `loss_type` (`dpoLoss`; IPO on per-token means), plus `rpo_alpha` × the mean NLL of the
//      chosen tokens; or ORPO's (`orpoLoss`: no reference at all, the rewards are β × the per-token means);
//   4. the core back-propagates, clips and steps AdamW; metrics with TRL's names: rewards/chosen,
//      rewards/rejected, rewards/accuracies, rewards/margins (implicit rewards β·(log π − log π_ref) of the
//      summed log-probs), logps/chosen, logps/rejected, logits/chosen, logits/rejected, mean_token_accuracy
//      and num_tokens.
//
// Checkpoints: as SFT's (the merged model as a transformers folder, `adapter/` with LoRA, the optimizer,
// trainer_state.json), plus reference_logps.json when the reference was precomputed, so that a resume
// neither recomputes nor reloads the reference.

import Foundation
import RLHFData
import RLHFLogging
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTokenizers

/// The reference's summed log-probs of every pair of a dataset (chosen and rejected, in example order).
public struct ReferenceLogProbs: Codable, Equatable, Sendable {
    /// Of each chosen completion.
    public var chosen: [Float]
    /// Of each rejected completion.
    public var rejected: [Float]
}

/// Trains a decoder on preference pairs with a DPO-family loss as configured.
public final class DPOTrainer: TrainingAlgorithm {
    /// The run's settings.
    public let config: DPOConfig
    /// The config as YAML (written as `config.yaml` beside the metrics).
    public var configYAML: String? { config.yamlText }
    /// The loaded model (its architecture, tokenizer and source path, for exports).
    public let pretrained: PretrainedModel
    /// The policy being trained.
    public let model: CausalLanguageModel
    /// The model's tokenizer.
    public let tokenizer: Tokenizer
    /// The frozen reference of a full fine-tune (nil with LoRA: the policy with its adapters off; nil too
    /// when the reference's log-probs were precomputed).
    public private(set) var reference: CausalLanguageModel?
    /// The training pairs.
    public let trainExamples: [DPOExample]
    /// The held-out pairs.
    public let evalExamples: [DPOExample]
    /// The precomputed reference log-probs of the training and held-out pairs (nil: computed each step).
    public private(set) var precomputed: (train: ReferenceLogProbs, eval: ReferenceLogProbs)?
    /// Cursor, optimizer, schedule, state and checkpoints.
    public let core: TrainerCore
    /// Tokens seen (padding excluded), TRL's `num_tokens`.
    public private(set) var tokensSeen = 0
    let padTokenId: Int

    /// The run's position (step, cursor, RNG).
    public var state: TrainerState { core.state }
    /// Skips non-finite steps and says when the run must stop.
    public var nonFinite: NonFiniteGuard { core.nonFinite }

    /// Loads the model (with adapters under LoRA; resuming, the checkpoint's weights or adapters) and the
    /// reference, reads and tokenizes the pairs, builds the optimizer, and precomputes the reference's
    /// log-probs when configured (resuming, reads them from the checkpoint).
    ///
    /// - Parameter report: receives lines for the user (data counts, dropped pairs, warnings).
    public init(config: DPOConfig, report: @escaping (String) -> Void = { _ in }) throws {
        self.config = config
        let lora = config.lora.isEnabled
        let resumed = try TrainerCore.prepare(config.run, kind: .dpo, report: report)
        // full fine-tuning resumes from the checkpoint's weights; LoRA from the base plus saved adapters
        let source = (!lora ? config.resumeFrom : nil) ?? config.model
        pretrained = try loadPretrained(path: source)
        let lm = try pretrained.requireCausalLM(purpose: "DPO trains Llama or GPT-2 causal LMs")
        let tok = try pretrained.requireTokenizer()
        model = lm; tokenizer = tok
        padTokenId = tok.padTokenId ?? tok.eosTokenId ?? 0
        lm.train(!config.disableDropout)
        if lora {
            if let resume = config.resumeFrom {
                try loadLoRAAdapters(into: lm, from: resume + "/adapter")
            } else {
                var options = config.lora
                if config.disableDropout { options.loraDropout = 0 }
                try addTrainingAdapters(to: lm, options, architecture: pretrained.architecture, seed: config.seed, modelPath: config.model)
            }
        }
        var lengths = config.lengths
        let (maxLength, lengthWarning) = pretrained.architecture.positionLimit.length(for: config.maxLength, key: "max_length")
        if let lengthWarning { report(lengthWarning) }
        lengths.maxLength = maxLength
        func load(_ file: String) throws -> [DPOExample] {
            let d = try DPODataset(path: file, tokenizer: tok, lengths: lengths, skipBadLines: config.skipBadLines)
            for e in d.skipped { report("skipped: \(e)") }
            try checkVocabulary(
                d.examples.flatMap { [($0.chosen.ids, $0.line), ($0.rejected.ids, $0.line)] }, vocabularySize: lm.vocabularySize, file: file,
                model: source)
            func lines(_ l: [Int]) -> String { l.prefix(8).map(String.init).joined(separator: ", ") + (l.count > 8 ? ", …" : "") }
            var line = "\(file): \(d.examples.count) pairs"
            if d.truncatedRows > 0 { line += "; \(d.truncatedRows) rows cut to max_length \(maxLength) (\(config.truncationMode.rawValue))" }
            if !d.skipped.isEmpty { line += "; \(d.skipped.count) bad lines skipped" }
            report(line)
            if !d.promptTooLong.isEmpty {
                report(
                    "warning: \(file): \(d.promptTooLong.count) pairs dropped, their prompt fills max_length \(maxLength) (lines \(lines(d.promptTooLong)))"
                )
            }
            if !d.identical.isEmpty {
                report("warning: \(file): \(d.identical.count) pairs dropped, chosen equals rejected (lines \(lines(d.identical)))")
            }
            return d.examples
        }
        trainExamples = try load(config.trainFile)
        evalExamples = try config.evalFile.map(load) ?? []
        let named = lora ? lm.loraParameters() : lm.namedParameters().filter { $0.parameter.isTrainable }
        let total = config.run.totalSteps(batchesPerEpoch: config.run.batchesPerEpoch(count: trainExamples.count))
        core = try TrainerCore(
            run: config.run, kind: .dpo, parameters: named, exampleCount: trainExamples.count, totalSteps: total,
            stepBatchSize: config.stepBatchSize, rng: RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed)),
            resumed: resumed, report: report)
        if let resumed {
            tokensSeen = resumed.tokensSeen ?? 0
            core.restoreAdapterGenerators(of: lm, from: resumed)
        } else {
            core.separateAdapterDropout(of: lm)
        }
        // the reference: none (ORPO), saved values, computed values, or a model kept for every step
        if !config.lossType.needsReference {
            return
        } else if config.precomputeRefLogProbs, let resume = config.resumeFrom {
            precomputed = try Self.readReference(from: resume, train: trainExamples.count, eval: evalExamples.count)
        } else {
            if !lora { reference = try Self.loadReference(config.model) }
            if config.precomputeRefLogProbs {
                report("computing the reference's log-probs of \(trainExamples.count + evalExamples.count) pairs")
                precomputed = (referenceLogProbs(trainExamples), referenceLogProbs(evalExamples))
                reference = nil   // no longer needed: a full fine-tune frees its second model
            }
        }
    }

    /// The frozen reference of a full fine-tune: the model at `path`, in evaluation mode.
    static func loadReference(_ path: String) throws -> CausalLanguageModel {
        let lm = try loadPretrained(path: path).requireCausalLM(purpose: "the DPO reference must be a Llama or GPT-2 causal LM")
        lm.eval()
        lm.freeze()
        return lm
    }

    /// Reads reference_logps.json of a checkpoint and checks it covers these datasets.
    static func readReference(from directory: String, train: Int, eval: Int) throws -> (train: ReferenceLogProbs, eval: ReferenceLogProbs) {
        let saved = try readCheckpointJSON(
            [String: ReferenceLogProbs].self, path: directory + "/reference_logps.json",
            missing: .mismatch(path: directory, reason: "no reference_logps.json: the run precomputes the reference but this checkpoint has none"))
        guard let t = saved["train"], let e = saved["eval"], t.chosen.count == train, t.rejected.count == train, e.chosen.count == eval,
            e.rejected.count == eval
        else {
            throw CheckpointError.mismatch(
                path: directory, reason: "reference_logps.json does not cover these datasets (\(train) training pairs, \(eval) held out)")
        }
        return (t, e)
    }

    // MARK: The reference

    /// The reference's summed log-probs of `examples` (no gradient). Under `mpirun` each rank computes its
    /// share and every rank gets them all.
    func referenceLogProbs(_ examples: [DPOExample]) -> ReferenceLogProbs {
        guard !examples.isEmpty else { return ReferenceLogProbs(chosen: [], rejected: []) }
        let share = core.share(of: examples.count)
        var chosen: [Float] = [], rejected: [Float] = []
        for s in stride(from: share.lowerBound, to: share.upperBound, by: config.perDeviceEvalBatchSize) {
            let r = referenceForward(Array(examples[s..<min(share.upperBound, s + config.perDeviceEvalBatchSize)]))
            chosen += r.chosen; rejected += r.rejected
        }
        let all = core.gathered(chosen + rejected)
        // gathered is rank by rank, each rank's chosen then rejected: undo that layout
        var out = ReferenceLogProbs(chosen: [], rejected: [])
        var offset = 0
        for rank in 0..<core.group.size {
            let n = core.share(of: examples.count, rank: rank).count
            out.chosen += all[offset..<(offset + n)]; out.rejected += all[(offset + n)..<(offset + 2 * n)]
            offset += 2 * n
        }
        return out
    }

    /// One reference forward over a batch of pairs.
    func referenceForward(_ batch: [DPOExample]) -> (chosen: [Float], rejected: [Float]) {
        withNoGrad {
            let r: DPOBatchLogProbs
            if let reference {
                r = dpoBatchLogProbs(reference, batch, padTokenId: padTokenId, withMetrics: false)
            } else {
                r = model.withAdaptersDisabled { dpoBatchLogProbs(model, batch, padTokenId: padTokenId, withMetrics: false) }
            }
            return (r.chosen.scalars, r.rejected.scalars)
        }
    }

    // MARK: Loss and metrics

    /// What one batch of pairs gives: the loss and what the metrics are made of.
    public struct BatchResult {
        /// The loss to minimise (differentiable while gradients are on).
        public var loss: Tensor
        /// Per pair: the policy's and the reference's summed log-probs.
        public var chosen: [Float], rejected: [Float], referenceChosen: [Float], referenceRejected: [Float]
        /// Sums of the mean logits over chosen / rejected tokens, with their token counts.
        public var logitSums: [Double]
        /// Chosen tokens ranked first, and chosen tokens.
        public var top1: (correct: Int, total: Int)
        /// Tokens, padding excluded.
        public var tokens: Int
        /// ORPO's extra metrics summed over the batch's pairs (`log_odds_ratio`, `log_odds_chosen`, `nll_loss` × pairs).
        public var extras: [String: Double] = [:]
    }

    /// The loss (steps 2–3 of the header) of the pairs `batch`; `reference` gives their precomputed
    /// reference log-probs (nil: a reference forward now).
    public func lossAndMetrics(_ batch: [DPOExample], reference saved: (chosen: [Float], rejected: [Float])? = nil) -> BatchResult {
        let policy = dpoBatchLogProbs(model, batch, padTokenId: padTokenId, withMetrics: true)
        guard let dpoType = config.lossType.dpo else { return orpoLossAndMetrics(batch, policy) }
        let ref = saved ?? referenceForward(batch)
        var c = policy.chosen, r = policy.rejected, rc = ref.chosen, rr = ref.rejected
        if dpoType.averagesLogProbs {   // IPO: per-token means, over TRL's completion-mask sums
            let lc = policy.chosenLengths.map { 1 / Float(max(1, $0)) }, lr = policy.rejectedLengths.map { 1 / Float(max(1, $0)) }
            c = c * Tensor(lc, shape: [batch.count]); r = r * Tensor(lr, shape: [batch.count])
            rc = zip(rc, lc).map { $0 * $1 }; rr = zip(rr, lr).map { $0 * $1 }
        }
        var loss = dpoLoss(
            chosenLogProbs: c, rejectedLogProbs: r, referenceChosen: rc, referenceRejected: rr, beta: Float(config.beta),
            type: dpoType, labelSmoothing: Float(config.labelSmoothing)
        ).loss
        if let alpha = config.rpoAlpha, alpha > 0 { loss = loss + policy.chosenNLL * Float(alpha) }
        let chosenTokens = policy.top1.total, rejectedTokens = batch.reduce(0) { $0 + $1.rejected.completionLength }
        return BatchResult(
            loss: loss, chosen: policy.chosen.detached().scalars, rejected: policy.rejected.detached().scalars, referenceChosen: ref.chosen,
            referenceRejected: ref.rejected,
            logitSums: [
                policy.meanLogits.chosen * Double(chosenTokens), Double(chosenTokens), policy.meanLogits.rejected * Double(rejectedTokens),
                Double(rejectedTokens)
            ], top1: policy.top1, tokens: policy.tokens)
    }

    /// ORPO's loss of a batch (TRL's ORPOTrainer): per-token means of the predicted completion tokens, no
    /// reference; the result's "reference" log-probs are 0, so that the rewards are β × the means as TRL logs them.
    func orpoLossAndMetrics(_ batch: [DPOExample], _ policy: DPOBatchLogProbs) -> BatchResult {
        func counts(_ rows: [DPOSequence]) -> [Float] { rows.map { 1 / Float(max(1, $0.ids.count - max(1, $0.completionStart))) } }
        let b = batch.count, lc = counts(batch.map(\.chosen)), lr = counts(batch.map(\.rejected))
        let c = policy.chosen * Tensor(lc, shape: [b]), r = policy.rejected * Tensor(lr, shape: [b])
        let out = orpoLoss(chosenMeanLogProbs: c, rejectedMeanLogProbs: r, chosenNLL: policy.chosenNLL, beta: Float(config.beta))
        let chosenTokens = policy.top1.total, rejectedTokens = batch.reduce(0) { $0 + $1.rejected.completionLength }
        let zeros = [Float](repeating: 0, count: b)
        return BatchResult(
            loss: out.loss, chosen: c.detached().scalars, rejected: r.detached().scalars, referenceChosen: zeros, referenceRejected: zeros,
            logitSums: [
                policy.meanLogits.chosen * Double(chosenTokens), Double(chosenTokens), policy.meanLogits.rejected * Double(rejectedTokens),
                Double(rejectedTokens)
            ], top1: policy.top1, tokens: policy.tokens,
            extras: [
                "log_odds_ratio": out.logSigmoidOdds.reduce(0.0) { $0 + Double($1) },
                "log_odds_chosen": out.logOdds.reduce(0.0) { $0 + Double($1) }, "nll_loss": Double(policy.chosenNLL.item) * Double(b)
            ])
    }

    /// TRL's metrics of a set of batches (over every rank): rewards/*, logps/*, logits/*, mean_token_accuracy.
    func metrics(of results: [BatchResult]) -> [String: Double] {
        let beta = Float(config.beta)
        var local: [Float] = []
        for r in results {
            for i in r.chosen.indices {
                local += [beta * (r.chosen[i] - r.referenceChosen[i]), beta * (r.rejected[i] - r.referenceRejected[i]), r.chosen[i], r.rejected[i]]
            }
        }
        let all = core.gathered(local)
        var sums = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        for r in results {
            for k in 0..<4 { sums[k] += r.logitSums[k] }
            sums[4] += Double(r.top1.correct); sums[5] += Double(r.top1.total)
        }
        let total = core.summed(sums)
        let n = all.count / 4
        guard n > 0 else { return [:] }
        let chosenRewards = (0..<n).map { all[4 * $0] }, rejectedRewards = (0..<n).map { all[4 * $0 + 1] }
        var m = dpoRewardMetrics(chosen: chosenRewards, rejected: rejectedRewards)
        m["logps/chosen"] = (0..<n).reduce(0.0) { $0 + Double(all[4 * $1 + 2]) } / Double(n)
        m["logps/rejected"] = (0..<n).reduce(0.0) { $0 + Double(all[4 * $1 + 3]) } / Double(n)
        m["logits/chosen"] = total[1] > 0 ? total[0] / total[1] : 0
        m["logits/rejected"] = total[3] > 0 ? total[2] / total[3] : 0
        m["mean_token_accuracy"] = total[5] > 0 ? total[4] / total[5] : 0
        let keys = Set(results.flatMap(\.extras.keys)).sorted()
        if !keys.isEmpty {
            let extra = core.summed(keys.map { k in results.reduce(0.0) { $0 + ($1.extras[k] ?? 0) } })
            for (k, v) in zip(keys, extra) { m[k] = v / Double(n) }
        }
        return m
    }

    /// One optimizer step (steps 1–4 of the header); returns its metrics.
    public func step() -> [String: Double] {
        var results: [BatchResult] = []
        var m = core.supervisedStep { indices in
            let saved = precomputed.map { p in (indices.map { p.train.chosen[$0] }, indices.map { p.train.rejected[$0] }) }
            let r = lossAndMetrics(indices.map { trainExamples[$0] }, reference: saved)
            results.append(r)
            return r.loss
        }
        tokensSeen += Int(core.summed([Double(results.reduce(0) { $0 + $1.tokens })])[0])
        m.merge(metrics(of: results)) { a, _ in a }
        m["num_tokens"] = Double(tokensSeen)
        return m
    }

    /// The reference's log-probs of the held-out pairs, kept from the first evaluation (the reference is
    /// frozen: later evaluations need only the policy's pass).
    var evalReference: ReferenceLogProbs?

    /// Loss and TRL's metrics over the held-out pairs (no gradient).
    public func evaluate() -> [String: Double] {
        guard config.lossType.needsReference else { return evaluate(evalExamples) }
        if evalReference == nil { evalReference = precomputed?.eval ?? referenceLogProbs(evalExamples) }
        return evaluate(evalExamples, reference: evalReference)
    }

    /// Loss (the mean over pairs) and TRL's metrics over `examples`. Under `mpirun` each rank evaluates its
    /// share and the figures are over all of them.
    ///
    /// - Parameter reference: the examples' precomputed reference log-probs (nil: reference forwards).
    public func evaluate(_ examples: [DPOExample], reference: ReferenceLogProbs? = nil) -> [String: Double] {
        guard !examples.isEmpty else { return [:] }
        let wasTraining = model.training
        model.eval()
        defer { model.train(wasTraining) }
        var results: [BatchResult] = [], lossSum = 0.0
        let share = core.share(of: examples.count)
        withNoGrad {
            for s in stride(from: share.lowerBound, to: share.upperBound, by: config.perDeviceEvalBatchSize) {
                let range = s..<min(share.upperBound, s + config.perDeviceEvalBatchSize)
                let r = lossAndMetrics(Array(examples[range]), reference: reference.map { (Array($0.chosen[range]), Array($0.rejected[range])) })
                lossSum += Double(r.loss.item) * Double(range.count)
                results.append(r)
            }
        }
        var m = metrics(of: results)
        m["loss"] = core.summed([lossSum])[0] / Double(examples.count)
        return m
    }

    // MARK: Checkpoints

    /// Writes `<output_dir>/checkpoint-<step>` atomically: the merged model as a transformers folder, the
    /// adapters (LoRA), the optimizer, the trainer state and the precomputed reference log-probs.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        try core.saveCheckpoint(
            amend: { saved in
                saved.tokensSeen = tokensSeen
                core.recordAdapterGenerators(of: model, in: &saved)
            },
            files: { dir in
                try writeDecoderFiles(model, pretrained: pretrained, tokenizer: tokenizer, lora: config.lora, baseModel: config.model, to: dir)
                if let precomputed {
                    try writeCheckpointJSON(["train": precomputed.train, "eval": precomputed.eval], to: dir + "/reference_logps.json", compact: true)
                }
            })
    }

    /// The policy with its adapters merged, as a transformers causal-LM folder in `directory`.
    public func exportMerged(to directory: String) throws {
        try writeDecoderFiles(model, pretrained: pretrained, tokenizer: tokenizer, lora: LoRAOptions(), baseModel: config.model, to: directory)
    }

    // MARK: TrainingAlgorithm

    /// Whether an eval file was given.
    public var hasEvaluation: Bool { !evalExamples.isEmpty }
    /// `saveCheckpoint()`.
    public func writeCheckpoint() throws -> String { try saveCheckpoint() }
    /// Loss and preference accuracy.
    public var progressFigures: [(label: String, key: String)] { [("loss", "loss"), ("acc", "rewards/accuracies")] }

    /// Runs to the last step with logging, evaluation and checkpoints as configured.
    ///
    /// - Returns: the final evaluation metrics (empty without an eval file) and the last checkpoint path.
    public func train(logger: TrainingLogger? = nil) throws -> (eval: [String: Double], checkpoint: String) {
        try runLoop(logger: logger)
    }
}
