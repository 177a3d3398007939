// Checkpoint folders: written complete under a temporary name, then renamed into place, so a crash leaves
// either the previous checkpoint or the new one, never a half-written folder under the real name.
// Training state beside the model: the optimizer's moments (optimizer.safetensors) and the trainer's
// position (trainer_state.json: step, data cursor, RNG state, schedule).

import Foundation
import RLHFFormats
import RLHFNN
import RLHFOptim
import RLHFTensor

/// What went wrong reading or writing a checkpoint.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The checkpoint at `path` cannot be written or read (the file system's reason).
    case io(path: String, reason: String)
    /// The checkpoint does not fit the run (another model, another optimizer layout, a bad state file).
    case mismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .mismatch(path, reason): return "\(path): cannot resume: \(reason)"
        }
    }
}

/// Atomic checkpoint folders.
public enum CheckpointFolder {
    /// Builds a folder at `path` by calling `body` with a temporary folder beside it, then renames it into
    /// place (replacing an older folder of that name only after the new one is complete).
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let fm = FileManager.default
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let pid = ProcessInfo.processInfo.processIdentifier
        let tmp = (parent.isEmpty ? "." : parent) + "/.\(name).tmp-\(pid)"
        do {
            try fm.createDirectory(atPath: parent.isEmpty ? "." : parent, withIntermediateDirectories: true)
            if fm.fileExists(atPath: tmp) { try fm.removeItem(atPath: tmp) }
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false)
        } catch {
            throw CheckpointError.io(path: tmp, reason: "cannot create the temporary checkpoint folder: \(error.localizedDescription)")
        }
        recover(in: parent.isEmpty ? "." : parent)
        do { try body(tmp) } catch {
            try? fm.removeItem(atPath: tmp)
            throw error
        }
        syncDirectory(tmp)
        var old: String? = nil
        if fm.fileExists(atPath: path) {
            let aside = (parent.isEmpty ? "." : parent) + "/.\(name).old-\(pid)"
            try? fm.removeItem(atPath: aside)
            guard rename(path, aside) == 0 else {
                throw CheckpointError.io(path: path, reason: "cannot move the previous checkpoint aside: \(String(cString: strerror(errno)))")
            }
            old = aside
        }
        guard rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old, path) }
            throw CheckpointError.io(path: path, reason: "cannot rename the new checkpoint into place: \(reason)")
        }
        syncDirectory(parent.isEmpty ? "." : parent)
        if let old { try? fm.removeItem(atPath: old) }
    }

    /// Cleans up after writers that died in `directory`: a `.NAME.tmp-PID` folder of a dead process is
    /// removed (its body may be incomplete) unless the previous `NAME` had already been moved aside as
    /// `.NAME.old-PID`, which happens only once the new folder is complete: then the new folder is renamed
    /// into place. A lone `.NAME.old-PID` is renamed back when `NAME` is missing (it is the last good
    /// checkpoint), else removed. Folders of live processes are left alone.
    ///
    /// - Returns: one line per folder acted on, for the user.
    @discardableResult
    public static func recover(in directory: String) -> [String] {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        let me = ProcessInfo.processInfo.processIdentifier
        var lines: [String] = []
        // (name, pid) → which leftovers exist
        var found: [String: (tmp: Bool, old: Bool)] = [:]
        for e in entries where e.hasPrefix(".") {
            for kind in [".tmp-", ".old-"] {
                guard let r = e.range(of: kind, options: .backwards), let pid = Int32(e[r.upperBound...]), pid != me,
                    !(kill(pid, 0) == 0 || errno == EPERM)
                else { continue }
                let key = String(e.dropFirst().prefix(upTo: r.lowerBound)) + "\u{0}" + String(pid)
                var f = found[key] ?? (false, false)
                if kind == ".tmp-" { f.tmp = true } else { f.old = true }
                found[key] = f
            }
        }
        for (key, f) in found.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false)
            let (name, pid) = (String(parts[0]), String(parts[1]))
            let path = directory + "/" + name, tmp = directory + "/.\(name).tmp-\(pid)", old = directory + "/.\(name).old-\(pid)"
            let present = fm.fileExists(atPath: path)
            if f.tmp {
                if !present && f.old && rename(tmp, path) == 0 {
                    lines.append("\(path): completed the save that process \(pid) was renaming into place")
                } else {
                    try? fm.removeItem(atPath: tmp)
                    lines.append("\(tmp): removed the unfinished save of process \(pid)")
                }
            }
            if f.old {
                if !fm.fileExists(atPath: path) && rename(old, path) == 0 {
                    lines.append("\(path): restored from \(old), where process \(pid) had moved it")
                } else {
                    try? fm.removeItem(atPath: old)
                    lines.append("\(old): removed (process \(pid) had replaced it)")
                }
            }
        }
        syncDirectory(directory)
        return lines
    }

    /// fsync a directory so that renames inside it are durable.
    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}

