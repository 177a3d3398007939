// `rlhf train-rm` and `rlhf score`: train a reward model from a YAML config (every field also a flag), and
// score texts with a trained one.

import ArgumentParser
import Foundation
import RLHFData
import RLHFModels
import RLHFTraining

struct TrainRM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-rm",
        abstract: "Train a reward model on preference pairs (Bradley-Terry loss).",
        discussion: "The YAML keys are TRL's RewardConfig's; every key is also a flag, which overrides the file:\n" + RewardConfig.fieldHelp)

    @OptionGroup var options: TrainingCommandOptions

    func run() throws {
        let outcome = try RewardTrainer(config: try options.load(RewardConfig.self), report: warn).trainLogged(description: "reward")
        output(rewardSummary(outcome))
    }
}

/// The summary line of a reward-model run, with its held-out accuracy and loss.
func rewardSummary(_ outcome: TrainingOutcome) -> String {
    var line = outcome.summary
    if let acc = outcome.eval["accuracy"], let loss = outcome.eval["loss"] {
        line += String(format: "; held-out accuracy %.4f, loss %.4f", acc, loss)
    }
    return line
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
            let set = try ScoringDataset(path: data)
            items = set.items.map { ($0.prompt, $0.response) }
            sources = set.items.map(\.source)
        }
        try checkLengths(rm, items, sources: sources)
        let scores = rm.score(items, batchSize: batchSize)
        if json { warnNonFinite(scores.filter { !$0.isFinite }.count, "scores") }
        for (item, s) in zip(items, scores) {
            if json {
                print("{\"score\": \(jsonNumber(Double(s)))}")
            } else {
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
            warn(
                "warning: \(cut.count) texts are longer than the model's \(positions): \(cut.prefix(5).joined(separator: ", "))"
                    + "\(cut.count > 5 ? ", …" : ""); each was scored on \(kept)")
        }
    }
}
