// Reward-model training on preference pairs (TRL's RewardTrainer). A step, in the core's supervised loop:
//
//   1. `gradient_accumulation_steps` micro-batches of pairs from the core's cursor;
//   2. each micro-batch's chosen and rejected texts go through the model as one right-padded batch
//      [chosen…, rejected…] → rewards [2B];
//   3. the Bradley-Terry loss, averaged over pairs (with an optional margin and centring term);
//   4. the core back-propagates, clips and steps AdamW; the metrics are TRL's (accuracy, margin, rewards).
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
public final class RewardTrainer: TrainingAlgorithm {
    /// The run's settings.
    public let config: RewardConfig
    /// The config as YAML (written as `config.yaml` beside the metrics).
    public var configYAML: String? { config.yamlText }
    /// The model being trained (backbone + head, with adapters under LoRA).
    public let model: RewardModel
    /// Where config.json and the tokenizer files of exports come from.
    let sourceDirectory: String?
    let trainPairs: [EncodedPair]
    let evalPairs: [EncodedPair]
    /// The adapters' settings (nil: full fine-tuning).
    let loraSettings: LoRASettings?
    /// Cursor, optimizer, schedule, state and checkpoints.
    public let core: TrainerCore
    /// Lines for the user (data report, warnings); the CLI prints them.
    let report: (String) -> Void

    /// The run's position (step, cursor, RNG).
    public var state: TrainerState { core.state }
    /// Skips non-finite steps and says when the run must stop.
    public var nonFinite: NonFiniteGuard { core.nonFinite }
    /// The optimizer's parameter keys, in its order.
    var parameterKeys: [String] { core.parameterKeys }

    /// Loads the model (or the checkpoint to resume), reads and encodes the data, builds the optimizer.
    ///
    /// - Parameter report: receives lines for the user (data counts, skipped lines, warnings).
    /// - Throws: `ModelError` (the model), `DataError` (the data), `CheckpointError` (the resume), `TrainingError` (a setting).
    public init(config: RewardConfig, report: @escaping (String) -> Void = { _ in }) throws {
        self.config = config
        self.report = report
        // the checkpoint's kind first, so that resuming from another trainer's checkpoint says so
        let resumed = try TrainerCore.prepare(config.run, kind: .reward, report: report)
        var rng = RandomGenerator(seed: UInt64(truncatingIfNeeded: config.seed))
        // full fine-tuning resumes from the checkpoint's weights; LoRA from the base plus the saved adapters
        if let resume = config.resumeFrom, !config.lora.isEnabled {
            model = try RewardModel.load(path: resume)
            sourceDirectory = resume
        } else {
            let pre = try loadPretrained(path: config.model)
            model = RewardModel(backbone: pre.architecture, tokenizer: try pre.requireTokenizer(), headKind: config.head, rng: &rng)
            var isDir: ObjCBool = false
            sourceDirectory = FileManager.default.fileExists(atPath: config.model, isDirectory: &isDir) && isDir.boolValue ? config.model : nil
        }
        let m = model
        m.train()
        if let warning = m.backbone.positionLimit.length(for: config.maxLength, key: "max_length").warning { report(warning) }
        trainPairs = try RewardTrainer.encode(file: config.trainFile, model: m, config: config, report: report)
        evalPairs = try config.evalFile.map { try RewardTrainer.encode(file: $0, model: m, config: config, report: report) } ?? []
        loraSettings = config.lora.isEnabled ? try RewardTrainer.setUpAdapters(m, config: config) : nil
        let named = model.namedParameters().filter { $0.parameter.isTrainable } + model.loraParameters()
        let total = config.run.totalSteps(batchesPerEpoch: config.run.batchesPerEpoch(count: trainPairs.count))
        core = try TrainerCore(
            run: config.run, kind: .reward, parameters: named, exampleCount: trainPairs.count, totalSteps: total,
            stepBatchSize: config.stepBatchSize, rng: rng, resumed: resumed, report: report)
        if let resumed { core.restoreAdapterGenerators(of: m, from: resumed) } else { core.separateAdapterDropout(of: m) }
    }