/// Saves and restores an Adam/AdamW optimizer's state by parameter key.
public enum OptimizerState {
    /// Writes `optimizer.safetensors` (`exp_avg.<key>`, `exp_avg_sq.<key>`) and `optimizer.json` (steps).
    public static func save(_ optimizer: Adam, keys: [String], to directory: String) throws {
        precondition(keys.count == optimizer.parameters.count, "OptimizerState.save: \(keys.count) keys for \(optimizer.parameters.count) parameters")
        var tensors: [(name: String, tensor: Tensor)] = []
        for (i, k) in keys.enumerated() {
            tensors.append((name: "exp_avg." + k, tensor: optimizer.firstMoments[i]))
            tensors.append((name: "exp_avg_sq." + k, tensor: optimizer.secondMoments[i]))
        }
        try writeSafetensors(tensors, to: directory + "/optimizer.safetensors")
        let meta = OptimizerMeta(keys: keys, steps: optimizer.steps)
        try writeCheckpointJSON(meta, to: directory + "/optimizer.json", compact: true)
    }

    /// Restores what `save` wrote into an optimizer over the same parameters (same keys, same order).
    public static func load(_ optimizer: Adam, keys: [String], from directory: String) throws {
        let metaPath = directory + "/optimizer.json"
        let meta = try readCheckpointJSON(
            OptimizerMeta.self, path: metaPath,
            missing: .mismatch(path: metaPath, reason: "no optimizer state (optimizer.json is missing)"))
        guard meta.keys == keys else {
            let missing = Set(keys).subtracting(meta.keys).sorted().prefix(4)
            throw CheckpointError.mismatch(
                path: metaPath,
                reason: "the optimizer state is for other parameters (\(meta.keys.count) saved, "
                    + "\(keys.count) now; e.g. missing \(missing.joined(separator: ", ")))")
        }
        let file = try SafetensorsFile(path: directory + "/optimizer.safetensors")
        var m: [Tensor] = [], v: [Tensor] = []
        for k in keys {
            m.append(try file.tensor("exp_avg." + k))
            v.append(try file.tensor("exp_avg_sq." + k))
        }
        if let problem = optimizer.restoreState(steps: meta.steps, firstMoments: m, secondMoments: v) {
            throw CheckpointError.mismatch(path: directory + "/optimizer.safetensors", reason: problem)
        }
    }

    private struct OptimizerMeta: Codable {
        var keys: [String]
        var steps: [Int]
    }
}

/// A trainer's position, saved as `trainer_state.json`.
public struct TrainerState: Codable, Equatable, Sendable {
    /// Optimizer steps done.
    public var globalStep: Int
    /// Total optimizer steps of the run.
    public var totalSteps: Int
    /// Data cursor: the epoch and the next batch within it.
    public var epoch: Int
    /// The next micro-batch (PPO: prompt) within `epoch`.
    public var batchInEpoch: Int
    /// The run's random generator (dropout, sampling) after `globalStep` steps.
    public var rng: RandomGenerator
    /// The seed the run started from (data order derives from it).
    public var seed: Int
    /// Which trainer wrote it ("reward", "sft", "ppo").
    public var trainer: String
    /// Tokens seen so far (SFT's `num_tokens`).
    public var tokensSeen: Int?
    /// Each LoRA adapter's dropout generator, by the key of the Linear it adapts.
    public var adapterRNG: [String: RandomGenerator]?
    /// Under `mpirun`: each rank's adapter generators, in rank order (each rank draws its own dropout masks).
    public var adapterRNGByRank: [[String: RandomGenerator]]?
    /// Examples (PPO: prompts) one step consumes over all ranks, and training examples (prompts) in all,
    /// of the run that wrote it; a resume must use the same (nil in checkpoints written before they were
    /// saved). A resume may use another number of ranks with the same global batch.
    public var stepBatchSize: Int?
    /// Training examples (PPO: prompts) of the run that wrote it (nil in older checkpoints).
    public var trainExamples: Int?
    /// The micro-batch the cursor counts in (`per_device_train_batch_size`; nil for PPO, whose cursor
    /// counts prompts, and in older checkpoints); a resume must use the same.
    public var microBatchSize: Int?
    /// The processes of the run that wrote it (information: a resume may use another number).
    public var worldSize: Int?

    /// A state at `globalStep` of `totalSteps`, with the cursor at (`epoch`, `batchInEpoch`).
    public init(globalStep: Int, totalSteps: Int, epoch: Int, batchInEpoch: Int, rng: RandomGenerator, seed: Int, trainer: String) {
        self.globalStep = globalStep; self.totalSteps = totalSteps; self.epoch = epoch
        self.batchInEpoch = batchInEpoch; self.rng = rng; self.seed = seed; self.trainer = trainer
    }

