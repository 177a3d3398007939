// Preference pairs tokenized for DPO, as TRL 1.16's DPOTrainer prepares them (`_prepare_dataset` and
// `DataCollatorForPreference`):
//
//   explicit prompt    {"prompt": "...", "chosen": "...", "rejected": "..."}
//   implicit prompt    {"chosen": "...", "rejected": "..."}: the prompt is the longest common prefix of the
//                      two texts (in Unicode scalars; a space just before the split goes to the completions),
//                      TRL's `extract_prompt`
//   conversational     {"prompt": [messages]?, "chosen": [messages], "rejected": [messages]}: without a
//                      prompt, the leading messages the two share are the prompt
//
// Standard (text) pairs get the EOS text appended to each completion that lacks it; then the prompt,
// prompt + chosen and prompt + rejected are tokenized (special tokens as the tokenizer adds them; chat
// renderings without, since the template writes them), and the completion starts where the tokenized
// prompt and prompt + completion first differ. The prompt's tokens carry no loss.
//
// Length: `max_prompt_length` (optional, TRL ≤ 0.19) keeps the prompt's last tokens; a pair whose prompt
// fills `max_length` is dropped (as TRL does: with keep_start nothing of its completions would remain);
// each sequence longer than `max_length` keeps its start (`keep_start`, TRL's default) or its end
// (`keep_end`). Pairs whose chosen and rejected completions are the same tokens are dropped too (their
// loss has no gradient); both drops are reported with their lines.

import Foundation
import RLHFFormats
import RLHFTokenizers

/// How a sequence longer than `max_length` is cut (TRL's `truncation_mode`).
public enum TruncationMode: String, CaseIterable, Codable, Sendable {
    /// Keep the first `max_length` tokens (TRL's default).
    case keepStart = "keep_start"
    /// Keep the last `max_length` tokens (deprecated in TRL 1.16, kept for older configs).
    case keepEnd = "keep_end"
}

/// One side of a pair: prompt and completion tokens in one row.
public struct DPOSequence: Sendable, Equatable {
    /// Prompt then completion token ids, at most `max_length`.
    public var ids: [Int]
    /// Index in `ids` of the first completion token (0 when keep_end cut the whole prompt away).
    public var completionStart: Int

    /// The completion's token count in this row.
    public var completionLength: Int { ids.count - completionStart }

    /// A row of `ids` whose completion starts at `completionStart`.
    public init(ids: [Int], completionStart: Int) {
        self.ids = ids; self.completionStart = completionStart
    }
}

/// A tokenized preference pair.
public struct DPOExample: Sendable, Equatable {
    /// Prompt + chosen completion.
    public var chosen: DPOSequence
    /// Prompt + rejected completion.
    public var rejected: DPOSequence
    /// 1-based line in the source file.
    public var line: Int

    /// A pair from its two rows; `line` is 0 when it comes from no file.
    public init(chosen: DPOSequence, rejected: DPOSequence, line: Int = 0) {
        self.chosen = chosen; self.rejected = rejected; self.line = line
    }
}

/// Length limits of DPO data (TRL's names).
public struct DPOLengths: Sendable, Equatable {
    /// Longest prompt + completion row in tokens (nil: no limit).
    public var maxLength: Int?
    /// Longest prompt in tokens, keeping its end (nil: no limit).
    public var maxPromptLength: Int?
    /// How rows longer than `maxLength` are cut.
    public var truncationMode: TruncationMode

    /// Limits as named.
    public init(maxLength: Int?, maxPromptLength: Int? = nil, truncationMode: TruncationMode = .keepStart) {
        self.maxLength = maxLength; self.maxPromptLength = maxPromptLength; self.truncationMode = truncationMode
    }
}

/// The tokenized pairs of a preference file and what was left out.
public struct DPODataset: Sendable {
    /// The file the pairs were read from.
    public let path: String
    /// The usable pairs, in file order.
    public var examples: [DPOExample]
    /// Lines dropped because the prompt alone fills `max_length`.
    public var promptTooLong: [Int]
    /// Lines dropped because chosen and rejected tokenize the same.
    public var identical: [Int]
    /// Rows (a pair has two) cut to `max_length`.
    public var truncatedRows: Int
    /// Bad lines passed over under `skipBadLines`, with their errors.
    public var skipped: [DataError]

    /// Reads and tokenizes a JSONL preference file for DPO.
    ///
    /// - Throws: `DataError.badLine` (file, line, field: not JSON, a missing or empty field, a conversational
    ///   line without a chat template), `.empty` when no pair is usable, or `FormatError.io`.
    public init(path: String, tokenizer: Tokenizer, lengths: DPOLengths, skipBadLines: Bool = false) throws {
        self.path = path
        var examples: [DPOExample] = [], skipped: [DataError] = [], long: [Int] = [], same: [Int] = [], truncated = 0
        try forEachJSONRecord(path: path, skipBadLines: skipBadLines, skipped: &skipped) { v, line in
            guard let tokens = try DPODataset.tokenize(v, line: line, path: path, tokenizer: tokenizer) else {
                same.append(line); return
            }
            let (prompt, chosen, rejected) = tokens
            var p = prompt
            if let m = lengths.maxPromptLength, p.count > m { p = Array(p.suffix(m)) }
            if chosen == rejected { same.append(line); return }
            if let m = lengths.maxLength, lengths.truncationMode == .keepStart, p.count >= m { long.append(line); return }
            func row(_ completion: [Int]) -> DPOSequence {
                var s = DPOSequence(ids: p + completion, completionStart: p.count)
                if let m = lengths.maxLength, s.ids.count > m {
                    truncated += 1
                    if lengths.truncationMode == .keepStart {
                        s.ids = Array(s.ids.prefix(m))
                    } else {
                        s.completionStart = max(0, s.completionStart - (s.ids.count - m)); s.ids = Array(s.ids.suffix(m))
                    }
                }
                return s
            }
            examples.append(DPOExample(chosen: row(chosen), rejected: row(rejected), line: line))
        }
        self.examples = examples
        self.skipped = skipped
        promptTooLong = long
        identical = same
        truncatedRows = truncated
        if examples.isEmpty {
            var why: [String] = []
            if !long.isEmpty { why.append("\(long.count) prompts fill max_length \(lengths.maxLength ?? 0)") }
            if !same.isEmpty { why.append("\(same.count) pairs have chosen equal to rejected") }
            if !skipped.isEmpty { why.append("\(skipped.count) bad lines skipped") }
            throw DataError.empty(
                path: path, reason: "no usable preference pairs" + (why.isEmpty ? " (the file is empty)" : " (\(why.joined(separator: "; ")))"))
        }
    }

