// The training core: what every trainer does the same way, written once. A trainer (reward model, SFT,
// PPO, and the ones to come) owns a `TrainerCore` and supplies only its own part: how a batch becomes a
// loss and metrics, and which files a checkpoint holds besides the optimizer and the trainer state.
//
// The core owns:
//   - the data cursor: the epoch and the position in it (a shuffle per epoch drawn from (seed, epoch));
//   - the optimizer (AdamW over the trained parameters, by key), the learning-rate schedule, and one
//     optimizer update: zero the gradients → each micro-batch's loss · 1/n backward → the gradient
//     reduction hook → global-norm clipping, the non-finite guard, the step;
//   - the trainer state (step, cursor, RNG) and checkpoints: atomic folders, the optimizer's moments,
//     trainer_state.json, and `--resume-from` with its checks;
//   - data parallelism (`group`, from `mpirun`): every rank walks the same global cursor and takes every
//     N-th micro-batch of a step, the gradients are averaged in rank order in the hook, and rank 0 alone
//     writes checkpoints. N ranks with `gradient_accumulation_steps` A compute what one process computes
//     with N·A: the same micro-batches, averaged alike.
// The loop around the steps (logging, evaluation and checkpoint cadence) is `TrainingAlgorithm.runLoop`.

import Foundation
import RLHFDistributed
import RLHFNN
import RLHFOptim
import RLHFTensor

/// The trainers whose checkpoints the core writes (`trainer` in trainer_state.json).
public enum TrainerKind: String, CaseIterable, Sendable {
    /// `RewardTrainer`.
    case reward
    /// `SFTTrainer`.
    case sft
    /// `PPOTrainer`.
    case ppo
    /// `DPOTrainer`.
    case dpo
    /// `GRPOTrainer` running GRPO.
    case grpo
    /// `GRPOTrainer` running RLOO.
    case rloo

    /// The kind as an error message names its checkpoints ("an SFT checkpoint").
    var article: String {
        switch self {
        case .reward: return "a reward-model"
        case .sft: return "an SFT"
        case .ppo: return "a PPO"
        case .dpo: return "a DPO"
        case .grpo: return "a GRPO"
        case .rloo: return "an RLOO"
        }
    }
}

/// What the data cursor (`TrainerState.batchInEpoch`) counts.
public enum CursorUnit: Sendable {
    /// Micro-batches of `per_device_train_batch_size` examples; an epoch's last one may be short.
    case microBatch
    /// Single examples, so that a step's batch may run across the end of an epoch (PPO's prompts).
    case example
}

/// The hook between "the gradients are ready" and "clip and step": data parallelism averages each
/// parameter's gradient (and the loss) across processes here, so that every process clips, checks and
/// steps on the same numbers. Called once per optimizer update, also when the update is then skipped.
public protocol GradientReduction: AnyObject {
    /// Reduces the gradients of `parameters` in place (`parameter.value.grad`).
    ///
    /// - Parameters:
    ///   - parameters: the optimizer's parameters, in its order; every process passes the same list.
    ///   - loss: this process's loss of the update (the mean over its micro-batches).
    /// - Returns: the loss of the update as every process should see it (e.g. the mean over processes).
    func reduce(_ parameters: [Parameter], loss: Double) -> Double
}

/// What one optimizer update did.
public struct OptimizerUpdate: Sendable {
    /// The update's loss: the mean of its micro-batches' losses (after the gradient reduction).
    public var loss: Double
    /// The global gradient norm before clipping.
    public var gradNorm: Double
    /// false: the update was skipped as non-finite.
    public var applied: Bool
}

/// The part of training every trainer shares: data cursor, optimizer update, schedule, state, checkpoints.
public final class TrainerCore {
    /// The shared settings of the run.
    public let run: RunSettings
    /// The trainer whose checkpoints these are.
    public let kind: TrainerKind
    /// AdamW over the trained parameters.
    public let optimizer: Adam
    /// The optimizer's parameters' keys, in its order (the keys of optimizer.safetensors).
    public let parameterKeys: [String]
    /// The learning-rate multiplier per step.
    public let schedule: LRSchedule
    /// Training examples (pairs, prompts) the cursor runs over.
    public let exampleCount: Int
    /// What the cursor counts.
    public let cursorUnit: CursorUnit
    /// Step, cursor and RNG: what trainer_state.json holds.
    public internal(set) var state: TrainerState
    /// Skips non-finite updates and says when the run must stop.
    public internal(set) var nonFinite: NonFiniteGuard
    /// Between backward and clipping (nil: one process, nothing to reduce).
    public var gradientReduction: GradientReduction?
    /// Lines for the user (warnings of skipped steps).
    public let report: (String) -> Void
    /// The ranks of the run (one process unless started by `mpirun`).
    public let group: ProcessGroup