    /// Writes `trainer_state.json` into `directory`.
    public func save(to directory: String) throws {
        try writeCheckpointJSON(self, to: directory + "/trainer_state.json")
    }

    /// Reads `trainer_state.json` from a checkpoint folder and checks that `trainer` wrote it.
    ///
    /// - Parameter name: the trainer as the error names it ("an SFT", "a PPO").
    public static func load(from directory: String, trainer: String, name: String) throws -> TrainerState {
        let saved = try load(from: directory)
        guard saved.trainer == trainer else {
            throw CheckpointError.mismatch(path: directory, reason: "it is a '\(saved.trainer)' checkpoint, not \(name) one")
        }
        return saved
    }

    /// Checks that a run can continue from this state: the same seed, step batch and training set, a
    /// cursor inside the data, and a step not past the run's end.
    ///
    /// - Parameters:
    ///   - stepBatchSize: examples (PPO: prompts) one step of the resuming run consumes.
    ///   - cursorLimit: micro-batches per epoch (PPO: prompts), the bound of `batchInEpoch`.
    ///   - totalSteps: the resuming run's last step.
    ///   - microBatchSize: the micro-batch the resuming run's cursor counts in (nil: it counts examples).
    /// - Throws: `CheckpointError.mismatch` naming `directory` and the setting to change.
    public func checkResume(
        seed: Int, stepBatchSize: Int, trainExamples: Int, cursorLimit: Int, totalSteps: Int, microBatchSize: Int? = nil,
        directory: String
    ) throws {
        func fail(_ reason: String) -> CheckpointError { .mismatch(path: directory, reason: reason) }
        guard globalStep >= 0, epoch >= 0, (0..<max(cursorLimit, 1)).contains(batchInEpoch) else {
            throw fail(
                "trainer_state.json holds an impossible position (step \(globalStep), epoch \(epoch), batch \(batchInEpoch) "
                    + "of \(cursorLimit))")
        }
        guard self.seed == seed else {
            throw fail("it was trained with seed \(self.seed), the config says \(seed) (the data order derives from it): use --seed \(self.seed)")
        }
        if let saved = self.stepBatchSize, saved != stepBatchSize {
            throw fail(
                "it took \(saved) examples per step, the config takes \(stepBatchSize) (per_device_train_batch_size × "
                    + "gradient_accumulation_steps × processes): use the checkpoint's global batch")
        }
        if let saved = self.microBatchSize, let microBatchSize, saved != microBatchSize {
            throw fail(
                "its data cursor counts micro-batches of \(saved) examples, the config's per_device_train_batch_size is "
                    + "\(microBatchSize): keep it, and change gradient_accumulation_steps to fit another number of processes")
        }
        if let saved = self.trainExamples, saved != trainExamples {
            throw fail("it was trained on \(saved) examples, the training data now has \(trainExamples): resume on the same data")
        }
        guard globalStep <= totalSteps else {
            throw fail("it is at step \(globalStep), past the run's last step \(totalSteps) (max_steps / num_train_epochs)")
        }
    }

    /// Reads `trainer_state.json` from a checkpoint folder.
    public static func load(from directory: String) throws -> TrainerState {
        try readCheckpointJSON(
            TrainerState.self, path: directory + "/trainer_state.json",
            missing: .mismatch(path: directory, reason: "no trainer_state.json: not a training checkpoint"))
    }
}

/// Writes a checkpoint's JSON state file atomically: sorted keys (the same bytes from every process),
/// pretty-printed with a final newline unless `compact`.
func writeCheckpointJSON<T: Encodable>(_ value: T, to path: String, compact: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = compact ? [.sortedKeys] : [.prettyPrinted, .sortedKeys]
    let data = Array(try encoder.encode(value)) + (compact ? [] : [0x0A])
    try AtomicFileWriter.write(to: path) { try $0.write(data) }
}

/// Reads a checkpoint's JSON state file (a regular file; a FIFO is refused, not waited on).
///
/// - Parameter missing: the error when the file is absent.
/// - Throws: `missing`, or `CheckpointError.mismatch` naming the file when it does not decode.
func readCheckpointJSON<T: Decodable>(_ type: T.Type, path: String, missing: CheckpointError) throws -> T {
    guard let data = try readRegularFileIfPresent(path: path) else { throw missing }
    do { return try JSONDecoder().decode(T.self, from: data) } catch {
        throw CheckpointError.mismatch(path: path, reason: "\((path as NSString).lastPathComponent) is not valid: \(error)")
    }
}
