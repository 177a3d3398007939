// Supervised fine-tuning examples from JSON Lines, in TRL's formats, tokenized with a loss mask:
//
//   language modelling     {"text": "..."}                         loss on every token
//                          {"messages": [{"role","content"}...]}   loss on every token, or on the
//                                                                   assistant turns only (`assistantOnlyLoss`)
//   prompt-completion      {"prompt": "...", "completion": "..."}  loss on the completion only (default)
//                          {"prompt": [messages], "completion": [messages]}  (rendered with the chat template)
//
// As TRL does: the prompt and the completion are tokenized separately and concatenated, EOS is appended
// when the text does not already end with it, and examples longer than `maxLength` keep their start.

import Foundation
import RLHFFormats
import RLHFTokenizers

/// One tokenized example: ids and, per id, whether it carries loss.
public struct SFTExample: Sendable, Equatable {
    /// Policy token ids, context and targets in order, with EOS appended when the tokenizer has one
    /// (a truncated example keeps only its first `maxLength`).
    public var ids: [Int]
    /// 1 where the token is a training target, 0 where it is context (prompt, user turns).
    public var lossMask: [Int]
    /// 1-based line in the source file.
    public var line: Int
}

/// The tokenized examples of a file and what happened to the others.
public struct SFTDataset: Sendable {
    /// The usable examples, in file order (at most `maxLength` tokens each).
    public var examples: [SFTExample]
    /// Examples cut to `maxLength`.
    public var truncated: Int
    /// Bad lines passed over under `skipBadLines`, with their errors.
    public var skipped: [DataError]

    /// Reads and tokenizes a JSONL file.
    ///
    /// - Parameters:
    ///   - completionOnlyLoss: prompt-completion data trains on the completion only (TRL's default).
    ///   - assistantOnlyLoss: `messages` data trains on assistant turns only.
    ///   - skipBadLines: report and skip bad lines instead of failing.
    public init(
        path: String, tokenizer: Tokenizer, maxLength: Int, completionOnlyLoss: Bool = true,
        assistantOnlyLoss: Bool = false, skipBadLines: Bool = false
    ) throws {
        var skipped: [DataError] = []
        var examples: [SFTExample] = [], truncated = 0
        try forEachJSONRecord(path: path, skipBadLines: skipBadLines, skipped: &skipped) { v, line in
            var e = try SFTDataset.example(
                v, line: line, path: path, tokenizer: tokenizer,
                completionOnly: completionOnlyLoss, assistantOnly: assistantOnlyLoss)
            if e.ids.count > maxLength {
                e.ids = Array(e.ids.prefix(maxLength)); e.lossMask = Array(e.lossMask.prefix(maxLength))
                truncated += 1
            }
            examples.append(e)
        }
        self.examples = examples
        self.skipped = skipped
        self.truncated = truncated
        if examples.isEmpty {
            throw DataError.empty(
                path: path, reason: skipped.isEmpty ? "no examples (the file is empty)" : "no usable examples (\(skipped.count) bad lines skipped)")
        }
    }

    /// Tokens of `text` (no special tokens added) with EOS appended when missing.
    static func withEOS(_ ids: [Int], _ tokenizer: Tokenizer) -> [Int] {
        guard let eos = tokenizer.eosTokenId, ids.last != eos else { return ids }
        return ids + [eos]
    }