    /// Cleans up what crashed writers left in `output_dir`, then reads the state of the checkpoint to
    /// resume (if any) and checks that this kind of trainer wrote it. Trainers call it first, before they
    /// load models, so that a wrong checkpoint is named before minutes of loading.
    ///
    /// - Returns: the saved state, or nil for a fresh run.
    /// - Throws: `CheckpointError.mismatch` when the folder is not a checkpoint of `kind`.
    public static func prepare(_ run: RunSettings, kind: TrainerKind, report: (String) -> Void) throws -> TrainerState? {
        for line in CheckpointFolder.recover(in: run.outputDir) { report(line) }
        return try run.resumeFrom.map { try TrainerState.load(from: $0, trainer: kind.rawValue, name: kind.article) }
    }

    /// The core of a run over `exampleCount` examples, fresh or continuing `resumed`.
    ///
    /// - Parameters:
    ///   - parameters: the trained parameters with their keys (the optimizer's order).
    ///   - totalSteps: the run's optimizer steps (PPO: rollout steps).
    ///   - stepBatchSize: examples one step consumes (a resume must use the same).
    ///   - rng: the run's generator as the trainer left it after building its model (a fresh run starts from it).
    ///   - resumed: what `prepare` returned; its optimizer state is loaded from `run.resumeFrom`.
    ///   - stepBatchSize: examples one step consumes on one process (the global batch is this × ranks).
    ///   - group: the ranks (default: the `mpirun` job, or this process alone).
    /// - Throws: `CheckpointError.mismatch` when the checkpoint does not fit this run; `DistributedError`.
    public init(
        run: RunSettings, kind: TrainerKind, parameters: [(key: String, parameter: Parameter)], exampleCount: Int,
        cursorUnit: CursorUnit = .microBatch, totalSteps: Int, stepBatchSize: Int, rng: RandomGenerator, resumed: TrainerState?,
        group: ProcessGroup = .world, report: @escaping (String) -> Void
    ) throws {
        self.run = run
        self.kind = kind
        self.group = group
        self.exampleCount = exampleCount
        self.cursorUnit = cursorUnit
        self.report = report
        parameterKeys = parameters.map(\.key)
        optimizer = run.makeOptimizer(parameters.map(\.parameter))
        schedule = run.schedule(totalSteps: totalSteps)
        nonFinite = NonFiniteGuard(limit: run.maxNonfiniteSteps)
        let globalBatch = stepBatchSize * group.size
        let microBatch = cursorUnit == .microBatch ? run.perDeviceTrainBatchSize : nil
        if let saved = resumed, let directory = run.resumeFrom {
            let cursorLimit = cursorUnit == .example ? exampleCount : run.batchesPerEpoch(count: exampleCount)
            try saved.checkResume(
                seed: run.seed, stepBatchSize: globalBatch, trainExamples: exampleCount, cursorLimit: cursorLimit,
                totalSteps: totalSteps, microBatchSize: microBatch, directory: directory)
            try OptimizerState.load(optimizer, keys: parameterKeys, from: directory)
            state = saved
            state.totalSteps = totalSteps
        } else {
            state = TrainerState(
                globalStep: 0, totalSteps: totalSteps, epoch: 0, batchInEpoch: 0, rng: rng, seed: run.seed,
                trainer: kind.rawValue)
        }
        state.stepBatchSize = globalBatch
        state.trainExamples = exampleCount
        state.microBatchSize = microBatch
        state.worldSize = group.size
        if group.isDistributed {
            gradientReduction = DataParallelReduction(group: group)
            // the same start on every rank, whatever each loaded
            try group.broadcastValues(optimizer.parameters)
        }
    }

    // MARK: The data cursor

    /// Micro-batches per epoch.
    public var batchesPerEpoch: Int { run.batchesPerEpoch(count: exampleCount) }

