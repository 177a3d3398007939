// `rlhf label init`'s generation: two responses per stored prompt, from two samples of model A or from
// model A and model B, committed batch by batch so that an interrupted run resumes where it stopped.
//
// A prompt's draws depend only on the seed and its line (each row samples from a generator of its own), so
// a resumed run, or a different batch size, gives the same pairs. With two models both sample with the same
// generator seed (common random numbers: the pair differs by the model, not by the luck of the draw). An
// empty response (EOS at once) is drawn again, up to four times, with seeds of its own.

import Foundation
import GRDB
import RLHFData
import RLHFFormats
import RLHFLogging
import RLHFModels
import RLHFTensor
import RLHFTokenizers

/// A causal LM and its tokenizer, loaded for sampling.
struct LabelPolicy {
    let model: CausalLanguageModel
    let tokenizer: Tokenizer
    let path: String

    /// Loads `path` (HF folder or .gguf) with the PEFT adapter at `adapter` applied.
    init(path: String, adapter: String?) throws {
        let pre = try loadPretrained(path: path)
        model = try pre.requireCausalLM(purpose: "responses to label come from a Llama or GPT-2 causal LM")
        if let adapter { _ = try loadLoRAAdapters(into: model, from: adapter) }
        model.freeze()
        model.eval()
        tokenizer = try pre.requireTokenizer()
        self.path = path
    }

    /// The prompt's token ids as the SFT stage tokenizes it (the chat template with its generation prompt
    /// for a list of messages), or nil when the prompt does not fit the model with `newTokens` more.
    ///
    /// - Throws: `DataError.badLine` naming `source` (the prompt file) and the line, for a prompt the model
    ///   cannot render (messages without a chat template, or without a user message).
    func ids(_ prompt: StoredPrompt, newTokens: Int, source: String) throws -> [Int]? {
        let record = "{\"prompt\": \(prompt.promptJSON)}"
        let value: JSONValue
        do { value = try parseJSONText(record, source: "the database's prompt of line \(prompt.line)") } catch {
            throw LabelError.badPrompt(path: "the database", line: prompt.line, reason: "stored prompt is not JSON (\(error))")
        }
        let p = try PPOPromptSet.prompt(value, line: prompt.line, path: source, tokenizer: tokenizer)
        let limit = model.positionLimit
        if p.ids.isEmpty || (limit.isHard && newTokens > limit.count - p.ids.count) { return nil }
        return p.ids
    }
}

