// `rlhf sft`: supervised fine-tuning of a decoder from a YAML config (every field also a flag), fully or
// with LoRA adapters; the final checkpoint is a merged transformers folder.

import ArgumentParser
import Foundation
import RLHFTraining

struct SFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised fine-tuning of a decoder (full or LoRA).",
        discussion: "Every config key is also a flag, which overrides the file:\n" + SFTConfig.fieldHelp)

    @Option(help: "YAML config (keys as TRL's SFTConfig plus lora_*; see below).") var config: String?
    @OptionGroup var shared: SharedTrainingOptions
    @Argument(parsing: .allUnrecognized, help: "Config overrides: --key value.") var overrides: [String] = []

    func run() throws {
        let cfg = try loadConfig(SFTConfig.self, path: config, shared: shared, extra: overrides)
        let trainer: SFTTrainer
        do { trainer = try SFTTrainer(config: cfg) { FileHandle.standardError.write(Data("\($0)\n".utf8)) } } catch {
            throw ValidationError("\(error)")
        }
        let before = cfg.resumeFrom == nil ? trainer.evaluate() : [:]
        let logger = try TrainingLogger(outputDirectory: cfg.outputDir, totalSteps: trainer.state.totalSteps,
                                        description: "sft", resumingAfter: cfg.resumeFrom == nil ? nil : trainer.state.globalStep,
                                        progress: cfg.progress)
        let start = Date()
        let (eval, path) = try trainer.train(logger: logger)
        try logger.close()
        let minutes = Date().timeIntervalSince(start) / 60
        var line = "trained \(trainer.state.globalStep) steps in \(String(format: "%.1f", minutes)) min; checkpoint \(path)"
        if let after = eval["loss"] {
            line += before["loss"].map { String(format: "; held-out loss %.4f → %.4f", $0, after) } ?? String(format: "; held-out loss %.4f", after)
        }
        print(line)
    }
}
