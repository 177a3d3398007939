// `rlhf pipeline`: SFT → reward model → PPO from one YAML file with a section per stage:
//
//   output_dir: output/pipeline      # stages write to <output_dir>/sft, /reward, /ppo unless they say
//   seed: 42
//   sft:    { SFTConfig keys }        # rlhf sft's keys
//   reward: { RewardConfig keys }     # rlhf train-rm's keys
//   ppo:    { PPOConfig keys }        # model and reward_model default to the two stages' final checkpoints
//
// A stage that finished (its folder holds completed.json naming an existing checkpoint) is skipped and its
// report is printed again; a stage that was interrupted resumes from its latest checkpoint.

import ArgumentParser
import Foundation
import RLHFFormats
import RLHFTraining

struct Pipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "SFT → reward model → PPO, one checkpoint per stage; finished stages are skipped.",
        discussion: "The YAML file has output_dir, seed, and sections sft:, reward:, ppo: with the keys of rlhf sft, "
            + "rlhf train-rm and rlhf ppo. PPO's model and reward_model default to the final checkpoints of the first two stages.")

    @Option(help: "Pipeline YAML (see below).") var config: String
    @Option(help: "Where the stage folders go (overrides output_dir).") var outputDir: String?
    @Option(help: "Seed of every stage (overrides seed).") var seed: Int?

    func run() throws {
        let file = try readYAMLSections(path: config)
        var root = "output/pipeline", seedValue = "42"
        for (key, value, line) in file.scalars {
            switch key {
            case "output_dir": root = value
            case "seed": seedValue = value
            default: throw CLIError.pipelineUnknownKey(path: config, line: line, key: key)
            }
        }
        if let outputDir { root = outputDir }
        if let seed { seedValue = String(seed) }
        var sections: [String: [(key: String, value: String, line: Int)]] = [:]
        for s in file.sections {
            guard ["sft", "reward", "ppo"].contains(s.name) else {
                throw CLIError.pipelineUnknownSection(path: config, line: s.line, name: s.name)
            }
            sections[s.name] = s.entries
        }
        for name in ["sft", "reward", "ppo"] where sections[name] == nil {
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
        let sftResult = try runStage("SFT", outputDir: sft.outputDir) { resume in
            sft.resumeFrom = resume
            var before: [String: Double] = [:]
            let (_, eval, checkpoint, summary) = try runTraining(sft, description: "sft", make: { try SFTTrainer(config: sft, report: $0) }, position: \.state,
                                                     train: { try $0.train(logger: $1) }, before: { if resume == nil { before = $0.evaluate() } })
            var line = summary
            if let b = before["loss"], let a = eval["loss"] { line += String(format: "; held-out loss %.4f → %.4f", b, a) }
            return (checkpoint: checkpoint, lines: [line])
        }
        var reward = try load(RewardConfig.self, "reward", [("output_dir", root + "/reward"), ("seed", seedValue)])
        let rewardResult = try runStage("reward model", outputDir: reward.outputDir) { resume in
            reward.resumeFrom = resume
            let (_, eval, checkpoint, summary) = try runTraining(reward, description: "reward", make: { try RewardTrainer(config: reward, report: $0) },
                                                     position: \.state, train: { try $0.train(logger: $1) })
            var line = summary
            if let acc = eval["accuracy"] { line += "; reward-model held-out accuracy " + String(format: "%.1f%%", 100 * acc) + " on \(reward.evalFile ?? "")" }
            return (checkpoint: checkpoint, lines: [line])
        }
        var ppo = try load(PPOConfig.self, "ppo", [("output_dir", root + "/ppo"), ("seed", seedValue),
                                                    ("model", sftResult.checkpoint), ("reward_model", rewardResult.checkpoint)])
        _ = try runStage("PPO", outputDir: ppo.outputDir) { resume in
            ppo.resumeFrom = resume
            return try runPPO(ppo)
        }
    }
}

/// What a finished stage leaves in its folder (completed.json).
private struct StageRecord: Codable {
    var checkpoint: String
    var lines: [String]
}

/// Runs a stage unless `outputDir/completed.json` names an existing checkpoint; resumes from the latest
/// `checkpoint-N` when the stage was interrupted. Prints the stage's report either way.
private func runStage(_ name: String, outputDir: String, _ body: (_ resumeFrom: String?) throws -> (checkpoint: String, lines: [String]))
    throws -> (checkpoint: String, lines: [String]) {
    let marker = outputDir + "/completed.json"
    let fm = FileManager.default
    if let data = fm.contents(atPath: marker), let record = try? JSONDecoder().decode(StageRecord.self, from: data),
       fm.fileExists(atPath: record.checkpoint + "/config.json") {
        say("== \(name): done earlier, skipped (\(marker))")
        record.lines.forEach { say($0) }
        return (record.checkpoint, record.lines)
    }
    let latest = ((try? fm.contentsOfDirectory(atPath: outputDir)) ?? [])
        .compactMap { $0.hasPrefix("checkpoint-") ? Int($0.dropFirst("checkpoint-".count)) : nil }.max()
    let resume = latest.map { outputDir + "/checkpoint-\($0)" }
    say("== \(name)" + (resume.map { " (resuming from \($0))" } ?? ""))
    let result = try body(resume)
    result.lines.forEach { say($0) }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
    let data = try encoder.encode(StageRecord(checkpoint: result.checkpoint, lines: result.lines))
    try AtomicFileWriter.write(to: marker) { try $0.write(Array(data)) }
    return result
}

/// Prints a line and flushes standard output, so that a stage's report shows before the next stage starts
/// (also when the output goes to a pipe or a file).
func say(_ line: String) {
    print(line)
    fflush(nil)
}
