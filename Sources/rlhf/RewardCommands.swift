// `rlhf train-rm` and `rlhf score`: train a reward model from a YAML config (every field also a flag), and
// score texts with a trained one.

import ArgumentParser
import Foundation
import RLHFData
import RLHFFormats
import RLHFLogging
import RLHFModels
import RLHFTraining

/// Flags every training command shares; they override the YAML file.
struct SharedTrainingOptions: ParsableArguments {
    @Option(help: "Where checkpoints, metrics.jsonl and TensorBoard runs go.") var outputDir: String?
    @Option(help: "Optimizer steps to train (overrides epochs).") var maxSteps: Int?
    @Option(help: "Random seed.") var seed: Int?
    @Option(help: "Checkpoint folder to continue from.") var resumeFrom: String?

    /// The shared flags as `--key value` overrides, before the command's own.
    var overrides: [String] {
        var out: [String] = []
        if let outputDir { out += ["--output-dir", outputDir] }
        if let maxSteps { out += ["--max-steps", String(maxSteps)] }
        if let seed { out += ["--seed", String(seed)] }
        if let resumeFrom { out += ["--resume-from", resumeFrom] }
        return out
    }
}

/// Reads a config: defaults, then the YAML file, then flags.
///
/// - Throws: `ConfigError` naming the file and line, or the flag.
func loadConfig<C: FieldConfig>(_ type: C.Type, path: String?, shared: SharedTrainingOptions, extra: [String]) throws -> C {
    try C.load(path: path, overrides: shared.overrides + extra)
}

/// Builds a trainer (its data report going to stderr), runs it with a logger in the config's output folder,
/// and returns the final evaluation, the last checkpoint and the line that starts the summary.
func runTraining<Trainer>(_ cfg: some TrainingRunConfig, description: String,
                          make: (@escaping (String) -> Void) throws -> Trainer, position: (Trainer) -> TrainerState,
                          train: (Trainer, TrainingLogger) throws -> (eval: [String: Double], checkpoint: String),
                          before: (Trainer) -> Void = { _ in }) throws -> (trainer: Trainer, eval: [String: Double], checkpoint: String, summary: String) {
    let trainer = try make { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
    before(trainer)
    let state = position(trainer)
    let logger = try TrainingLogger(outputDirectory: cfg.outputDir, totalSteps: state.totalSteps, description: description,
                                    resumingAfter: cfg.resumeFrom == nil ? nil : state.globalStep, progress: cfg.progress)
    let start = Date()
    let (eval, path) = try train(trainer, logger)
    try logger.close()
    let minutes = Date().timeIntervalSince(start) / 60
    return (trainer, eval, path, "trained \(position(trainer).globalStep) steps in \(String(format: "%.1f", minutes)) min; checkpoint \(path)")
}

struct TrainRM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-rm",
        abstract: "Train a reward model on preference pairs (Bradley-Terry loss).",
        discussion: "Every config key is also a flag, which overrides the file:\n" + RewardConfig.fieldHelp)

    @Option(help: "YAML config (keys as TRL's RewardConfig; see below).") var config: String?
    @OptionGroup var shared: SharedTrainingOptions
    @Argument(parsing: .allUnrecognized, help: "Config overrides: --key value.") var overrides: [String] = []

    func run() throws {
        let cfg = try loadConfig(RewardConfig.self, path: config, shared: shared, extra: overrides)
        let (_, eval, _, summary) = try runTraining(cfg, description: "reward", make: { try RewardTrainer(config: cfg, report: $0) },
                                                 position: \.state, train: { try $0.train(logger: $1) })
        var line = summary
        if let acc = eval["accuracy"], let loss = eval["loss"] {
            line += String(format: "; held-out accuracy %.4f, loss %.4f", acc, loss)
        }
        print(line)
    }
}

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score texts with a reward model checkpoint.")

    @Option(help: "Reward model folder (written by train-rm, or a transformers *ForSequenceClassification folder).") var model: String
    @Option(help: "One text to score.") var text: String?
    @Option(help: "JSONL file: lines with \"text\", or \"prompt\" and \"completion\".") var data: String?
    @Flag(help: "Print one {\"score\": …} object per input, in order.") var json = false
    @Option(help: "Texts per batch.") var batchSize: Int = 32

    func validate() throws {
        guard (text == nil) != (data == nil) else { throw ValidationError("give exactly one of --text and --data") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
    }

    func run() throws {
        let rm = try RewardModel.load(path: model)
        var items: [(prompt: String?, response: String)] = []
        var sources: [String] = []   // where each item comes from, for messages
        if let text { items = [(nil, text)]; sources = ["--text"] }
        if let data {
            for r in try readJSONLines(path: data) {
                let v = try r.value.get()
                func string(_ field: String) throws -> String {
                    guard let s = v[field]?.stringValue else {
                        throw DataError.badLine(path: data, line: r.line, field: field, reason: "expected a string")
                    }
                    return s
                }
                if v["text"] != nil {
                    items.append((nil, try string("text"))); sources.append("\(data):\(r.line)")
                } else if v["prompt"] != nil, v["completion"] != nil {
                    let ps = try string("prompt"), cs = try string("completion")
                    items.append((ps, cs)); sources.append("\(data):\(r.line)")
                } else {
                    throw DataError.badLine(path: data, line: r.line, field: "", reason: "expected a 'text' field, or 'prompt' and 'completion'")
                }
            }
        }
        try checkLengths(rm, items, sources: sources)
        let scores = rm.score(items, batchSize: batchSize)
        if json { warnNonFinite(scores.filter { !$0.isFinite }.count, "scores") }
        for (item, s) in zip(items, scores) {
            if json { print("{\"score\": \(jsonNumber(Double(s)))}") } else {
                let shown = (item.prompt.map { $0 + " | " } ?? "") + item.response
                print(String(format: "%10.5f  ", s) + (shown.count > 100 ? String(shown.prefix(97)) + "..." : shown))
            }
        }
    }

    /// Errors for texts the model cannot score (no tokens, ids outside its vocabulary); a warning for texts
    /// longer than its position table, which `score` cuts to it.
    private func checkLengths(_ rm: RewardModel, _ items: [(prompt: String?, response: String)], sources: [String]) throws {
        var cut: [String] = []
        let limit = rm.scoredLength()
        for (item, source) in zip(items, sources) {
            var e = rm.encode(prompt: item.prompt, response: item.response)
            if let limit, e.ids.count > limit {
                cut.append(source)
                e = truncateKeepingLast(e, to: limit)
            }
            try rm.backbone.checkInput(e.ids, source: source)
        }
        guard let limit, !cut.isEmpty else { return }
        let positions = rm.backbone.positionLimit.phrase, kept = "its first \(limit - 1) tokens and its last"
        if cut.count == 1 {
            warn("warning: \(cut[0]) is longer than the model's \(positions); it was scored on \(kept)")
        } else {
            warn("warning: \(cut.count) texts are longer than the model's \(positions): \(cut.prefix(5).joined(separator: ", "))"
                 + "\(cut.count > 5 ? ", …" : ""); each was scored on \(kept)")
        }
    }
}
