// `rlhf pipeline`: SFT → reward model → PPO (or DPO) from one YAML file with a section per stage:
//
//   output_dir: output/pipeline      # stages write to <output_dir>/sft, /reward, /ppo, /dpo unless they say
//   seed: 42
//   algorithm: ppo                   # or dpo, grpo, rloo
//   sft:    { SFTConfig keys }        # rlhf sft's keys
//   reward: { RewardConfig keys }     # rlhf train-rm's keys
//   ppo:    { PPOConfig keys }        # model and reward_model default to the two stages' final checkpoints
//   dpo:    { DPOConfig keys }        # algorithm dpo: model defaults to the SFT stage's final checkpoint
//   grpo:   { GRPOConfig keys }       # algorithm grpo / rloo: model defaults to the SFT checkpoint and
//   rloo:   { RLOOConfig keys }       # reward_model to the reward stage's
//   report: { PolicyComparisonConfig keys }   # dpo, grpo, rloo: held-out prompts sampled before and after,
//                                             # scored by the reward stage's model (the independent judge), and
//                                             # the exact-answer rate per family when the prompts have answers
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
        discussion: "The YAML file has output_dir, seed, algorithm (ppo, dpo, grpo or rloo), and sections sft:, reward:, ppo: with the keys of "
            + "rlhf sft, rlhf train-rm and rlhf ppo. PPO's model and reward_model default to the final checkpoints of the first two "
            + "stages. With algorithm: dpo, a dpo: section (rlhf dpo's keys; model defaults to the SFT checkpoint) replaces ppo:, and "
            + "an optional report: section (eval_file, response_length, temperature, ...) samples held-out prompts before and after "
            + "DPO and scores them with the reward model. algorithm: grpo and rloo take a grpo: or rloo: section in the same way.")

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
                guard ["ppo", "dpo", "grpo", "rloo"].contains(value) else {
                    throw CLIError.pipelineUnknownAlgorithm(path: config, line: line, value: value)
                }
                algorithm = value
            default: throw CLIError.pipelineUnknownKey(path: config, line: line, key: key)
            }
        }
        if let outputDir { root = outputDir }
        if let seed { seedValue = String(seed) }
        var sections: [String: [(key: String, value: String, line: Int)]] = [:]
        for s in file.sections {
            guard ["sft", "reward", "ppo", "dpo", "grpo", "rloo", "report"].contains(s.name) else {
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
        let comparison = try sections["report"].map { _ in
            try load(PolicyComparisonConfig.self, "report", [("seed", seedValue), ("reward_model", rewardStage.checkpoint)])
        }
        /// A stage without rollouts of its own to report: the held-out comparison of the SFT model and the result.
        func reportLines(after checkpoint: String, algorithm: String) throws -> [String] {
            guard let comparison else { return [] }
            let c = try comparePolicies(before: sftStage.checkpoint, after: checkpoint, config: comparison, report: warn)
            return evaluationReport(before: c.before, after: c.after, decode: c.decode, algorithm: algorithm)
                + exactAnswerLines(before: c.before, after: c.after, decode: c.decode)
        }
        let stageDefaults = [("seed", seedValue), ("model", sftStage.checkpoint), ("reward_model", rewardStage.checkpoint)]
        switch algorithm {
        case "dpo":
            var dpo = try load(DPOConfig.self, "dpo", [("output_dir", root + "/dpo"), ("seed", seedValue), ("model", sftStage.checkpoint)])
            _ = try runPipelineStage("DPO", outputDir: dpo.outputDir, say: say) { resume in
                dpo.resumeFrom = resume
                let (outcome, line) = try runDPO(dpo)
                return StageRecord(checkpoint: outcome.checkpoint, lines: [line] + (try reportLines(after: outcome.checkpoint, algorithm: "DPO")))
            }
            return
        case "grpo":
            var grpo = try load(GRPOConfig.self, "grpo", [("output_dir", root + "/grpo")] + stageDefaults)
            _ = try runPipelineStage("GRPO", outputDir: grpo.outputDir, say: say) { resume in
                grpo.resumeFrom = resume
                let (outcome, line) = try runGRPO(grpo)
                return StageRecord(checkpoint: outcome.checkpoint, lines: [line] + (try reportLines(after: outcome.checkpoint, algorithm: "GRPO")))
            }
            return
        case "rloo":
            var rloo = try load(RLOOConfig.self, "rloo", [("output_dir", root + "/rloo")] + stageDefaults)
            _ = try runPipelineStage("RLOO", outputDir: rloo.outputDir, say: say) { resume in
                rloo.resumeFrom = resume
                let (outcome, line) = try runGRPO(rloo.base, estimator: .rloo(normalizeAdvantages: rloo.normalizeAdvantages))
                return StageRecord(checkpoint: outcome.checkpoint, lines: [line] + (try reportLines(after: outcome.checkpoint, algorithm: "RLOO")))
            }
            return
        default:
            break
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
