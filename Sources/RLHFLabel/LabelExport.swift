// `rlhf label export`: the labelled pairs as TRL's explicit-prompt preference pairs, one line per pair:
//
//   {"prompt": "...", "chosen": "...", "rejected": "..."}                       a string prompt
//   {"prompt": [messages], "chosen": [{"role": "assistant", "content": "..."}],
//    "rejected": [{"role": "assistant", "content": "..."}]}                    a conversational prompt
//
// which `rlhf train-rm`, `rlhf dpo` and TRL read as they are. A pair's outcome is the majority of its live
// labels (skips left out); its agreement is the majority's share. Pairs without a single majority, or with
// agreement under `minAgreement`, are left out; so are ties and "both bad" unless `keepTies`, which writes
// them too, with every line naming its `outcome` ("chosen" is then response A, "rejected" response B, so
// filter on `outcome` before training on such a file). A pair with an empty or blank response (the model
// stopped at once) is left out, as the trainers reject an empty answer. Every line also carries `votes` and `agreement`,
// columns that the trainers pass over. The file is written to a temporary path and renamed.

import Foundation
import GRDB
import RLHFFormats

/// What `export` keeps.
public struct ExportOptions: Sendable {
    /// Least share of a pair's labels that agree with its majority.
    public var minAgreement: Double
    /// Write ties and "both bad" too (with an `outcome` column on every line).
    public var keepTies: Bool
    /// Options; by default every pair with a majority for A or B.
    public init(minAgreement: Double = 0, keepTies: Bool = false) { self.minAgreement = minAgreement; self.keepTies = keepTies }
}

/// What `export` wrote and left out.
public struct ExportSummary: Sendable, Equatable {
    /// Lines written.
    public var written = 0
    /// Pairs with at least one live label other than skip.
    public var labelledPairs = 0
    /// Left out as ties or "both bad".
    public var ties = 0
    /// Left out for want of a single majority.
    public var noMajority = 0
    /// Left out for agreement under the minimum.
    public var lowAgreement = 0
    /// Left out because a response is empty (the trainers reject an empty answer).
    public var empty = 0

    /// One line for the user.
    public var line: String {
        var s = "wrote \(written) preference pairs of \(labelledPairs) labelled pairs"
        var out: [String] = []
        if ties > 0 { out.append("\(ties) ties or both bad") }
        if noMajority > 0 { out.append("\(noMajority) without a majority") }
        if lowAgreement > 0 { out.append("\(lowAgreement) under the agreement minimum") }
        if empty > 0 { out.append("\(empty) with an empty response") }
        if !out.isEmpty { s += "; left out: " + out.joined(separator: ", ") }
        return s
    }
}

extension LabelDatabase {
    /// Writes the preference pairs to `path` (see the file's description).
    public func exportPreferences(to path: String, options: ExportOptions = ExportOptions()) throws -> ExportSummary {
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.id, q.prompt_json, p.response_a, p.response_b, l.outcome
                    FROM label l JOIN pair p ON p.id = l.pair_id JOIN prompt q ON q.id = p.prompt_id
                    WHERE l.undone_at IS NULL AND l.outcome != 'skip' ORDER BY q.line, l.id
                    """)
        }
        var summary = ExportSummary()
        var order: [Int64] = [], votes: [Int64: [String]] = [:], content: [Int64: (String, String, String)] = [:]
        for r in rows {
            let id: Int64 = r["id"]
            if votes[id] == nil { order.append(id); content[id] = (r["prompt_json"], r["response_a"], r["response_b"]) }
            votes[id, default: []].append(r["outcome"])
        }
        summary.labelledPairs = order.count
        var lines: [String] = []
        for id in order {
            guard let vs = votes[id], let (promptJSON, a, b) = content[id] else { continue }
            let counts = Dictionary(grouping: vs, by: { $0 }).mapValues(\.count)
            let top = counts.values.max() ?? 0
            let leaders = counts.filter { $0.value == top }.map(\.key)
            guard leaders.count == 1, let outcome = leaders.first else { summary.noMajority += 1; continue }
            let agreement = Double(top) / Double(vs.count)
            if agreement < options.minAgreement { summary.lowAgreement += 1; continue }
            let decisive = outcome == "a" || outcome == "b"
            if !decisive && !options.keepTies { summary.ties += 1; continue }
            if isBlank(a) || isBlank(b) { summary.empty += 1; continue }
            let (chosen, rejected) = outcome == "b" ? (b, a) : (a, b)
            let conversational = promptJSON.hasPrefix("[")
            func answer(_ s: String) -> String {
                conversational ? "[{\"role\": \"assistant\", \"content\": \(jsonQuoted(s))}]" : jsonQuoted(s)
            }
            var line = "{\"prompt\": \(promptJSON), \"chosen\": \(answer(chosen)), \"rejected\": \(answer(rejected))"
            if options.keepTies { line += ", \"outcome\": \(jsonQuoted(decisive ? "preferred" : outcome))" }
            line += ", \"votes\": \(vs.count), \"agreement\": \(String(format: "%.4g", agreement))}"
            lines.append(line)
        }
        summary.written = lines.count
        let text = lines.map { $0 + "\n" }.joined()
        try AtomicFileWriter.write(to: path) { w in try w.write(Array(text.utf8)) }
        return summary
    }
}

/// Whether a response is empty or only whitespace (the page shows it as "(empty response)").
func isBlank(_ s: String) -> Bool { s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
