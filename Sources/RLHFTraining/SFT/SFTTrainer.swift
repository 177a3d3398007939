// Supervised fine-tuning of a decoder (TRL's SFTTrainer). A step, in the core's supervised loop:
//
//   1. `gradient_accumulation_steps` micro-batches of examples from the core's cursor;
//   2. each micro-batch right-padded into one batch; logits only at positions whose next token is a
//      target (completion or assistant tokens, as configured);
//   3. next-token cross-entropy averaged over the target tokens. Padding is excluded by each row's
//      length (the attention mask), never by token id, so a model whose pad token is its EOS still
//      learns to emit EOS;
//   4. the core back-propagates, clips and steps AdamW; metrics: loss, token accuracy, tokens seen.
//
// Full fine-tuning, or LoRA adapters on a frozen base.
//
// Checkpoints: `checkpoint-N/` is a transformers causal-LM folder of the merged model, plus (with LoRA)
// `adapter/` in PEFT's layout, the optimizer state and trainer_state.json. Resume reloads the base
// model and the adapters (LoRA) or the checkpoint's weights (full), then the optimizer and the cursor.

import Foundation
import RLHFData
import RLHFLogging
import RLHFModels
import RLHFNN
import RLHFOptim
import RLHFTensor
import RLHFTokenizers

/// Trains a decoder on SFT examples as configured.
public final class SFTTrainer: TrainingAlgorithm {
    /// The run's settings.
    public let config: SFTConfig
    /// The config as YAML (written as `config.yaml` beside the metrics).
    public var configYAML: String? { config.yamlText }
    /// The loaded model (its architecture, tokenizer and source path, for exports).
    public let pretrained: PretrainedModel
    /// The decoder being trained.
    public let model: CausalLanguageModel
    /// The model's tokenizer.
    public let tokenizer: Tokenizer
    let trainExamples: [SFTExample]
    let evalExamples: [SFTExample]
    /// Cursor, optimizer, schedule, state and checkpoints.
    public let core: TrainerCore
    /// Tokens seen (inputs, padding excluded), TRL's `num_tokens`.
    public private(set) var tokensSeen = 0
    let report: (String) -> Void

    /// The run's position (step, cursor, RNG).
    public var state: TrainerState { core.state }
    /// Skips non-finite steps and says when the run must stop.
    public var nonFinite: NonFiniteGuard { core.nonFinite }