    /// One line's prompt, chosen and rejected completion tokens (the completions after the shared prefix);
    /// nil when chosen and rejected are the same text or messages.
    static func tokenize(_ v: JSONValue, line: Int, path: String, tokenizer: Tokenizer) throws -> (prompt: [Int], chosen: [Int], rejected: [Int])? {
        func bad(_ field: String, _ reason: String) -> DataError { .badLine(path: path, line: line, field: field, reason: reason) }
        guard v.objectEntries != nil else { throw bad("", "expected a JSON object, found \(v.kindDescription)") }
        guard let chosen = v["chosen"] else { throw bad("chosen", "missing (DPO lines need chosen and rejected, and may have prompt)") }
        guard let rejected = v["rejected"] else { throw bad("rejected", "missing") }
        let full: [Int], withChosen: [Int], withRejected: [Int]
        switch (chosen, rejected) {
        case (.string(var c), .string(var r)):
            if c == r { return nil }
            var prompt: String
            if let p = v["prompt"] {
                guard case .string(let s) = p else { throw bad("prompt", "expected a string like 'chosen', found \(p.kindDescription)") }
                prompt = s
            } else {
                (prompt, c, r) = extractPrompt(c, r)
            }
            if c.isEmpty { throw bad("chosen", v["prompt"] == nil ? "has nothing after the prompt it shares with 'rejected'" : "is empty") }
            if r.isEmpty { throw bad("rejected", v["prompt"] == nil ? "has nothing after the prompt it shares with 'chosen'" : "is empty") }
            if let eos = tokenizer.eosToken {
                if !c.hasSuffix(eos) { c += eos }
                if !r.hasSuffix(eos) { r += eos }
            }
            full = tokenizer.encode(prompt)
            withChosen = tokenizer.encode(prompt + c)
            withRejected = tokenizer.encode(prompt + r)
        case (.array, .array):
            guard let template = tokenizer.chatTemplate else { throw bad("chosen", "conversational data needs a model with a chat template") }
            var c = try SFTDataset.chatMessages(chosen, "chosen", bad), r = try SFTDataset.chatMessages(rejected, "rejected", bad)
            if c == r { return nil }
            var prompt: [ChatMessage]
            if let p = v["prompt"] {
                prompt = try SFTDataset.chatMessages(p, "prompt", bad)
            } else {
                let shared = zip(c, r).prefix { $0 == $1 }.count
                prompt = Array(c.prefix(shared)); c.removeFirst(shared); r.removeFirst(shared)
            }
            if c.isEmpty { throw bad("chosen", "has no message after the prompt") }
            if r.isEmpty { throw bad("rejected", "has no message after the prompt") }
            func render(_ m: [ChatMessage], _ generation: Bool, _ field: String) throws -> [Int] {
                do { return tokenizer.encode(try template.render(m, addGenerationPrompt: generation), addSpecialTokens: false) } catch {
                    throw bad(field, "the chat template failed: \(error)")
                }
            }
            full = try render(prompt, true, "prompt")
            withChosen = try render(prompt + c, false, "chosen")
            withRejected = try render(prompt + r, false, "rejected")
        case (.string, _):
            throw bad("rejected", "expected a string like 'chosen', found \(rejected.kindDescription)")
        case (.array, _):
            throw bad("rejected", "expected a list of messages like 'chosen', found \(rejected.kindDescription)")
        default:
            throw bad("chosen", "expected a string or a list of messages, found \(chosen.kindDescription)")
        }
        // the completion starts where the prompt's tokens and prompt + completion's first differ
        let start = min(commonPrefixLength(full, withChosen), commonPrefixLength(full, withRejected))
        return (Array(full.prefix(start)), Array(withChosen.dropFirst(start)), Array(withRejected.dropFirst(start)))
    }

    /// TRL's `extract_prompt` on texts: the longest common prefix of `chosen` and `rejected` (in Unicode
    /// scalars, as Python indexes strings), less a space just before the split, which stays with the completions.
    public static func extractPrompt(_ chosen: String, _ rejected: String) -> (prompt: String, chosen: String, rejected: String) {
        let c = Array(chosen.unicodeScalars), r = Array(rejected.unicodeScalars)
        var i = 0
        while i < min(c.count, r.count), c[i] == r[i] { i += 1 }
        if i < min(c.count, r.count), i > 0, c[i - 1] == " " { i -= 1 }
        func text(_ s: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(s)) }
        return (text(c[..<i]), text(c[i...]), text(r[i...]))
    }
}

/// The number of leading tokens `a` and `b` share.
func commonPrefixLength(_ a: [Int], _ b: [Int]) -> Int {
    zip(a, b).prefix { $0 == $1 }.count
}
