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
        let config = try options.load(DPOConfig.self)
        let line = try runDPO(config).line
        try saveReport([line], outputDir: config.outputDir)
        output(line)
    }
}

/// Trains as configured; returns the summary line with the held-out preference accuracy and loss. (Before
/// training the policy is the reference, so the figures before are known: loss log 2 for sigmoid, every
/// implicit reward 0, accuracy 0; no pass is spent on them.)
func runDPO(_ config: DPOConfig) throws -> (outcome: TrainingOutcome, line: String) {
    let trainer = try DPOTrainer(config: config, report: warn)
    let outcome = try trainer.trainLogged(description: "dpo")
    var line = outcome.summary
    if let accuracy = outcome.eval["rewards/accuracies"], let loss = outcome.eval["loss"], let margin = outcome.eval["rewards/margins"] {
        line += String(format: "; held-out preference accuracy %.3f, margin %.3f, loss %.4f", accuracy, margin, loss)
        line += " on \(trainer.evalExamples.count) pairs of \(config.evalFile ?? "")"
    }
    return (outcome, line)
}
