// Prompts for PPO rollouts from JSON Lines, in TRL's prompt-only formats:
//
//   {"prompt": "..."}                          tokenized as the SFT stage tokenizes a standard prompt
//   {"prompt": [{"role", "content"}, ...]}     rendered with the chat template and its generation prompt
//
// Each prompt keeps its text for the reward model, which may have a tokenizer of its own (the last user
// message for conversational prompts), and the line's other columns (an `answer` for a verifiable reward, a
// `family`), as text, for the reward functions, as TRL passes a row's extra columns to them. Prompts longer
// than `maxLength` tokens are dropped and counted.

import RLHFFormats
import RLHFTokenizers

/// One rollout prompt.
public struct PPOPrompt: Sendable, Equatable {
    /// Policy token ids.
    public var ids: [Int]
    /// The prompt as the reward model reads it.
    public var text: String
    /// 1-based line in the source file.
    public var line: Int
    /// The line's other columns whose values are strings, numbers or booleans, as text (`"answer": 42` is "42").
    public var columns: [String: String]

    /// A prompt from its parts.
    public init(ids: [Int], text: String, line: Int, columns: [String: String] = [:]) {
        self.ids = ids; self.text = text; self.line = line; self.columns = columns
    }
}

/// The prompts of a file and what happened to the others.
public struct PPOPromptSet: Sendable {
    /// The usable prompts, in file order.
    public var prompts: [PPOPrompt]
    /// Prompts longer than the limit, dropped.
    public var tooLong: Int
    /// Bad lines passed over under `skipBadLines`, with their errors.
    public var skipped: [DataError]

    /// Reads and tokenizes a JSONL file of prompts.
    ///
    /// - Throws: `DataError.badLine` naming the file, line and field (unless `skipBadLines`), `.empty`
    ///   when no prompt is usable.
    public init(path: String, tokenizer: Tokenizer, maxLength: Int, skipBadLines: Bool = false) throws {
        var skipped: [DataError] = []
        var tooLong = 0, prompts: [PPOPrompt] = []
        try forEachJSONRecord(path: path, skipBadLines: skipBadLines, skipped: &skipped) { value, line in
            let p = try Self.prompt(value, line: line, path: path, tokenizer: tokenizer)
            if p.ids.count > maxLength { tooLong += 1 } else { prompts.append(p) }
        }
        self.tooLong = tooLong
        self.prompts = prompts
        self.skipped = skipped
        if prompts.isEmpty {
            throw DataError.empty(
                path: path,
                reason: tooLong > 0
                    ? "every prompt is longer than \(maxLength) tokens"
                    : skipped.isEmpty ? "no prompts (the file is empty)" : "no usable prompts (\(skipped.count) bad lines skipped)")
        }
    }

    /// One line's prompt (`v` is the line's object), tokenized as the set tokenizes it.
    ///
    /// - Throws: `DataError.badLine` naming `path`, `line` and the field.
    public static func prompt(_ v: JSONValue, line: Int, path: String, tokenizer: Tokenizer) throws -> PPOPrompt {
        func bad(_ field: String, _ reason: String) -> DataError { .badLine(path: path, line: line, field: field, reason: reason) }
        guard v.objectEntries != nil else { throw bad("", "expected a JSON object, found \(v.kindDescription)") }
        guard let p = v["prompt"] else { throw bad("prompt", "missing (prompt lines need a prompt)") }
        var columns: [String: String] = [:]
        for entry in v.objectEntries ?? [] where entry.key != "prompt" {
            switch entry.value {
            case .string(let s): columns[entry.key] = s
            case .number(let text): columns[entry.key] = text
            case .bool(let b): columns[entry.key] = b ? "true" : "false"
            default: break
            }
        }
        if let text = p.stringValue {
            guard !text.isEmpty else { throw bad("prompt", "is empty") }
            let ids = tokenizer.encode(text)
            guard !ids.isEmpty else { throw bad("prompt", "encodes to no tokens") }
            return PPOPrompt(ids: ids, text: text, line: line, columns: columns)
        }
        guard p.arrayValue != nil else { throw bad("prompt", "expected a string or a list of messages, found \(p.kindDescription)") }
        let messages = try SFTDataset.chatMessages(p, "prompt", bad)
        guard let lastUser = messages.last(where: { $0.role == "user" }) else { throw bad("prompt", "has no user message") }
        guard let template = tokenizer.chatTemplate else { throw bad("prompt", "conversational prompts need a model with a chat template") }
        let rendered: String
        do { rendered = try template.render(messages, addGenerationPrompt: true) } catch {
            throw bad("prompt", "the chat template failed: \(error)")
        }
        let ids = tokenizer.encode(rendered, addSpecialTokens: false)
        guard !ids.isEmpty else { throw bad("prompt", "encodes to no tokens") }
        return PPOPrompt(ids: ids, text: lastUser.content, line: line, columns: columns)
    }
}
