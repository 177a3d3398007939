// `rlhf pipeline`: SFT → reward model → PPO (or DPO) from one YAML file with a section per stage:
//
//   output_dir: output/pipeline      # stages write to <output_dir>/sft, /reward, /ppo, /dpo unless they say
//   seed: 42
//   algorithm: ppo                   # or dpo
//   sft:    { SFTConfig keys }        # rlhf sft's keys
//   reward: { RewardConfig keys }     # rlhf train-rm's keys
//   ppo:    { PPOConfig keys }        # model and reward_model default to the two stages' final checkpoints
//   dpo:    { DPOConfig keys }        # algorithm dpo: model defaults to the SFT stage's final checkpoint
//   report: { PolicyComparisonConfig keys }   # algorithm dpo: held-out prompts sampled before and after,
//                                             # scored by the reward stage's model (the independent judge)
//
// A stage that finished (its folder holds completed.json naming an existing checkpoint) is skipped and its
// report is printed again; a stage that was interrupted resumes from its latest checkpoint.

import ArgumentParser
import Foundation
import RLHFTraining

struct Pipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "SFT → reward model → PPO or DPO, one checkpoint per stage; finished stages are skipped.",
        discussion: "The YAML file has output_dir, seed, algorithm (ppo or dpo), and sections sft:, reward:, ppo: with the keys of "
            + "rlhf sft, rlhf train-rm and rlhf ppo. PPO's model and reward_model default to the final checkpoints of the first two "
            + "stages. With algorithm: dpo, a dpo: section (rlhf dpo's keys; model defaults to the SFT checkpoint) replaces ppo:, and "
            + "an optional report: section (eval_file, response_length, temperature, ...) samples held-out prompts before and after "
            + "DPO and scores them with the reward model.")

    @Option(help: "Pipeline YAML (see below).") var config: String
    @Option(help: "Where the stage folders go (overrides output_dir).") var outputDir: String?
    @Option(help: "Seed of every stage (overrides seed).") var seed: Int?

    func run() throws {
        let file = try readYAMLSections(path: config)
        var root = "output/pipeline", seedValue = "42", algorithm = "ppo"
        for (key, value, line) in file.scalars {
            switch key {
            case "output_dir": root = value
            case "seed": seedValue = value
            case "algorithm":
                guard ["ppo", "dpo"].contains(value) else { throw CLIError.pipelineUnknownAlgorithm(path: config, line: line, value: value) }
                algorithm = value
            default: throw CLIError.pipelineUnknownKey(path: config, line: line, key: key)
            }
        }
        if let outputDir { root = outputDir }
        if let seed { seedValue = String(seed) }
        var sections: [String: [(key: String, value: String, line: Int)]] = [:]
        for s in file.sections {
            guard ["sft", "reward", "ppo", "dpo", "report"].contains(s.name) else {
                throw CLIError.pipelineUnknownSection(path: config, line: s.line, name: s.name)
            }
            sections[s.name] = s.entries
        }
        for name in ["sft", "reward", algorithm] where sections[name] == nil {
            throw CLIError.pipelineMissingSection(path: config, name: name)
        }
        /// Stage defaults first, then the file's entries (which may override them).
        func entries(_ name: String, _ defaults: [(String, String)]) -> [(key: String, value: String, line: Int)] {
            let given = Set(sections[name]!.map(\.key))
            return defaults.filter { !given.contains($0.0) }.map { (key: $0.0, value: $0.1, line: 0) } + sections[name]!
        }
        /// The stage's config. A ConfigError with a line of the file goes on as it is; one without (a missing
        /// key, a value that fails the stage's validation) is said of the section, which it does not name.
        func load<C: FieldConfig>(_ type: C.Type, _ name: String, _ defaults: [(String, String)]) throws -> C {
            do {
                return try C.load(entries: entries(name, defaults), source: config)
            } catch ConfigError.missing(let path, let key) {
                throw CLIError.pipelineMissingKey(path: path, section: name, key: key)
            } catch ConfigError.badValue(let path, 0, let key, let reason) {
                throw CLIError.pipelineBadValue(path: path, section: name, key: key, reason: reason)
            }
        }

        var sft = try load(SFTConfig.self, "sft", [("output_dir", root + "/sft"), ("seed", seedValue)])
        let sftStage = try runPipelineStage("SFT", outputDir: sft.outputDir, say: say) { resume in
            sft.resumeFrom = resume
            let (outcome, line) = try runSFT(sft)
            return StageRecord(checkpoint: outcome.checkpoint, lines: [line])
        }
        var reward = try load(RewardConfig.self, "reward", [("output_dir", root + "/reward"), ("seed", seedValue)])
        let rewardStage = try runPipelineStage("reward model", outputDir: reward.outputDir, say: say) { resume in
            reward.resumeFrom = resume
            let outcome = try RewardTrainer(config: reward, report: warn).trainLogged(description: "reward")
            var line = outcome.summary
            if let acc = outcome.eval["accuracy"] {
                line += "; reward-model held-out accuracy " + String(format: "%.1f%%", 100 * acc) + " on \(reward.evalFile ?? "")"
            }
            return StageRecord(checkpoint: outcome.checkpoint, lines: [line])
        }
        if algorithm == "dpo" {
            var dpo = try load(DPOConfig.self, "dpo", [("output_dir", root + "/dpo"), ("seed", seedValue), ("model", sftStage.checkpoint)])
            let comparison = try sections["report"].map { _ in
                try load(PolicyComparisonConfig.self, "report", [("seed", seedValue), ("reward_model", rewardStage.checkpoint)])
            }
            _ = try runPipelineStage("DPO", outputDir: dpo.outputDir, say: say) { resume in
                dpo.resumeFrom = resume
                let (outcome, line) = try runDPO(dpo)
                var lines = [line]
                if let comparison {
                    let c = try comparePolicies(before: dpo.model, after: outcome.checkpoint, config: comparison, report: warn)
                    lines += evaluationReport(before: c.before, after: c.after, decode: c.decode, algorithm: "DPO")
                }
                return StageRecord(checkpoint: outcome.checkpoint, lines: lines)
            }
            return
        }
        var ppo = try load(
            PPOConfig.self, "ppo",
            [
                ("output_dir", root + "/ppo"), ("seed", seedValue),
                ("model", sftStage.checkpoint), ("reward_model", rewardStage.checkpoint)
            ])
        _ = try runPipelineStage("PPO", outputDir: ppo.outputDir, say: say) { resume in
            ppo.resumeFrom = resume
            let (checkpoint, lines) = try runPPO(ppo)
            return StageRecord(checkpoint: checkpoint, lines: lines)
        }
    }
}

/// Prints a line and flushes standard output, so that a stage's report shows before the next stage starts
/// (also when the output goes to a pipe or a file).
func say(_ line: String) {
    output(line)
    fflush(nil)
}
