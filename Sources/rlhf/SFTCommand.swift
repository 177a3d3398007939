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
        var before: [String: Double] = [:]
        let (_, eval, _, summary) = try runTraining(cfg, description: "sft", make: { try SFTTrainer(config: cfg, report: $0) },
                                                 position: \.state, train: { try $0.train(logger: $1) },
                                                 before: { if cfg.resumeFrom == nil { before = $0.evaluate() } })
        var line = summary
        if let after = eval["loss"] {
            line += before["loss"].map { String(format: "; held-out loss %.4f → %.4f", $0, after) } ?? String(format: "; held-out loss %.4f", after)
        }
        print(line)
    }
}
