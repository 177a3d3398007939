// `rlhf dpo`: direct preference optimisation of a decoder from a YAML config (every field also a flag),
// fully or with LoRA adapters; the final checkpoint is a merged transformers folder.

import ArgumentParser
import Foundation
import RLHFTraining

struct DPO: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Direct preference optimisation of a decoder on preference pairs (full or LoRA).",
        discussion: "The YAML keys are TRL's DPOConfig's plus lora_*; every key is also a flag, which overrides the file:\n"
            + DPOConfig.fieldHelp)

    @OptionGroup var options: TrainingCommandOptions

    func run() throws {
        output(try runDPO(try options.load(DPOConfig.self)).line)
    }
}

/// Trains as configured; returns the summary line with the held-out preference accuracy and loss before
/// (a fresh run) and after.
func runDPO(_ config: DPOConfig) throws -> (outcome: TrainingOutcome, line: String) {
    let trainer = try DPOTrainer(config: config, report: warn)
    let before = config.resumeFrom == nil ? trainer.evaluate() : [:]
    let outcome = try trainer.trainLogged(description: "dpo")
    var line = outcome.summary
    for (key, label, format) in [("rewards/accuracies", "held-out preference accuracy", "%.3f"), ("loss", "held-out loss", "%.4f")] {
        guard let after = outcome.eval[key] else { continue }
        line += "; \(label) " + (before[key].map { String(format: format + " → " + format, $0, after) } ?? String(format: format, after))
    }
    return (outcome, line)
}