/// Generates the missing pairs of the project in `db` (see the file's description) and returns how many it
/// made; prompts too long for a model are reported and left without a pair.
///
/// - Parameters:
///   - batchSize: prompts per generation batch (and per commit).
///   - progress: draw a progress bar on standard error.
///   - report: receives lines for the user.
@discardableResult
public func generateLabelPairs(db: LabelDatabase, batchSize: Int = 8, progress: Bool = true, report: (String) -> Void = { _ in }) throws -> Int {
    let settings = try db.requireSettings()
    let pending = try db.promptsWithoutPair()
    if pending.isEmpty { return 0 }
    let a = try LabelPolicy(path: settings.modelA, adapter: settings.adapterA)
    let b = try settings.modelB.map { try LabelPolicy(path: $0, adapter: settings.adapterB) }
    var bar = progress ? ProgressBar(total: pending.count, description: "label init") : nil
    var made = 0, skipped = 0, done = 0
    for start in stride(from: 0, to: pending.count, by: max(1, batchSize)) {
        let chunk = Array(pending[start..<min(start + max(1, batchSize), pending.count)])
        var rows: [(prompt: StoredPrompt, idsA: [Int], idsB: [Int])] = []
        for p in chunk {
            let (n, source) = (settings.maxNewTokens, settings.promptsFile)
            guard let ia = try a.ids(p, newTokens: n, source: source),
                let ib = try b.map({ try $0.ids(p, newTokens: n, source: source) }) ?? ia
            else {
                skipped += 1
                report("\(settings.promptsFile):\(p.line): prompt does not fit the model with \(settings.maxNewTokens) new tokens; left out")
                continue
            }
            rows.append((p, ia, ib))
        }
        var responses: [(String, Bool, String, Bool)] = []
        if !rows.isEmpty {
            let lines = rows.map(\.prompt.line)
            if let b {
                // the same draw for both models (attempt k: draw 2k)
                let ra = sampleNonEmpty(a, prompts: rows.map(\.idsA), settings) { seedFor(settings.seed, line: lines[$0], draw: 2 * $1) }
                let rb = sampleNonEmpty(b, prompts: rows.map(\.idsB), settings) { seedFor(settings.seed, line: lines[$0], draw: 2 * $1) }
                responses = zip(ra, rb).map { ($0.0.text, $0.0.stopped, $0.1.text, $0.1.stopped) }
            } else {
                // row 2i + side: draw side + 2k at attempt k
                let both = sampleNonEmpty(a, prompts: rows.flatMap { [$0.idsA, $0.idsA] }, settings) {
                    seedFor(settings.seed, line: lines[$0 / 2], draw: $0 % 2 + 2 * $1)
                }
                responses = rows.indices.map { (both[2 * $0].text, both[2 * $0].stopped, both[2 * $0 + 1].text, both[2 * $0 + 1].stopped) }
            }
        }
        let stored = rows.map(\.prompt)
        let orderKeys = stored.map { Int64(truncatingIfNeeded: seedFor(settings.seed, line: $0.line, draw: 7) >> 1) }
        let batch = responses
        try db.write { db in
            for (i, p) in stored.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO pair (prompt_id, response_a, response_b, stopped_a, stopped_b, order_key, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [p.id, batch[i].0, batch[i].2, batch[i].1, batch[i].3, orderKeys[i], now()])
            }
        }
        made += rows.count
        done += chunk.count
        bar?.update(completed: done)
    }
    bar?.finish()
    if skipped > 0 { report("\(skipped) prompts left out (too long for a model)") }
    return made
}

/// Samples every row, then samples again (attempts 1 to 4, each with its own seed) the rows whose response
/// is empty or only whitespace: a rater has nothing to judge in it, and the trainers reject an empty answer.
/// `seed(row, attempt)` gives each row's generator seed.
private func sampleNonEmpty(
    _ policy: LabelPolicy, prompts: [[Int]], _ settings: LabelProjectSettings, seed: (Int, Int) -> UInt64
) -> [(text: String, stopped: Bool)] {
    var out = sample(policy, prompts: prompts, seeds: prompts.indices.map { seed($0, 0) }, settings)
    for attempt in 1...4 {
        let empty = out.indices.filter { isBlank(out[$0].text) }
        if empty.isEmpty { break }
        let again = sample(policy, prompts: empty.map { prompts[$0] }, seeds: empty.map { seed($0, attempt) }, settings)
        for (k, i) in empty.enumerated() { out[i] = again[k] }
    }
    return out
}

/// A response's text (special tokens removed) and whether it ended with EOS.
private func sample(_ policy: LabelPolicy, prompts: [[Int]], seeds: [UInt64], _ settings: LabelProjectSettings) -> [(text: String, stopped: Bool)] {
    var rngs = seeds.map { RandomGenerator(seed: $0) }
    let tok = policy.tokenizer
    let config = GenerationConfig(
        maxNewTokens: settings.maxNewTokens, temperature: Float(settings.temperature), stopTokenIds: Set(tok.eosTokenId.map { [$0] } ?? []))
    let out = generate(policy.model, prompts: prompts, config: config, padTokenId: tok.padTokenId ?? tok.eosTokenId ?? 0, rngs: &rngs)
    return zip(out.tokens, out.stopped).map { (tok.decode($0.0, skipSpecialTokens: true), $0.1) }
}

/// A generator seed from the project's seed, the prompt's line and the draw (SplitMix64's mixing).
func seedFor(_ seed: Int, line: Int, draw: Int) -> UInt64 {
    var z = UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(line) &* 0xBF58_476D_1CE4_E5B9 &+ UInt64(draw) &* 0x94D0_49BB_1331_11EB
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
