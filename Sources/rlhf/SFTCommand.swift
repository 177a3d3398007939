// `rlhf sft`: supervised fine-tuning of a decoder from a YAML config (every field also a flag), fully or
// with LoRA adapters; the final checkpoint is a merged transformers folder.

import ArgumentParser
import Foundation
import RLHFTraining

struct SFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised fine-tuning of a decoder (full or LoRA).",
        discussion: "The YAML keys are TRL's SFTConfig's plus lora_*; every key is also a flag, which overrides the file:\n"
            + SFTConfig.fieldHelp)

    @OptionGroup var options: TrainingCommandOptions

    func run() throws {
        output(try runSFT(try options.load(SFTConfig.self)).line)
    }
}

/// Trains as configured; returns the summary line with the held-out loss before (a fresh run) and after.
func runSFT(_ config: SFTConfig) throws -> (outcome: TrainingOutcome, line: String) {
    let trainer = try SFTTrainer(config: config, report: warn)
    let before = config.resumeFrom == nil ? trainer.evaluate() : [:]
    let outcome = try trainer.trainLogged(description: "sft")
    var line = outcome.summary
    if let after = outcome.eval["loss"] {
        line += before["loss"].map { String(format: "; held-out loss %.4f → %.4f", $0, after) } ?? String(format: "; held-out loss %.4f", after)
    }
    return (outcome, line)
}
