// Supervised fine-tuning of a decoder (TRL's SFTTrainer): next-token cross-entropy averaged over the
// target tokens of a right-padded batch. Padding is excluded by each row's length (the attention mask),
// never by token id, so a model whose pad token is its EOS still learns to emit EOS. Full fine-tuning,
// or LoRA adapters on a frozen base.
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
public final class SFTTrainer {
    public let config: SFTConfig
    public let pretrained: PretrainedModel
    public let model: CausalLanguageModel
    public let tokenizer: Tokenizer
    let trainExamples: [SFTExample]
    let evalExamples: [SFTExample]
    let optimizer: Adam
    let parameterKeys: [String]
    let schedule: LRSchedule
    let batchesPerEpoch: Int
    /// Tokens seen (inputs, padding excluded), TRL's `num_tokens`.
    public private(set) var tokensSeen = 0
    public private(set) var state: TrainerState
    /// Skips non-finite steps and says when the run must stop.
    public private(set) var nonFinite: NonFiniteGuard
    let report: (String) -> Void

    public init(config: SFTConfig, report: @escaping (String) -> Void = { _ in }) throws {
        self.config = config
        self.report = report
        nonFinite = NonFiniteGuard(limit: config.maxNonfiniteSteps)
        for line in CheckpointFolder.recover(in: config.outputDir) { report(line) }
        let lora = config.loraR > 0
        // the checkpoint's kind first, so that resuming from another trainer's checkpoint says so
        let resumed = try config.resumeFrom.map { try TrainerState.load(from: $0, trainer: "sft", name: "an SFT") }
        // full fine-tuning resumes from the checkpoint's weights; LoRA from the base plus saved adapters
        let source = (!lora ? config.resumeFrom : nil) ?? config.model
        pretrained = try loadPretrained(path: source)
        guard let lm = pretrained.architecture.causalLM else {
            throw TrainingError.unsuitableModel(path: source, reason: "a \(pretrained.architecture.name) model is not a decoder (SFT trains "
                                                + "Llama or GPT-2 causal LMs)")
        }
        guard let tok = pretrained.tokenizer else {
            throw TrainingError.unsuitableModel(path: source, reason: "the model has no tokenizer (tokenizer.json or a GGUF vocabulary)")
        }
        model = lm; tokenizer = tok
        lm.train()
        if lora {
            if let resume = config.resumeFrom {
                try loadLoRAAdapters(into: lm, from: resume + "/adapter")
            } else {
                let targets = config.loraTargetList(for: pretrained.architecture)
                try addTrainingAdapters(to: lm, targets: targets, rank: config.loraR, alpha: config.loraAlpha,
                                        dropout: Float(config.loraDropout), seed: UInt64(truncatingIfNeeded: config.seed), modelPath: config.model)
            }
        }
        // max_length past a learned position table is lowered to it; past a rotary context, kept with a warning
        let (maxLength, lengthWarning) = pretrained.architecture.positionLimit.length(for: config.maxLength, key: "max_length")
        if let lengthWarning { report(lengthWarning) }
        func load(_ file: String) throws -> [SFTExample] {
            let d = try SFTDataset(path: file, tokenizer: tok, maxLength: maxLength, completionOnlyLoss: config.completionOnlyLoss,
                                   assistantOnlyLoss: config.assistantOnlyLoss, skipBadLines: config.skipBadLines)
            for e in d.skipped { report("skipped: \(e)") }
            try checkVocabulary(d.examples.map { ($0.ids, $0.line) }, vocabularySize: lm.vocabularySize, file: file, model: source)
            report("\(file): \(d.examples.count) examples" + (d.truncated > 0 ? "; \(d.truncated) truncated to max_length \(maxLength)" : "")
                   + (d.skipped.isEmpty ? "" : "; \(d.skipped.count) bad lines skipped"))
            // a target is a token after the first whose loss counts
            let empty = d.examples.filter { !$0.lossMask.dropFirst().contains(1) }.count
            if empty == d.examples.count {
                throw TrainingError.badSetting(key: "max_length", reason: "\(file): no example keeps a target token within max_length "
                                               + "\(maxLength) (the prompts fill it): raise max_length or shorten the prompts")
            }
            if empty > 0 { report("warning: \(file): \(empty) examples keep no target token within max_length \(maxLength) and teach nothing") }
            return config.packing ? SFTDataset.packed(d.examples, length: maxLength) : d.examples
        }
        trainExamples = try load(config.trainFile)
        evalExamples = try config.evalFile.map(load) ?? []
        batchesPerEpoch = config.batchesPerEpoch(count: trainExamples.count)
        let total = config.totalSteps(batchesPerEpoch: batchesPerEpoch)
        schedule = config.schedule(totalSteps: total)
        let named = lora ? lm.loraParameters() : lm.namedParameters().filter { $0.parameter.isTrainable }
        parameterKeys = named.map(\.key)
        optimizer = config.makeOptimizer(named.map(\.parameter))
        if let resume = config.resumeFrom, let saved = resumed {
            try saved.checkResume(seed: config.seed, stepBatchSize: config.stepBatchSize, trainExamples: trainExamples.count,
                                  cursorLimit: batchesPerEpoch, totalSteps: total, directory: resume)
            try OptimizerState.load(optimizer, keys: parameterKeys, from: resume)
            state = saved
            state.totalSteps = total
            tokensSeen = saved.tokensSeen ?? 0
            for (k, a) in lm.loraAdapters() { if let r = saved.adapterRNG?[k] { a.rng = r } }
        } else {
            state = TrainerState(globalStep: 0, totalSteps: total, epoch: 0, batchInEpoch: 0,
                                 rng: RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed)), seed: config.seed, trainer: "sft")
        }
        state.stepBatchSize = config.stepBatchSize
        state.trainExamples = trainExamples.count
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
        let mask = lengths.allSatisfy({ $0 == t }) ? nil
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

    /// One optimizer step over `gradientAccumulationSteps` micro-batches; returns its metrics.
    public func step() -> [String: Double] {
        model.zeroGrad()
        for p in optimizer.parameters { p.zeroGrad() }
        var lossSum = 0.0, correct = 0, targets = 0
        let accum = config.gradientAccumulationSteps
        for _ in 0..<accum {
            let order = epochOrder(count: trainExamples.count, seed: config.seed, epoch: state.epoch)
            let b = config.perDeviceTrainBatchSize
            let idx = order[(state.batchInEpoch * b)..<min(order.count, (state.batchInEpoch + 1) * b)]
            state.batchInEpoch += 1
            if state.batchInEpoch >= batchesPerEpoch { state.epoch += 1; state.batchInEpoch = 0 }
            let r = lossAndMetrics(idx.map { trainExamples[$0] })
            if r.targets > 0 { (r.loss * (1 / Float(accum))).backward() }
            lossSum += Double(r.loss.item); correct += r.correct; targets += r.targets; tokensSeen += r.tokens
        }
        let lr = config.learningRate * schedule.multiplier(at: state.globalStep)
        let loss = lossSum / Double(accum)
        let stepped = optimizerStep(optimizer, keys: parameterKeys, maxGradNorm: config.maxGradNorm, learningRate: lr, loss: loss,
                                    step: state.globalStep + 1, guard: &nonFinite, report: report)
        state.globalStep += 1
        return ["loss": loss, "mean_token_accuracy": targets > 0 ? Double(correct) / Double(targets) : 0,
                "num_tokens": Double(tokensSeen), "learning_rate": lr, "grad_norm": stepped.gradNorm,
                "epoch": Double(state.epoch) + Double(state.batchInEpoch) / Double(max(1, batchesPerEpoch))]
    }

    /// Loss and token accuracy over the evaluation examples (no gradient; adapters as they are).
    public func evaluate() -> [String: Double] {
        evaluate(evalExamples)
    }

    /// Target-weighted loss and token accuracy over `examples`.
    public func evaluate(_ examples: [SFTExample]) -> [String: Double] {
        guard !examples.isEmpty else { return [:] }
        model.eval()
        defer { model.train() }
        var lossSum = 0.0, correct = 0, targets = 0
        withNoGrad {
            for s in stride(from: 0, to: examples.count, by: config.perDeviceEvalBatchSize) {
                let r = lossAndMetrics(Array(examples[s..<min(examples.count, s + config.perDeviceEvalBatchSize)]))
                lossSum += Double(r.loss.item) * Double(r.targets); correct += r.correct; targets += r.targets
            }
        }
        return ["loss": targets > 0 ? lossSum / Double(targets) : 0, "mean_token_accuracy": targets > 0 ? Double(correct) / Double(targets) : 0]
    }

    /// Writes `<output_dir>/checkpoint-<step>` atomically: the merged model as a transformers folder,
    /// the adapters (LoRA), the optimizer and the trainer state.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        let path = config.outputDir + "/checkpoint-\(state.globalStep)"
        try requireFiniteWeights(parameterKeys, optimizer.parameters, step: state.globalStep)
        var saved = state
        saved.tokensSeen = tokensSeen
        saved.adapterRNG = Dictionary(uniqueKeysWithValues: model.loraAdapters().map { ($0.key, $0.adapter.rng) })
        try CheckpointFolder.write(to: path) { dir in
            try exportMerged(to: dir)
            if config.loraR > 0 {
                try FileManager.default.createDirectory(atPath: dir + "/adapter", withIntermediateDirectories: false)
                try saveLoRAAdapters(model, settings: LoRASettings(r: config.loraR, loraAlpha: config.loraAlpha, loraDropout: config.loraDropout,
                                                                   targetModules: config.loraTargetList(for: pretrained.architecture)),
                                     baseModel: config.model, to: dir + "/adapter")
            }
            try OptimizerState.save(optimizer, keys: parameterKeys, to: dir)
            try saved.save(to: dir)
        }
        return path
    }

    /// The model with its adapters merged, as a transformers causal-LM folder in `directory`.
    public func exportMerged(to directory: String) throws {
        try model.withAdaptersMerged {
            try saveCausalLM(pretrained.architecture, tokenizer: tokenizer, source: pretrained.path, to: directory)
        }
    }

    /// Runs to `totalSteps` with logging, evaluation and checkpoints as configured.
    public func train(logger: TrainingLogger? = nil) throws -> (eval: [String: Double], checkpoint: String) {
        var window = MetricWindow()
        while state.globalStep < state.totalSteps {
            let m = step()
            try nonFinite.check()
            window.append(m)
            let s = state.globalStep
            logger?.advance(to: s, metrics: [("loss", m["loss"] ?? 0), ("acc", m["mean_token_accuracy"] ?? 0)])
            if s % config.loggingSteps == 0 || s == state.totalSteps { try logger?.log(step: s, metrics: window.flush()) }
            if config.evalSteps > 0 && s % config.evalSteps == 0 && s < state.totalSteps && !evalExamples.isEmpty {
                try logger?.log(step: s, metrics: evaluate(), prefix: "eval/")
            }
            if config.saveSteps > 0 && s % config.saveSteps == 0 && s < state.totalSteps {
                logger?.message("saved \(try saveCheckpoint())")
            }
        }
        let eval = evaluate()
        if !eval.isEmpty { try logger?.log(step: state.globalStep, metrics: eval, prefix: "eval/") }
        let path = try saveCheckpoint()
        logger?.message("saved \(path)")
        return (eval, path)
    }
}