    static func example(
        _ v: JSONValue, line: Int, path: String, tokenizer: Tokenizer,
        completionOnly: Bool, assistantOnly: Bool
    ) throws -> SFTExample {
        func bad(_ field: String, _ reason: String) -> DataError { .badLine(path: path, line: line, field: field, reason: reason) }
        guard v.objectEntries != nil else { throw bad("", "expected a JSON object, found \(v.kindDescription)") }
        func template() throws -> ChatTemplate {
            guard let t = tokenizer.chatTemplate else { throw bad("", "conversational data needs a model with a chat template") }
            return t
        }
        func render(_ m: [ChatMessage], generationPrompt: Bool, _ field: String) throws -> String {
            do { return try template().render(m, addGenerationPrompt: generationPrompt) } catch let e as DataError { throw e } catch {
                throw bad(field, "the chat template failed: \(error)")
            }
        }
        func encode(_ s: String) -> [Int] { tokenizer.encode(s, addSpecialTokens: false) }
        if let t = v["text"] {
            guard let s = t.stringValue else { throw bad("text", "expected a string, found \(t.kindDescription)") }
            let ids = withEOS(tokenizer.encode(s), tokenizer)
            return SFTExample(ids: ids, lossMask: Array(repeating: 1, count: ids.count), line: line)
        }
        if let m = v["messages"] {
            let messages = try chatMessages(m, "messages", bad)
            guard !messages.isEmpty else { throw bad("messages", "is empty") }
            if !assistantOnly {
                let ids = withEOS(encode(try render(messages, generationPrompt: false, "messages")), tokenizer)
                return SFTExample(ids: ids, lossMask: Array(repeating: 1, count: ids.count), line: line)
            }
            // assistant turns only: grow the conversation turn by turn; what an assistant turn adds is a target
            var ids: [Int] = [], mask: [Int] = []
            var rendered = ""
            for i in messages.indices {
                let full = try render(Array(messages[...i]), generationPrompt: false, "messages")
                guard full.hasPrefix(rendered) else { throw bad("messages", "the chat template does not render turns as a growing prefix") }
                var added = String(full.dropFirst(rendered.count))
                if messages[i].role == "assistant" {
                    let head = try render(Array(messages[..<i]), generationPrompt: true, "messages")
                    if i > 0, head.hasPrefix(rendered), full.hasPrefix(head) {   // the generation prompt is context
                        let context = encode(String(head.dropFirst(rendered.count)))
                        ids += context; mask += Array(repeating: 0, count: context.count)
                        added = String(full.dropFirst(head.count))
                    }
                    let target = encode(added)
                    ids += target; mask += Array(repeating: 1, count: target.count)
                } else {
                    let context = encode(added)
                    ids += context; mask += Array(repeating: 0, count: context.count)
                }
                rendered = full
            }
            if let eos = tokenizer.eosTokenId, ids.last != eos { ids.append(eos); mask.append(1) }
            return SFTExample(ids: ids, lossMask: mask, line: line)
        }
        guard let p = v["prompt"] else { throw bad("text", "missing (SFT lines need text, messages, or prompt and completion)") }
        guard let c = v["completion"] else { throw bad("completion", "missing") }
        var promptIds: [Int], completionIds: [Int]
        switch (p, c) {
        case (.string(let ps), .string(let cs)):
            promptIds = tokenizer.encode(ps)
            completionIds = encode(cs)
        case (.array, .array):
            let pm = try chatMessages(p, "prompt", bad), cm = try chatMessages(c, "completion", bad)
            let head = try render(pm, generationPrompt: true, "prompt")
            let full = try render(pm + cm, generationPrompt: false, "completion")
            guard full.hasPrefix(head) else { throw bad("completion", "the chat template does not render the prompt as a prefix") }
            promptIds = encode(head)
            completionIds = encode(String(full.dropFirst(head.count)))
        case (.string, _):
            throw bad("completion", "expected a string like 'prompt', found \(c.kindDescription)")
        case (.array, _):
            throw bad("completion", "expected a list of messages like 'prompt', found \(c.kindDescription)")
        default:
            throw bad("prompt", "expected a string or a list of messages, found \(p.kindDescription)")
        }
        completionIds = withEOS(completionIds, tokenizer)
        let ids = promptIds + completionIds
        let mask = Array(repeating: completionOnly ? 0 : 1, count: promptIds.count) + Array(repeating: 1, count: completionIds.count)
        return SFTExample(ids: ids, lossMask: mask, line: line)
    }

    static func chatMessages(_ v: JSONValue, _ key: String, _ bad: (String, String) -> DataError) throws -> [ChatMessage] {
        guard let list = v.arrayValue else { throw bad(key, "expected a list of messages, found \(v.kindDescription)") }
        return try list.enumerated().map { i, m in
            guard m.objectEntries != nil else { throw bad("\(key)[\(i)]", "expected a {\"role\", \"content\"} object, found \(m.kindDescription)") }
            guard let role = m["role"]?.stringValue else { throw bad("\(key)[\(i)].role", "missing or not a string") }
            guard let content = m["content"]?.stringValue else { throw bad("\(key)[\(i)].content", "missing or not a string") }
            return ChatMessage(role: role, content: content)
        }
    }

    /// Packs examples end to end into rows of exactly `length` tokens (the last may be shorter), as TRL's
    /// "wrapped" packing: attention crosses example boundaries, the loss masks travel with the tokens.
    public static func packed(_ examples: [SFTExample], length: Int) -> [SFTExample] {
        var ids: [Int] = [], mask: [Int] = []
        for e in examples { ids += e.ids; mask += e.lossMask }
        return stride(from: 0, to: ids.count, by: length).map { s in
            let e = min(ids.count, s + length)
            return SFTExample(ids: Array(ids[s..<e]), lossMask: Array(mask[s..<e]), line: 0)
        }
    }
}
