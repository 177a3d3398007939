// A stage of `rlhf pipeline` (SFT, reward model, PPO), run so that the pipeline can be stopped and started
// again at any point: a stage that finished left `completed.json` naming its last checkpoint and its report
// and is skipped; one that was interrupted resumes from its newest `checkpoint-N`.

import Foundation
import RLHFDistributed
import RLHFFormats

/// What a finished stage leaves in its folder (`completed.json`).
public struct StageRecord: Codable, Sendable, Equatable {
    /// The stage's last checkpoint (the next stage's model).
    public var checkpoint: String
    /// The stage's report lines.
    public var lines: [String]

    /// A record of `checkpoint` with its report.
    public init(checkpoint: String, lines: [String]) {
        self.checkpoint = checkpoint
        self.lines = lines
    }
}

/// Runs a pipeline stage unless `outputDir/completed.json` names a checkpoint that still exists; resumes
/// from the newest `checkpoint-N` in `outputDir` when the stage was interrupted.
///
/// - Parameters:
///   - name: the stage as the report names it ("SFT").
///   - say: receives the stage's header and report lines.
///   - body: trains, given the checkpoint to resume from (nil: a fresh start); returns the record.
///   - group: the ranks; under `mpirun` rank 0 alone writes the record, and every rank waits for it.
/// - Returns: the record, read back or new.
public func runPipelineStage(
    _ name: String, outputDir: String, say: (String) -> Void, group: ProcessGroup = .world,
    _ body: (_ resumeFrom: String?) throws -> StageRecord
) throws -> StageRecord {
    let marker = outputDir + "/completed.json"
    let fm = FileManager.default
    if let data = try? readRegularFileIfPresent(path: marker), let record = try? JSONDecoder().decode(StageRecord.self, from: data),
        fm.fileExists(atPath: record.checkpoint + "/config.json")
    {
        say("== \(name): done earlier, skipped (\(marker))")
        record.lines.forEach(say)
        return record
    }
    let latest = ((try? fm.contentsOfDirectory(atPath: outputDir)) ?? [])
        .compactMap { $0.hasPrefix("checkpoint-") ? Int($0.dropFirst("checkpoint-".count)) : nil }.max()
    let resume = latest.map { outputDir + "/checkpoint-\($0)" }
    say("== \(name)" + (resume.map { " (resuming from \($0))" } ?? ""))
    let record = try body(resume)
    record.lines.forEach(say)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
    let data = try encoder.encode(record)
    if group.isMain { try AtomicFileWriter.write(to: marker) { try $0.write(Array(data)) } }
    try group.barrier()
    return record
}
