// Preference pairs from JSON Lines, in TRL's formats:
//
//   explicit prompt   {"prompt": "...", "chosen": "...", "rejected": "..."}
//   implicit prompt   {"chosen": "...", "rejected": "..."}
//   conversational    {"prompt": [{"role","content"}...]?, "chosen": [{"role","content"}...], "rejected": [...]}
//                     (rendered with the model's chat template: prompt messages + answer messages)
//   labelled pair     {"text_a": "...", "text_b": "...", "label": 1 | 0 | true | false}   (1: A is better)
//
// Every format takes an optional numeric "margin". A bad line is an error naming the file, the line and
// the field, or, with `skipBadLines`, a reported skip.

import Foundation
import RLHFFormats
import RLHFTokenizers

/// One preference: the chosen and the rejected answer (with their shared prompt, when explicit).
public struct PreferencePair: Sendable, Equatable {
    /// The explicit prompt, or nil when each side is a whole text.
    public var prompt: String?
    /// The preferred answer; a whole text (prompt included) when `prompt` is nil.
    public var chosen: String
    /// The dispreferred answer; a whole text (prompt included) when `prompt` is nil.
    public var rejected: String
    /// Subtracted from r_c − r_r in the loss (TRL's `margin` column); 0 when absent.
    public var margin: Float
    /// 1-based line in the source file.
    public var line: Int

    /// A pair from its parts; `line` is 0 when the pair comes from no file.
    public init(prompt: String?, chosen: String, rejected: String, margin: Float = 0, line: Int = 0) {
        self.prompt = prompt; self.chosen = chosen; self.rejected = rejected; self.margin = margin; self.line = line
    }
}

/// The pairs of a preference file and the lines skipped.
public struct PreferenceDataset: Sendable {
    /// The file the pairs were read from.
    public let path: String
    /// The usable pairs, in file order.
    public var pairs: [PreferencePair]
    /// Bad lines passed over under `skipBadLines`, with their errors.
    public var skipped: [DataError]

    /// Reads a JSONL preference file.
    ///
    /// - Parameters:
    ///   - chatTemplate: renders conversational lines; without one they are errors.
    ///   - skipBadLines: report and skip bad lines instead of failing on the first.
    /// - Throws: `DataError.badLine` (file, line, field), `.empty`, or `FormatError.io`.
    public init(path: String, chatTemplate: ChatTemplate? = nil, skipBadLines: Bool = false) throws {
        self.path = path
        var pairs: [PreferencePair] = [], skipped: [DataError] = []
        try forEachJSONRecord(path: path, skipBadLines: skipBadLines, skipped: &skipped) { v, line in
            pairs.append(try PreferenceDataset.pair(v, line: line, path: path, chatTemplate: chatTemplate))
        }
        self.pairs = pairs
        self.skipped = skipped
        if pairs.isEmpty {
            throw DataError.empty(
                path: path,
                reason: skipped.isEmpty
                    ? "no preference pairs (the file is empty)"
                    : "no usable preference pairs (\(skipped.count) bad lines skipped)")
        }
    }

    /// The pair on one parsed line.
    static func pair(_ v: JSONValue, line: Int, path: String, chatTemplate: ChatTemplate?) throws -> PreferencePair {
        func bad(_ field: String, _ reason: String) -> DataError { .badLine(path: path, line: line, field: field, reason: reason) }
        guard v.objectEntries != nil else { throw bad("", "expected a JSON object, found \(v.kindDescription)") }
        var margin: Float = 0
        if let m = v["margin"] {
            guard let d = m.doubleValue, d.isFinite else { throw bad("margin", "expected a finite number, found \(m.kindDescription)") }
            margin = Float(d)
        }
        if v["text_a"] != nil || v["text_b"] != nil || v["label"] != nil {
            let a = try string(v, "text_a", bad), b = try string(v, "text_b", bad)
            guard let label = v["label"] else { throw bad("label", "missing (1 or true when text_a is better, 0 or false when text_b is)") }
            let aBetter: Bool
            switch label {
            case .bool(let x): aBetter = x
            case .number(let t) where t == "1" || t == "0" || t == "1.0" || t == "0.0": aBetter = t.hasPrefix("1")
            default: throw bad("label", "expected 1, 0, true or false, found \(label.kindDescription) \(describe(label))")
            }
            return PreferencePair(prompt: nil, chosen: aBetter ? a : b, rejected: aBetter ? b : a, margin: margin, line: line)
        }
        guard let chosen = v["chosen"] else {
            throw bad("chosen", "missing (preference lines need chosen and rejected, or text_a, text_b and label)")
        }
        guard let rejected = v["rejected"] else { throw bad("rejected", "missing") }
        if case .string(let c) = chosen {
            guard case .string(let r) = rejected else { throw bad("rejected", "expected a string like 'chosen', found \(rejected.kindDescription)") }
            var prompt: String? = nil
            if let p = v["prompt"] {
                guard case .string(let s) = p else { throw bad("prompt", "expected a string like 'chosen', found \(p.kindDescription)") }
                prompt = s
            }
            if c.isEmpty { throw bad("chosen", "is empty") }
            if r.isEmpty { throw bad("rejected", "is empty") }
            return PreferencePair(prompt: prompt, chosen: c, rejected: r, margin: margin, line: line)
        }
        guard case .array = chosen else { throw bad("chosen", "expected a string or a list of messages, found \(chosen.kindDescription)") }
        guard let template = chatTemplate else {
            throw bad("chosen", "conversational data needs a model with a chat template")
        }
        let promptMessages = try v["prompt"].map { try messages($0, "prompt", bad) } ?? []
        let chosenMessages = try messages(chosen, "chosen", bad), rejectedMessages = try messages(rejected, "rejected", bad)
        func render(_ m: [ChatMessage], _ field: String) throws -> String {
            do { return try template.render(promptMessages + m, addGenerationPrompt: false) } catch {
                throw bad(field, "the chat template failed: \(error)")
            }
        }
        return PreferencePair(
            prompt: nil, chosen: try render(chosenMessages, "chosen"),
            rejected: try render(rejectedMessages, "rejected"), margin: margin, line: line)
    }

    private static func string(_ v: JSONValue, _ key: String, _ bad: (String, String) -> DataError) throws -> String {
        guard let x = v[key] else { throw bad(key, "missing") }
        guard case .string(let s) = x else { throw bad(key, "expected a string, found \(x.kindDescription)") }
        return s
    }

    private static func messages(_ v: JSONValue, _ key: String, _ bad: (String, String) -> DataError) throws -> [ChatMessage] {
        try SFTDataset.chatMessages(v, key, bad)
    }

    private static func describe(_ v: JSONValue) -> String {
        switch v {
        case .number(let t): return t
        case .string(let s): return "'\(s)'"
        default: return ""
        }
    }
}