    /// The example indices of the next micro-batch (`per_device_train_batch_size`, shorter at an epoch's
    /// end), moving the cursor.
    public func nextMicroBatch() -> [Int] {
        precondition(cursorUnit == .microBatch, "nextMicroBatch: the cursor counts examples")
        let order = epochOrder(count: exampleCount, seed: run.seed, epoch: state.epoch)
        let b = run.perDeviceTrainBatchSize
        let indices = Array(order[(state.batchInEpoch * b)..<min(order.count, (state.batchInEpoch + 1) * b)])
        state.batchInEpoch += 1
        if state.batchInEpoch >= batchesPerEpoch { state.epoch += 1; state.batchInEpoch = 0 }
        return indices
    }

    /// The indices of the next `count` examples, running into the next epoch as needed, moving the cursor.
    public func nextExamples(_ count: Int) -> [Int] {
        precondition(cursorUnit == .example, "nextExamples: the cursor counts micro-batches")
        var out: [Int] = []
        while out.count < count {
            let order = epochOrder(count: exampleCount, seed: run.seed, epoch: state.epoch)
            out.append(order[state.batchInEpoch])
            state.batchInEpoch += 1
            if state.batchInEpoch == exampleCount { state.epoch += 1; state.batchInEpoch = 0 }
        }
        return out
    }

    /// Epochs done, with the fraction of the current one (the `epoch` metric).
    public var epochProgress: Double {
        let perEpoch = cursorUnit == .example ? exampleCount : batchesPerEpoch
        return Double(state.epoch) + Double(state.batchInEpoch) / Double(max(1, perEpoch))
    }

    // MARK: The optimizer update

    /// The scheduled learning rate of the step being taken.
    public var learningRate: Double { run.learningRate * schedule.multiplier(at: state.globalStep) }

    /// One optimizer update over `microBatches` micro-batches: zeroes the gradients, back-propagates each
    /// micro-batch's loss scaled by 1 / `microBatches`, calls the gradient reduction, then clips, checks
    /// and steps (`optimizerStep`).
    ///
    /// - Parameter loss: the loss of micro-batch `i` (unscaled; nil: skipped, it neither counts nor
    ///   back-propagates; a loss without a gradient counts but does not back-propagate).
    public func update(microBatches: Int, learningRate: Double, _ loss: (_ i: Int) -> Tensor?) -> OptimizerUpdate {
        for p in optimizer.parameters { p.zeroGrad() }
        var lossSum = 0.0
        for i in 0..<microBatches {
            guard let l = loss(i) else { continue }
            if l.requiresGrad { (l * (1 / Float(microBatches))).backward() }
            lossSum += Double(l.item)
        }
        var mean = microBatches > 0 ? lossSum / Double(microBatches) : 0   // (a rank may have no micro-batch of a short minibatch)
        if let gradientReduction { mean = gradientReduction.reduce(optimizer.parameters, loss: mean) }
        let stepped = optimizerStep(
            optimizer, keys: parameterKeys, maxGradNorm: run.maxGradNorm, learningRate: learningRate, loss: mean,
            step: state.globalStep + 1, guard: &nonFinite, report: report)
        return OptimizerUpdate(loss: mean, gradNorm: stepped.gradNorm, applied: stepped.applied)
    }

    /// One step of a supervised trainer: `gradient_accumulation_steps` micro-batches from the cursor into
    /// one update at the scheduled rate.
    ///
    /// - Parameter loss: the loss of the examples at these indices (see `update`).
    /// - Returns: `loss`, `grad_norm`, `learning_rate` and `epoch`.
    public func supervisedStep(_ loss: (_ indices: [Int]) -> Tensor?) -> [String: Double] {
        let lr = learningRate
        // every rank walks the step's A·N micro-batches and takes micro-batches rank, rank + N, …
        var mine: [[Int]] = []
        for k in 0..<(run.gradientAccumulationSteps * group.size) {
            let indices = nextMicroBatch()
            if k % group.size == group.rank { mine.append(indices) }
        }
        let u = update(microBatches: mine.count, learningRate: lr) { loss(mine[$0]) }
        state.globalStep += 1
        return ["loss": u.loss, "grad_norm": u.gradNorm, "learning_rate": lr, "epoch": epochProgress]
    }

    /// Marks a step done (trainers whose step is not `supervisedStep`).
    public func finishStep() { state.globalStep += 1 }

    // MARK: Checkpoints

