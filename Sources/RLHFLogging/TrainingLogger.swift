// What the reward-model, SFT and PPO trainers report through: metrics.jsonl, a TensorBoard run directory and
// a progress bar, behind one object.
//
//   <outputDirectory>/metrics.jsonl   {"step": 10, "eval/loss": 0.61, "loss": 0.52, …}
//   <outputDirectory>/runs/events.out.tfevents.…   tags "train/loss", "eval/loss", text "samples", …
//   <outputDirectory>/samples.jsonl   {"step": 10, "tag": "samples", "markdown": "| prompt | response | …"}

import Foundation
import RLHFFormats

/// A trainer's progress reporting: ``MetricsLog`` + ``TensorBoardWriter`` + ``ProgressBar``.
///
/// Metric names: ``log(step:metrics:prefix:)`` with no prefix writes `loss` to `metrics.jsonl` and
/// `train/loss` to TensorBoard; with `prefix: "eval/"` both get `eval/loss`.
///
/// A resumed run (`resumingAfter: s`) keeps the JSONL lines up to step `s`, marks a session start at step
/// `s + 1` in a new TensorBoard event file (so TensorBoard drops the interrupted run's later points), and
/// starts the progress bar at `s`.
///
/// Not `Sendable`: it owns open files and the bar's state; one trainer loop uses it.
public final class TrainingLogger {
    /// The JSONL log (`<outputDirectory>/metrics.jsonl`).
    public let metricsLog: MetricsLog
    /// The TensorBoard writer (event file in `<outputDirectory>/runs/`).
    public let tensorBoard: TensorBoardWriter
    /// The number of steps the progress bar counts to.
    public let totalSteps: Int
    /// Text summaries as JSONL (`<outputDirectory>/samples.jsonl`: step, tag, markdown), for the runs view.
    public let samplesPath: String
    private var progressBar: ProgressBar?
    private var closed = false

    /// Creates `outputDirectory` if needed, `metrics.jsonl` in it and a TensorBoard event file in `runs/`.
    ///
    /// - Parameters:
    ///   - outputDirectory: the run's output directory (created with intermediates).
    ///   - totalSteps: the step count at 100% on the progress bar.
    ///   - description: the progress bar's label (e.g. "reward").
    ///   - resumingAfter: the checkpoint step a resumed run continues after, or `nil` for a fresh run (which
    ///     truncates an existing `metrics.jsonl`).
    ///   - progress: draw a progress bar on standard error.
    /// - Throws: ``TrainingLogError`` naming the directory or file that could not be created.
    public init(
        outputDirectory: String, totalSteps: Int, description: String, resumingAfter step: Int? = nil,
        progress: Bool = true
    ) throws {
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw TrainingLogError.cannotCreateDirectory(path: outputDirectory, reason: error.localizedDescription)
        }
        let directory = outputDirectory as NSString
        metricsLog = try MetricsLog(path: directory.appendingPathComponent("metrics.jsonl"), resumingAfter: step)
        tensorBoard = try TensorBoardWriter(logDirectory: directory.appendingPathComponent("runs"))
        if let step {
            try tensorBoard.addSessionStart(step: step + 1)
            try tensorBoard.flush()
        }
        self.totalSteps = totalSteps
        samplesPath = directory.appendingPathComponent("samples.jsonl")
        if progress {
            progressBar = ProgressBar(total: totalSteps, description: description, initial: step ?? 0)
        }
    }

    deinit {
        try? close()
    }

    /// Logs one step's metrics: one `metrics.jsonl` line, and one TensorBoard scalar per metric (flushed).
    ///
    /// - Parameters:
    ///   - metrics: name → value; NaN and ±infinity are written (as `"nan"`, … in JSONL).
    ///   - prefix: prepended to every name (e.g. `"eval/"`); with none, TensorBoard tags get `train/`.
    /// - Throws: ``TrainingLogError`` from either file.
    public func log(step: Int, metrics: [String: Double], prefix: String = "") throws {
        var jsonl: [String: Double] = [:]
        for (name, value) in metrics {
            jsonl[prefix + name] = value
        }
        try metricsLog.write(step: step, metrics: jsonl)
        let wallTime = TensorBoardWriter.now()
        let tagPrefix = prefix.isEmpty ? "train/" : prefix
        for name in metrics.keys.sorted() {
            if let value = metrics[name] {
                try tensorBoard.addScalar(tagPrefix + name, value, step: step, wallTime: wallTime)
            }
        }
        try tensorBoard.flush()
    }

    /// Moves the progress bar to `step` and shows `metrics` after it (redrawn when due).
    public func advance(to step: Int, metrics: [(String, Double)] = []) {
        progressBar?.update(completed: step, metrics: metrics)
    }

    /// Writes a markdown text summary (e.g. a table of prompts and completions) to TensorBoard (flushed)
    /// and appends it to `samples.jsonl` (a resumed run appends again; readers keep the last per step and tag).
    ///
    /// - Throws: ``TrainingLogError`` from either file.
    public func text(tag: String, step: Int, markdown: String) throws {
        try tensorBoard.addText(tag, markdown, step: step)
        try tensorBoard.flush()
        let line = "{\"step\": \(step), \"tag\": \(jsonQuoted(tag)), \"markdown\": \(jsonQuoted(markdown))}\n"
        guard let file = fopen(samplesPath, "a") else { throw TrainingLogError.writeFailed(path: samplesPath, reason: errnoDescription()) }
        defer { fclose(file) }
        let bytes = Array(line.utf8)
        if bytes.withUnsafeBytes({ fwrite($0.baseAddress, 1, $0.count, file) }) != bytes.count || fflush(file) != 0 {
            throw TrainingLogError.writeFailed(path: samplesPath, reason: errnoDescription())
        }
    }

    /// Prints a line on standard error, above the progress bar (which is redrawn below it).
    public func message(_ s: String) {
        if progressBar != nil {
            progressBar?.printMessage(s)
        } else {
            FileHandle.standardError.write(Data((s + "\n").utf8))
        }
    }

    /// Finishes the progress bar and closes both files. Calling it again does nothing.
    ///
    /// - Throws: ``TrainingLogError`` when a file's buffered tail could not be written (both are closed
    ///   regardless).
    public func close() throws {
        guard !closed else { return }
        closed = true
        progressBar?.finish()
        var firstError: Error?
        do { try metricsLog.close() } catch { firstError = error }
        do { try tensorBoard.close() } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }
}
