// Reward-model training on preference pairs (TRL's RewardTrainer): each micro-batch puts its chosen and
// rejected texts through the model as one right-padded batch [chosen…, rejected…], the Bradley-Terry loss
// is averaged over pairs, and AdamW steps after `gradientAccumulationSteps` micro-batches.
//
// Determinism (what bit-exact resume rests on): the data order of epoch e is a shuffle drawn from
// (seed, e) alone; a checkpoint holds the weights, AdamW's moments and step counts, the data cursor and the
// RNG state; so a resumed run computes exactly what the uninterrupted one did.
//
// With LoRA, a checkpoint also holds `adapter/`: the adapters in PEFT's layout (task_type SEQ_CLS) with the
// head (and a pooler the backbone lacked) as `modules_to_save`. Resume rebuilds the model from the base
// (`model`), loads the adapters and the head from there, and restores each adapter's dropout generator.

import Foundation
import RLHFData
import RLHFLogging
import RLHFModels
import RLHFNN
import RLHFOptim
import RLHFTensor

/// A pair encoded for the model.
struct EncodedPair {
    var chosen: (ids: [Int], typeIds: [Int])
    var rejected: (ids: [Int], typeIds: [Int])
    var margin: Float
}

/// Trains a `RewardModel` as configured, with metrics, evaluation, checkpoints and resume.
public final class RewardTrainer {
    public let config: RewardConfig
    public let model: RewardModel
    /// Where config.json and the tokenizer files of exports come from.
    let sourceDirectory: String?
    let trainPairs: [EncodedPair]
    let evalPairs: [EncodedPair]
    let optimizer: Adam
    let parameterKeys: [String]
    /// The adapters' settings (nil: full fine-tuning).
    let loraSettings: LoRASettings?
    let schedule: LRSchedule
    /// Micro-batches per epoch.
    let batchesPerEpoch: Int
    public private(set) var state: TrainerState
    /// Skips non-finite steps and says when the run must stop.
    public private(set) var nonFinite: NonFiniteGuard
    /// Lines for the user (data report, warnings); the CLI prints them.
    let report: (String) -> Void

