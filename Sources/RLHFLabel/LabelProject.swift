// The project row and the prompts of a labelling database: what `rlhf label init` stores before it
// generates, so that a second `init` on the same database resumes (or refuses other settings).

import Crypto
import Foundation
import GRDB
import RLHFFormats

/// Where a project's responses come from.
public struct LabelProjectSettings: Sendable, Equatable {
    /// The JSONL prompt file (TRL's prompt-only formats).
    public var promptsFile: String
    /// Model A (an HF folder or .gguf); with no model B, both responses are its samples.
    public var modelA: String
    /// A PEFT adapter applied on model A.
    public var adapterA: String?
    /// Model B (its response is response B), or nil.
    public var modelB: String?
    /// A PEFT adapter applied on model B.
    public var adapterB: String?
    /// Sampling temperature (> 0).
    public var temperature: Double = 0.7
    /// Most new tokens per response.
    public var maxNewTokens: Int = 64
    /// Seed of the sampling: a prompt's draws depend only on it and the prompt's line.
    public var seed: Int = 42

    /// Settings from their parts.
    public init(
        promptsFile: String, modelA: String, adapterA: String? = nil, modelB: String? = nil, adapterB: String? = nil,
        temperature: Double = 0.7, maxNewTokens: Int = 64, seed: Int = 42
    ) {
        self.promptsFile = promptsFile; self.modelA = modelA; self.adapterA = adapterA; self.modelB = modelB
        self.adapterB = adapterB; self.temperature = temperature; self.maxNewTokens = maxNewTokens; self.seed = seed
    }

    /// Whether the pairs compare two models (A vs B) rather than two samples of one.
    public var comparesModels: Bool { modelB != nil }
}

/// One prompt as stored.
public struct StoredPrompt: Sendable, Equatable {
    /// Row id.
    public var id: Int64
    /// 1-based line in the prompt file.
    public var line: Int
    /// The `prompt` value of the line, as JSON text (a string or a list of messages).
    public var promptJSON: String
    /// What the rater reads (the prompt, or the conversation's messages as "role: content" lines).
    public var text: String
}

extension LabelDatabase {
    /// The project's settings, or nil before `init`.
    public func settings() throws -> LabelProjectSettings? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM project WHERE id = 1").map { r in
                LabelProjectSettings(
                    promptsFile: r["prompts_file"], modelA: r["model_a"], adapterA: r["adapter_a"], modelB: r["model_b"],
                    adapterB: r["adapter_b"], temperature: r["temperature"], maxNewTokens: r["max_new_tokens"], seed: r["seed"])
            }
        }
    }

    /// The project's settings.
    ///
    /// - Throws: `LabelError.noProject` before `init`.
    public func requireSettings() throws -> LabelProjectSettings {
        guard let s = try settings() else { throw LabelError.noProject(path: path) }
        return s
    }

    /// Stores the project and its prompts, or checks that `settings` and the prompt file's content are those
    /// the database was made with (a resumed `init`).
    ///
    /// - Throws: `LabelError.settingsDiffer` naming the first setting that differs; `.badPrompt` for a line
    ///   whose `prompt` is missing or not a string or a list of messages.
    public func createProject(_ settings: LabelProjectSettings) throws {
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: settings.promptsFile)) } catch {
            throw LabelError.badArgument(name: settings.promptsFile, reason: "cannot read the prompt file (\(error.localizedDescription))")
        }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        if let stored = try self.settings() {
            let storedDigest = try read { db in try String.fetchOne(db, sql: "SELECT prompts_sha256 FROM project") ?? "" }
            let checks: [(String, String, String)] = [
                ("prompts (SHA-256 of the file)", storedDigest, digest),
                ("--model", stored.modelA, settings.modelA), ("--adapter", stored.adapterA ?? "none", settings.adapterA ?? "none"),
                ("--model-b", stored.modelB ?? "none", settings.modelB ?? "none"),
                ("--adapter-b", stored.adapterB ?? "none", settings.adapterB ?? "none"),
                ("--temperature", "\(stored.temperature)", "\(settings.temperature)"),
                ("--max-new-tokens", "\(stored.maxNewTokens)", "\(settings.maxNewTokens)"), ("--seed", "\(stored.seed)", "\(settings.seed)")
            ]
            for (key, a, b) in checks where a != b { throw LabelError.settingsDiffer(path: path, key: key, stored: a, given: b) }
            return
        }
        let prompts = try readLabelPrompts(path: settings.promptsFile)
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO project (id, prompts_file, prompts_sha256, model_a, adapter_a, model_b, adapter_b, temperature,
                        max_new_tokens, seed, created_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    settings.promptsFile, digest, settings.modelA, settings.adapterA, settings.modelB, settings.adapterB,
                    settings.temperature, settings.maxNewTokens, settings.seed, now()
                ])
            for p in prompts {
                try db.execute(
                    sql: "INSERT INTO prompt (line, prompt_json, text) VALUES (?, ?, ?)", arguments: [p.line, p.promptJSON, p.text])
            }
        }
    }

    /// The stored prompts that have no pair yet, in file order.
    public func promptsWithoutPair() throws -> [StoredPrompt] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM prompt WHERE id NOT IN (SELECT prompt_id FROM pair) ORDER BY line"
            ).map { StoredPrompt(id: $0["id"], line: $0["line"], promptJSON: $0["prompt_json"], text: $0["text"]) }
        }
    }

    /// Counts of prompts and of pairs.
    public func counts() throws -> (prompts: Int, pairs: Int) {
        try read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM prompt") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pair") ?? 0)
        }
    }
}

/// The prompts of a JSONL file in TRL's prompt-only formats (`{"prompt": "..."}` or `{"prompt": [{"role",
/// "content"}, ...]}`), each with its line, its `prompt` value as JSON text and the text a rater reads.
///
/// - Throws: `LabelError.badPrompt` naming the file and line.
public func readLabelPrompts(path: String) throws -> [StoredPrompt] {
    var out: [StoredPrompt] = []
    let records: [JSONLinesRecord]
    do { records = try readJSONLines(path: path) } catch {
        throw LabelError.badArgument(name: path, reason: "cannot read the prompt file (\(error))")
    }
    for record in records {
        let value: JSONValue
        switch record.value {
        case .failure(let e): throw LabelError.badPrompt(path: path, line: record.line, reason: "not JSON (\(e))")
        case .success(let v): value = v
        }
        guard value.objectEntries != nil, let prompt = value["prompt"] else {
            throw LabelError.badPrompt(path: path, line: record.line, reason: "expected an object with a \"prompt\" field")
        }
        var text: String
        if let s = prompt.stringValue {
            text = s
        } else if let messages = prompt.arrayValue, !messages.isEmpty,
            case let turns = messages.compactMap({ m -> String? in
                guard let role = m["role"]?.stringValue, let content = m["content"]?.stringValue else { return nil }
                return "\(role): \(content)"
            }), turns.count == messages.count
        {
            text = turns.joined(separator: "\n")
        } else {
            throw LabelError.badPrompt(
                path: path, line: record.line, reason: "\"prompt\" must be a string or a non-empty list of {\"role\", \"content\"} messages")
        }
        if text.isEmpty { text = "(empty prompt)" }
        out.append(StoredPrompt(id: 0, line: record.line, promptJSON: prompt.jsonText, text: text))
    }
    if out.isEmpty { throw LabelError.badPrompt(path: path, line: 0, reason: "no prompts (the file is empty)") }
    return out
}