    /// Adds the adapters (or, resuming, loads them and the trained head from the checkpoint) and unfreezes
    /// the head, which trains in full (PEFT's modules_to_save).
    static func setUpAdapters(_ m: RewardModel, config: RewardConfig) throws -> LoRASettings {
        let targets = config.lora.targetList(for: m.backbone)
        let wanted = config.lora.settings(for: m.backbone)
        if let resume = config.resumeFrom {
            let saved = try loadLoRAAdapters(into: m, from: resume + "/adapter")
            guard saved.r == wanted.r, saved.loraAlpha == wanted.loraAlpha, saved.loraDropout == wanted.loraDropout,
                Set(saved.targetModules) == Set(targets)
            else {
                throw CheckpointError.mismatch(
                    path: resume + "/adapter",
                    reason: "its adapters (r \(saved.r), alpha \(saved.loraAlpha), dropout "
                        + "\(saved.loraDropout), targets \(saved.targetModules.joined(separator: ","))) differ from the config's (r \(wanted.r), alpha "
                        + "\(wanted.loraAlpha), dropout \(wanted.loraDropout), targets \(targets.joined(separator: ",")))")
            }
        } else {
            let adapted = try addTrainingAdapters(to: m, config.lora, architecture: m.backbone, seed: config.seed, modelPath: config.model)
            if adapted.contains(where: { $0.hasPrefix(m.headKey) }) {
                throw TrainingError.badSetting(key: "lora_targets", reason: "must not include the head '\(m.headKey)' (it trains in full)")
            }
        }
        m.unfreeze(prefix: m.headKey + ".")
        return wanted
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
            report(
                "\(file): \(out.count) pairs; \(tooLong) longer than max_length \(maxLength) "
                    + (config.truncate ? "truncated" : "dropped") + skippedNote)
        } else {
            report("\(file): \(out.count) pairs\(skippedNote)")
        }
        if out.isEmpty { throw DataError.empty(path: file, reason: "every pair is longer than max_length \(maxLength)") }
        return out
    }

    /// Rewards [2B] of a list of pairs: chosen rows first, then rejected.
    func rewards(_ pairs: [EncodedPair]) -> Tensor {
        let rows = pairs.map(\.chosen) + pairs.map(\.rejected)
        let batch = RewardBatch(rows, padId: model.tokenizer.padTokenId ?? model.tokenizer.eosTokenId ?? 0)
        return model(ids: batch.ids, typeIds: model.isEncoder ? batch.typeIds : nil, lengths: batch.lengths)
    }

    /// One optimizer step (steps 1–4 of the header); returns its metrics.
    public func step() -> [String: Double] {
        var chosen: [Float] = [], rejected: [Float] = []
        // 1. the core's cursor gives each micro-batch's pairs (and 4. back-propagates, clips and steps)
        var m = core.supervisedStep { indices in
            let pairs = indices.map { trainPairs[$0] }
            // 2. rewards [2B]: chosen rows, then rejected
            let r = rewards(pairs)
            let b = pairs.count
            let values = r.scalars
            chosen += values[0..<b]; rejected += values[b..<(2 * b)]
            // 3. the Bradley-Terry loss over the pairs
            return bradleyTerryLoss(
                chosen: r.sliced(axis: 0, 0, b), rejected: r.sliced(axis: 0, b, 2 * b), margins: pairs.map(\.margin),
                centerCoefficient: config.centerRewardsCoefficient)
        }
        // 4. TRL's metrics over the step's pairs (of every rank)
        m.merge(rewardMetrics(chosen: core.gathered(chosen), rejected: core.gathered(rejected))) { core, _ in core }
        return m
    }

    /// Loss and metrics over the evaluation pairs (no gradient, no adapter dropout); empty without an eval
    /// file. Under `mpirun` each rank evaluates its share of the pairs and the figures are over all of them.
    public func evaluate() -> [String: Double] {
        guard !evalPairs.isEmpty else { return [:] }
        model.eval()
        defer { model.train() }
        var lossSum = 0.0, chosen: [Float] = [], rejected: [Float] = []
        let b = config.perDeviceEvalBatchSize
        let share = core.share(of: evalPairs.count)
        withNoGrad {
            for start in stride(from: share.lowerBound, to: share.upperBound, by: b) {
                let pairs = Array(evalPairs[start..<min(share.upperBound, start + b)])
                let r = rewards(pairs)
                let n = pairs.count
                let loss = bradleyTerryLoss(
                    chosen: r.sliced(axis: 0, 0, n), rejected: r.sliced(axis: 0, n, 2 * n),
                    margins: pairs.map(\.margin), centerCoefficient: config.centerRewardsCoefficient)
                lossSum += Double(loss.item) * Double(n)
                let values = r.scalars
                chosen += values[0..<n]; rejected += values[n..<(2 * n)]
            }
        }
        var m = rewardMetrics(chosen: core.gathered(chosen), rejected: core.gathered(rejected))
        m["loss"] = core.summed([lossSum])[0] / Double(evalPairs.count)
        return m
    }

    /// Writes `<output_dir>/checkpoint-<step>`: the HF folder (adapters merged), the adapters and head in
    /// PEFT's layout under `adapter/` (LoRA), and the training state, atomically.
    @discardableResult
    public func saveCheckpoint() throws -> String {
        try core.saveCheckpoint(
            amend: { saved in
                if loraSettings != nil { core.recordAdapterGenerators(of: model, in: &saved) }
            },
            files: { dir in
                try model.withAdaptersMerged { try model.saveHF(to: dir, sourceDirectory: sourceDirectory) }
                if let loraSettings {
                    try FileManager.default.createDirectory(atPath: dir + "/adapter", withIntermediateDirectories: false)
                    try saveLoRAAdapters(
                        model, settings: loraSettings, taskType: "SEQ_CLS", baseModel: config.model,
                        modulesToSave: model.loraModulesToSave, to: dir + "/adapter")
                }
            })
    }

    // MARK: TrainingAlgorithm

    /// Whether an eval file was given.
    public var hasEvaluation: Bool { !evalPairs.isEmpty }
    /// `saveCheckpoint()`.
    public func writeCheckpoint() throws -> String { try saveCheckpoint() }
    /// Loss and accuracy.
    public var progressFigures: [(label: String, key: String)] { [("loss", "loss"), ("accuracy", "accuracy")] }

    /// Runs to the last step: logs every `logging_steps` (averages over the interval), evaluates every
    /// `eval_steps` and at the end, checkpoints every `save_steps` and at the end.
    ///
    /// - Returns: the final evaluation metrics (empty without an eval file) and the last checkpoint path.
    public func train(logger: TrainingLogger? = nil) throws -> (eval: [String: Double], checkpoint: String) {
        try runLoop(logger: logger)
    }
}