    /// Writes `<output_dir>/checkpoint-<step>` atomically: the trainer's own files, the optimizer state and
    /// trainer_state.json. Refuses when a trained weight is not finite.
    ///
    /// - Parameters:
    ///   - amend: adds the trainer's fields to the saved state (tokens seen, adapters' generators); it runs
    ///     on every rank, so it may call collectives.
    ///   - files: writes the trainer's files (model, adapters, extra state) into the folder being built.
    /// - Returns: the checkpoint's path.
    public func saveCheckpoint(amend: (inout TrainerState) -> Void = { _ in }, files: (_ directory: String) throws -> Void) throws -> String {
        let path = run.outputDir + "/checkpoint-\(state.globalStep)"
        try requireFiniteWeights(parameterKeys, optimizer.parameters, step: state.globalStep)
        var saved = state
        amend(&saved)   // on every rank: it may gather from all of them
        if group.isMain {   // the ranks hold the same weights and state: rank 0 writes them
            try CheckpointFolder.write(to: path) { dir in
                try files(dir)
                try OptimizerState.save(optimizer, keys: parameterKeys, to: dir)
                try saved.save(to: dir)
            }
        }
        try group.barrier()   // no rank runs ahead of a checkpoint that may be resumed from
        return path
    }

    // MARK: Across ranks

    /// Every rank's `values`, concatenated in rank order (for metrics over the whole global batch).
    public func gathered(_ values: [Float]) -> [Float] {
        guard group.isDistributed else { return values }
        return communicate { try group.allGather(values.map(Double.init)).flatMap { $0.map(Float.init) } }
    }

    /// The sum over ranks of each of `values`, added in rank order (the same on every rank).
    public func summed(_ values: [Double]) -> [Double] {
        guard group.isDistributed else { return values }
        return communicate {
            let all = try group.allGather(values)
            return values.indices.map { i in all.reduce(0) { $0 + $1[i] } }
        }
    }

    // MARK: LoRA dropout across ranks

    /// Gives each rank other than 0 dropout generators of its own (a fresh run: the ranks built identical
    /// adapters from one seed, and would otherwise draw the same masks on different data).
    func separateAdapterDropout(of model: Module) {
        guard group.rank > 0 else { return }
        for (i, entry) in model.loraAdapters().enumerated() {
            entry.adapter.rng = RandomGenerator(seed: promptSeed(run.seed, step: group.rank, index: 1_000_000 + i))
        }
    }

    /// Records the adapters' dropout generators in a state to save: rank 0's as `adapterRNG`, and under
    /// `mpirun` every rank's as `adapterRNGByRank` (a collective: every rank calls it).
    func recordAdapterGenerators(of model: Module, in saved: inout TrainerState) {
        let own = adapterGenerators(of: model)
        saved.adapterRNG = own
        guard group.isDistributed else { return }
        let bytes = (try? JSONEncoder().encode(own)).map { Array($0) } ?? []
        let all = communicate { try group.allGather(bytes) }
        saved.adapterRNGByRank = all.map { (try? JSONDecoder().decode([String: RandomGenerator].self, from: Data($0))) ?? [:] }
    }

    /// Restores this rank's adapter generators from a resumed state (its own when the checkpoint has one
    /// for this rank, else rank 0's).
    func restoreAdapterGenerators(of model: Module, from saved: TrainerState) {
        let mine = saved.adapterRNGByRank.flatMap { group.rank < $0.count ? $0[group.rank] : nil } ?? saved.adapterRNG
        RLHFTraining.restoreAdapterGenerators(of: model, from: mine)
    }

    /// Throws when the ranks' trained weights are not bit-identical (compared by a hash from each rank).
    public func checkRanksAgree() throws {
        guard group.isDistributed else { return }
        if !communicate({ try group.agree(on: optimizer.parameters) }) {
            throw TrainingError.ranksDiverged(step: state.globalStep, ranks: group.size)
        }
    }

    /// Runs a collective; a failure (a rank died, the network broke) stops this rank, and with it the job,
    /// with one line naming what failed: the other ranks must not wait in a collective that never ends.
    func communicate<T>(_ body: () throws -> T) -> T {
        do { return try body() } catch {
            FileHandle.standardError.write(Data("error: rank \(group.rank) of \(group.size): \(error)\n".utf8))
            group.abort(code: 1)
        }
    }
}

/// The order of `count` examples in `epoch`: a Fisher-Yates shuffle drawn from (seed, epoch) alone, so a
/// resumed run sees the same order as the uninterrupted one without saving it.
public func epochOrder(count: Int, seed: Int, epoch: Int) -> [Int] {
    var order = Array(0..<count)
    var r = RandomGenerator(seed: UInt64(truncatingIfNeeded: seed) &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
    for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(r.next() % UInt64(i + 1)))
    }
    return order
}