    /// Loads the model (with adapters under LoRA; resuming, the checkpoint's weights or adapters), reads and
    /// encodes the data, builds the optimizer.
    ///
    /// - Parameter report: receives lines for the user (data counts, skipped lines, warnings).
    public init(config: SFTConfig, report: @escaping (String) -> Void = { _ in }) throws {
        self.config = config
        self.report = report
        let lora = config.lora.isEnabled
        // the checkpoint's kind first, so that resuming from another trainer's checkpoint says so
        let resumed = try TrainerCore.prepare(config.run, kind: .sft, report: report)
        // full fine-tuning resumes from the checkpoint's weights; LoRA from the base plus saved adapters
        let source = (!lora ? config.resumeFrom : nil) ?? config.model
        pretrained = try loadPretrained(path: source)
        let lm = try pretrained.requireCausalLM(purpose: "SFT trains Llama or GPT-2 causal LMs")
        let tok = try pretrained.requireTokenizer()
        model = lm; tokenizer = tok
        lm.train()
        if lora {
            if let resume = config.resumeFrom {
                try loadLoRAAdapters(into: lm, from: resume + "/adapter")
            } else {
                try addTrainingAdapters(to: lm, config.lora, architecture: pretrained.architecture, seed: config.seed, modelPath: config.model)
            }
        }
        // max_length past a learned position table is lowered to it; past a rotary context, kept with a warning
        let (maxLength, lengthWarning) = pretrained.architecture.positionLimit.length(for: config.maxLength, key: "max_length")
        if let lengthWarning { report(lengthWarning) }
        func load(_ file: String) throws -> [SFTExample] {
            let d = try SFTDataset(
                path: file, tokenizer: tok, maxLength: maxLength, completionOnlyLoss: config.completionOnlyLoss,
                assistantOnlyLoss: config.assistantOnlyLoss, skipBadLines: config.skipBadLines)
            for e in d.skipped { report("skipped: \(e)") }
            try checkVocabulary(d.examples.map { ($0.ids, $0.line) }, vocabularySize: lm.vocabularySize, file: file, model: source)
            report(
                "\(file): \(d.examples.count) examples" + (d.truncated > 0 ? "; \(d.truncated) truncated to max_length \(maxLength)" : "")
                    + (d.skipped.isEmpty ? "" : "; \(d.skipped.count) bad lines skipped"))
            // a target is a token after the first whose loss counts
            let empty = d.examples.filter { !$0.lossMask.dropFirst().contains(1) }.count
            if empty == d.examples.count {
                throw TrainingError.badSetting(
                    key: "max_length",
                    reason: "\(file): no example keeps a target token within max_length "
                        + "\(maxLength) (the prompts fill it): raise max_length or shorten the prompts")
            }
            if empty > 0 { report("warning: \(file): \(empty) examples keep no target token within max_length \(maxLength) and teach nothing") }
            return config.packing ? SFTDataset.packed(d.examples, length: maxLength) : d.examples
        }
        trainExamples = try load(config.trainFile)
        evalExamples = try config.evalFile.map(load) ?? []
        let named = lora ? lm.loraParameters() : lm.namedParameters().filter { $0.parameter.isTrainable }
        let total = config.run.totalSteps(batchesPerEpoch: config.run.batchesPerEpoch(count: trainExamples.count))
        core = try TrainerCore(
            run: config.run, kind: .sft, parameters: named, exampleCount: trainExamples.count, totalSteps: total,
            stepBatchSize: config.stepBatchSize, rng: RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed)),
            resumed: resumed, report: report)
        if let resumed {
            tokensSeen = resumed.tokensSeen ?? 0
            core.restoreAdapterGenerators(of: lm, from: resumed)
        } else {
            core.separateAdapterDropout(of: lm)
        }
    }

    /// Loss (mean over target tokens), token accuracy and counts of a batch of examples.
    public func lossAndMetrics(_ batch: [SFTExample]) -> (loss: Tensor, correct: Int, targets: Int, tokens: Int) {
        let lengths = batch.map(\.ids.count)
        let t = lengths.max() ?? 0, b = batch.count
        let pad = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0
        var ids: [Int] = [], rows: [Int] = [], targets: [Int] = []
        ids.reserveCapacity(b * t)
        for (i, e) in batch.enumerated() {
            ids += e.ids + Array(repeating: pad, count: t - e.ids.count)
            // position p predicts token p + 1 when that token is a target
            for p in 0..<max(0, e.ids.count - 1) where e.lossMask[p + 1] == 1 {
                rows.append(i * t + p); targets.append(e.ids[p + 1])
            }
        }
        let mask =
            lengths.allSatisfy({ $0 == t })
            ? nil
            : Tensor(lengths.flatMap { n in (0..<t).map { $0 < n ? Float(1) : 0 } }, shape: [b, t])
        let h = model.hiddenStates(ids: ids, batch: b, attentionMask: mask, positions: nil, cache: nil)
        guard !rows.isEmpty else { return (Tensor(scalar: 0), 0, 0, lengths.reduce(0, +)) }
        // logits only where there is a target (prompt positions need none)
        let picked = h.reshaped([b * t, h.shape[2]]).indexSelect(axis: 0, rows)
        let logits = model.logits(fromHidden: picked.reshaped([1, rows.count, h.shape[2]])).reshaped([rows.count, model.vocabularySize])
        let loss = crossEntropy(logits, targets: targets)
        var correct = 0
        let v = model.vocabularySize
        withExtendedLifetime(logits) {
            let p = logits.contiguous().pointer
            for (r, target) in targets.enumerated() {
                var best = 0, bestValue = -Float.infinity
                for j in 0..<v where p[r * v + j] > bestValue { bestValue = p[r * v + j]; best = j }
                if best == target { correct += 1 }
            }
        }
        return (loss, correct, targets.count, lengths.reduce(0, +))
    }

    /// One optimizer step (steps 1–4 of the header); returns its metrics.
    public func step() -> [String: Double] {
        var correct = 0, targets = 0, tokens = 0
        // 1. the core's cursor gives each micro-batch's examples (and 4. back-propagates, clips and steps)
        var m = core.supervisedStep { indices in
            // 2.–3. one padded batch, logits at the targets, cross-entropy over them
            let r = lossAndMetrics(indices.map { trainExamples[$0] })
            correct += r.correct; targets += r.targets; tokens += r.tokens
            return r.loss   // without a target it has no gradient: it counts as 0 and is not back-propagated
        }
        // 4. token accuracy and tokens seen (over every rank)
        let counts = core.summed([Double(correct), Double(targets), Double(tokens)])
        tokensSeen += Int(counts[2])
        m["mean_token_accuracy"] = counts[1] > 0 ? counts[0] / counts[1] : 0
        m["num_tokens"] = Double(tokensSeen)
        return m
    }

    /// Loss and token accuracy over the evaluation examples (no gradient; adapters as they are).
    public func evaluate() -> [String: Double] {
        evaluate(evalExamples)
    }

    /// Target-weighted loss and token accuracy over `examples`. Under `mpirun` each rank evaluates its
    /// share of them and the figures are over all of them.
    public func evaluate(_ examples: [SFTExample]) -> [String: Double] {
        guard !examples.isEmpty else { return [:] }
        model.eval()
        defer { model.train() }
        var lossSum = 0.0, correct = 0, targets = 0
        let share = core.share(of: examples.count)
        withNoGrad {
            for s in stride(from: share.lowerBound, to: share.upperBound, by: config.perDeviceEvalBatchSize) {
                let r = lossAndMetrics(Array(examples[s..<min(share.upperBound, s + config.perDeviceEvalBatchSize)]))
                lossSum += Double(r.loss.item) * Double(r.targets); correct += r.correct; targets += r.targets
            }
        }
        let total = core.summed([lossSum, Double(correct), Double(targets)])
        return ["loss": total[2] > 0 ? total[0] / total[2] : 0, "mean_token_accuracy": total[2] > 0 ? total[1] / total[2] : 0]
    }

    /// Writes `<output_dir>/checkpoint-<step>` atomically: the merged model as a transformers folder,
    /// the adapters (LoRA), the optimizer and the trainer state.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        try core.saveCheckpoint(
            amend: { saved in
                saved.tokensSeen = tokensSeen
                core.recordAdapterGenerators(of: model, in: &saved)
            },
            files: { dir in
                try writeDecoderFiles(model, pretrained: pretrained, tokenizer: tokenizer, lora: config.lora, baseModel: config.model, to: dir)
            })
    }

    /// The model with its adapters merged, as a transformers causal-LM folder in `directory`.
    public func exportMerged(to directory: String) throws {
        try writeDecoderFiles(model, pretrained: pretrained, tokenizer: tokenizer, lora: LoRAOptions(), baseModel: config.model, to: directory)
    }

    // MARK: TrainingAlgorithm

    /// Whether an eval file was given.
    public var hasEvaluation: Bool { !evalExamples.isEmpty }
    /// `saveCheckpoint()`.
    public func writeCheckpoint() throws -> String { try saveCheckpoint() }
    /// Loss and token accuracy.
    public var progressFigures: [(label: String, key: String)] { [("loss", "loss"), ("acc", "mean_token_accuracy")] }

    /// Runs to the last step with logging, evaluation and checkpoints as configured.
    ///
    /// - Returns: the final evaluation metrics (empty without an eval file) and the last checkpoint path.
    public func train(logger: TrainingLogger? = nil) throws -> (eval: [String: Double], checkpoint: String) {
        try runLoop(logger: logger)
    }
}
