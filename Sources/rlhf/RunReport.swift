// A training command's report beside its run: the lines it prints, kept as `<output_dir>/report.txt` for
// the runs view of `rlhf label serve`.

import Foundation
import RLHFDistributed
import RLHFFormats

/// Writes a run's report lines to `<outputDir>/report.txt` (atomically; rank 0 alone under `mpirun`), where
/// the runs view of `rlhf label serve` shows them.
func saveReport(_ lines: [String], outputDir: String) throws {
    guard ProcessGroup.world.isMain else { return }
    let text = lines.joined(separator: "\n") + "\n"
    try AtomicFileWriter.write(to: outputDir + "/report.txt") { try $0.write(Array(text.utf8)) }
}