    /// Loads the model (or the checkpoint to resume), reads and encodes the data, builds the optimizer.
    public init(config: RewardConfig, report: @escaping (String) -> Void = { _ in }) throws {
        self.config = config
        self.report = report
        nonFinite = NonFiniteGuard(limit: config.maxNonfiniteSteps)
        for line in CheckpointFolder.recover(in: config.outputDir) { report(line) }
        var rng = RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed))
        // the checkpoint's kind first, so that resuming from another trainer's checkpoint says so
        let resumed = try config.resumeFrom.map { try TrainerState.load(from: $0, trainer: "reward", name: "a reward-model") }
        // full fine-tuning resumes from the checkpoint's weights; LoRA from the base plus the saved adapters
        if let resume = config.resumeFrom, config.loraR == 0 {
            model = try RewardModel.load(path: resume)
            sourceDirectory = resume
        } else {
            let pre = try loadPretrained(path: config.model)
            guard let tokenizer = pre.tokenizer else {
                throw TrainingError.unsuitableModel(path: config.model, reason: "the model has no tokenizer (tokenizer.json or a GGUF vocabulary)")
            }
            model = RewardModel(backbone: pre.architecture, tokenizer: tokenizer,
                                headKind: RewardHeadKind(rawValue: config.head) ?? .hf, rng: &rng)
            var isDir: ObjCBool = false
            sourceDirectory = FileManager.default.fileExists(atPath: config.model, isDirectory: &isDir) && isDir.boolValue ? config.model : nil
        }
        let m = model
        m.train()
        if let warning = m.backbone.positionLimit.length(for: config.maxLength, key: "max_length").warning { report(warning) }
        trainPairs = try RewardTrainer.encode(file: config.trainFile, model: m, config: config, report: report)
        if let evalFile = config.evalFile {
            evalPairs = try RewardTrainer.encode(file: evalFile, model: m, config: config, report: report)
        } else {
            evalPairs = []
        }
        batchesPerEpoch = config.batchesPerEpoch(count: trainPairs.count)
        let total = config.totalSteps(batchesPerEpoch: batchesPerEpoch)
        schedule = config.schedule(totalSteps: total)
        if config.loraR > 0 {
            let targets = LoRASettings.targets(config.loraTargets, for: m.backbone)
            let wanted = LoRASettings(r: config.loraR, loraAlpha: config.loraAlpha, loraDropout: config.loraDropout, targetModules: targets)
            if let resume = config.resumeFrom {
                // the adapters and the trained head (modules_to_save) from the checkpoint, onto the base
                let saved = try loadLoRAAdapters(into: m, from: resume + "/adapter")
                guard saved.r == wanted.r, saved.loraAlpha == wanted.loraAlpha, saved.loraDropout == wanted.loraDropout,
                      Set(saved.targetModules) == Set(targets) else {
                    throw CheckpointError.mismatch(path: resume + "/adapter", reason: "its adapters (r \(saved.r), alpha \(saved.loraAlpha), dropout "
                        + "\(saved.loraDropout), targets \(saved.targetModules.joined(separator: ","))) differ from the config's (r \(wanted.r), alpha "
                        + "\(wanted.loraAlpha), dropout \(wanted.loraDropout), targets \(targets.joined(separator: ",")))")
                }
            } else {
                let adapted = try addTrainingAdapters(to: m, targets: targets, rank: config.loraR, alpha: config.loraAlpha,
                                                      dropout: Float(config.loraDropout), seed: UInt64(truncatingIfNeeded: config.seed),
                                                      modelPath: config.model)
                if adapted.contains(where: { $0.hasPrefix(m.headKey) }) {
                    throw TrainingError.badSetting(key: "lora_targets", reason: "must not include the head '\(m.headKey)' (it trains in full)")
                }
            }
            m.unfreeze(prefix: m.headKey + ".")   // the head trains in full (PEFT's modules_to_save)
            loraSettings = wanted
        } else {
            loraSettings = nil
        }
        let named = model.namedParameters().filter { $0.parameter.isTrainable } + model.loraParameters()
        parameterKeys = named.map(\.key)
        optimizer = config.makeOptimizer(named.map(\.parameter))
        if let resume = config.resumeFrom, let saved = resumed {
            try saved.checkResume(seed: config.seed, stepBatchSize: config.stepBatchSize, trainExamples: trainPairs.count,
                                  cursorLimit: batchesPerEpoch, totalSteps: total, directory: resume)
            try OptimizerState.load(optimizer, keys: parameterKeys, from: resume)
            state = saved
            state.totalSteps = total
            for (k, a) in m.loraAdapters() { if let r = saved.adapterRNG?[k] { a.rng = r } }
        } else {
            state = TrainerState(globalStep: 0, totalSteps: total, epoch: 0, batchInEpoch: 0, rng: rng, seed: config.seed, trainer: "reward")
        }
        state.stepBatchSize = config.stepBatchSize
        state.trainExamples = trainPairs.count
    }

    /// Reads, encodes and length-filters (or truncates) a preference file (at `max_length`, lowered to the
    /// model's position table when that is shorter).
    static func encode(file: String, model: RewardModel, config: RewardConfig, report: (String) -> Void) throws -> [EncodedPair] {
        let maxLength = model.backbone.positionLimit.length(for: config.maxLength, key: "max_length").length
        let data = try PreferenceDataset(path: file, chatTemplate: model.tokenizer.chatTemplate, skipBadLines: config.skipBadLines)
        for e in data.skipped { report("skipped: \(e)") }
        var out: [EncodedPair] = []
        var tooLong = 0
        for p in data.pairs {
            var c = model.encode(prompt: p.prompt, response: p.chosen), r = model.encode(prompt: p.prompt, response: p.rejected)
            if c.ids.count > maxLength || r.ids.count > maxLength {
                tooLong += 1
                if !config.truncate { continue }
                c = truncateKeepingLast(c, to: maxLength); r = truncateKeepingLast(r, to: maxLength)
            }
            try checkVocabulary([(c.ids, p.line), (r.ids, p.line)], vocabularySize: model.backbone.vocabularySize, file: file, model: config.model)
            out.append(EncodedPair(chosen: c, rejected: r, margin: p.margin))
        }
        let skippedNote = data.skipped.isEmpty ? "" : ", \(data.skipped.count) bad lines skipped"
        if tooLong > 0 {
            report("\(file): \(out.count) pairs; \(tooLong) longer than max_length \(maxLength) "
                   + (config.truncate ? "truncated" : "dropped") + skippedNote)
        } else {
            report("\(file): \(out.count) pairs\(skippedNote)")
        }
        if out.isEmpty { throw DataError.empty(path: file, reason: "every pair is longer than max_length \(maxLength)") }
        return out
    }

    /// The pair indices of micro-batch `batch` of `epoch`: a shuffle drawn from (seed, epoch) alone.
    func batchIndices(epoch: Int, batch: Int) -> [Int] {
        let order = epochOrder(count: trainPairs.count, seed: config.seed, epoch: epoch)
        let b = config.perDeviceTrainBatchSize
        return Array(order[(batch * b)..<min(order.count, (batch + 1) * b)])
    }

    /// Rewards [2B] of a list of pairs: chosen rows first, then rejected.
    func rewards(_ pairs: [EncodedPair]) -> Tensor {
        let rows = pairs.map(\.chosen) + pairs.map(\.rejected)
        let batch = RewardBatch(rows, padId: model.tokenizer.padTokenId ?? model.tokenizer.eosTokenId ?? 0)
        return model(ids: batch.ids, typeIds: model.isEncoder ? batch.typeIds : nil, lengths: batch.lengths)
    }

    /// One optimizer step over `gradientAccumulationSteps` micro-batches; returns its metrics.
    public func step() -> [String: Double] {
        model.zeroGrad()
        for p in optimizer.parameters { p.zeroGrad() }   // LoRA adapters sit outside the parameter tree
        var lossSum = 0.0, chosen: [Float] = [], rejected: [Float] = []
        let accum = config.gradientAccumulationSteps
        for _ in 0..<accum {
            let idx = batchIndices(epoch: state.epoch, batch: state.batchInEpoch)
            state.batchInEpoch += 1
            if state.batchInEpoch >= batchesPerEpoch { state.epoch += 1; state.batchInEpoch = 0 }
            let pairs = idx.map { trainPairs[$0] }
            let r = rewards(pairs)
            let b = pairs.count
            let rc = r.sliced(axis: 0, 0, b), rr = r.sliced(axis: 0, b, 2 * b)
            let loss = bradleyTerryLoss(chosen: rc, rejected: rr, margins: pairs.map(\.margin),
                                        centerCoefficient: config.centerRewardsCoefficient)
            (loss * (1 / Float(accum))).backward()
            lossSum += Double(loss.item)
            let values = r.scalars
            chosen += values[0..<b]; rejected += values[b..<(2 * b)]
        }
        let lr = config.learningRate * schedule.multiplier(at: state.globalStep)
        let loss = lossSum / Double(accum)
        let stepped = optimizerStep(optimizer, keys: parameterKeys, maxGradNorm: config.maxGradNorm, learningRate: lr, loss: loss,
                                    step: state.globalStep + 1, guard: &nonFinite, report: report)
        state.globalStep += 1
        var m = rewardMetrics(chosen: chosen, rejected: rejected)
        m["loss"] = loss
        m["grad_norm"] = stepped.gradNorm
        m["learning_rate"] = lr
        m["epoch"] = Double(state.epoch) + Double(state.batchInEpoch) / Double(max(1, batchesPerEpoch))
        return m
    }

    /// Loss and metrics over the evaluation pairs (no gradient, no adapter dropout); empty without an eval file.
    public func evaluate() -> [String: Double] {
        guard !evalPairs.isEmpty else { return [:] }
        model.eval()
        defer { model.train() }
        var lossSum = 0.0, chosen: [Float] = [], rejected: [Float] = []
        let b = config.perDeviceEvalBatchSize
        withNoGrad {
            for start in stride(from: 0, to: evalPairs.count, by: b) {
                let pairs = Array(evalPairs[start..<min(evalPairs.count, start + b)])
                let r = rewards(pairs)
                let n = pairs.count
                let loss = bradleyTerryLoss(chosen: r.sliced(axis: 0, 0, n), rejected: r.sliced(axis: 0, n, 2 * n),
                                            margins: pairs.map(\.margin), centerCoefficient: config.centerRewardsCoefficient)
                lossSum += Double(loss.item) * Double(n)
                let values = r.scalars
                chosen += values[0..<n]; rejected += values[n..<(2 * n)]
            }
        }
        var m = rewardMetrics(chosen: chosen, rejected: rejected)
        m["loss"] = lossSum / Double(evalPairs.count)
        return m
    }

    /// Writes `<output_dir>/checkpoint-<step>`: the HF folder (adapters merged), the adapters and head in
    /// PEFT's layout under `adapter/` (LoRA), and the training state, atomically.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        let path = config.outputDir + "/checkpoint-\(state.globalStep)"
        try requireFiniteWeights(parameterKeys, optimizer.parameters, step: state.globalStep)
        var saved = state
        if loraSettings != nil {
            saved.adapterRNG = Dictionary(uniqueKeysWithValues: model.loraAdapters().map { ($0.key, $0.adapter.rng) })
        }
        try CheckpointFolder.write(to: path) { dir in
            try model.withAdaptersMerged { try model.saveHF(to: dir, sourceDirectory: sourceDirectory) }
            if let loraSettings {
                try FileManager.default.createDirectory(atPath: dir + "/adapter", withIntermediateDirectories: false)
                try saveLoRAAdapters(model, settings: loraSettings, taskType: "SEQ_CLS", baseModel: config.model,
                                     modulesToSave: model.loraModulesToSave, to: dir + "/adapter")
            }
            try OptimizerState.save(optimizer, keys: parameterKeys, to: dir)
            try saved.save(to: dir)
        }
        return path
    }

    /// Runs to `totalSteps`: logs every `loggingSteps` (averages over the interval), evaluates every
    /// `evalSteps` and at the end, checkpoints every `saveSteps` and at the end.
    ///
    /// - Returns: the final evaluation metrics (empty without an eval file) and the last checkpoint path.
    public func train(logger: TrainingLogger? = nil) throws -> (eval: [String: Double], checkpoint: String) {
        var window = MetricWindow()
        while state.globalStep < state.totalSteps {
            let m = step()
            try nonFinite.check()
            window.append(m)
            let s = state.globalStep
            logger?.advance(to: s, metrics: [("loss", m["loss"] ?? 0), ("accuracy", m["accuracy"] ?? 0)])
            if s % config.loggingSteps == 0 || s == state.totalSteps {
                try logger?.log(step: s, metrics: window.flush())
            }
            if config.evalSteps > 0 && s % config.evalSteps == 0 && s < state.totalSteps && !evalPairs.isEmpty {
                try logger?.log(step: s, metrics: evaluate(), prefix: "eval/")
            }
            if config.saveSteps > 0 && s % config.saveSteps == 0 && s < state.totalSteps {
                let path = try saveCheckpoint()
                logger?.message("saved \(path)")
            }
        }
        let eval = evaluate()
        if !eval.isEmpty { try logger?.log(step: state.globalStep, metrics: eval, prefix: "eval/") }
        let path = try saveCheckpoint()
        logger?.message("saved \(path)")
        return (eval, path)
    }
}
