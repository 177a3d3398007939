// `rlhf generate`, `rlhf tokenize`, `rlhf inspect`: load a HF folder or GGUF file and use it.

import ArgumentParser
import Foundation
import RLHFDistributed
import RLHFModels
import RLHFTensor
import RLHFTokenizers

/// Writes one line to standard error (warnings and notes; standard output keeps the results); under
/// `mpirun`, on rank 0 only (the ranks would say the same).
func warn(_ line: String) {
    guard ProcessGroup.world.isMain else { return }
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a decoder (HF folder or GGUF file), streaming it.")

    @Option(help: "HF folder or .gguf file.") var model: String
    @Option(help: "The prompt.") var prompt: String
    @Flag(help: "Wrap the prompt as a user turn with the model's chat template.") var chat = false
    @Option(help: "Most new tokens.") var maxNewTokens: Int = 64
    @Option(help: "0 = greedy; otherwise sample at this temperature.") var temperature: Float = 0
    @Option(help: "Nucleus sampling threshold (with --temperature).") var topP: Float?
    @Option(help: "Sample among the k most likely tokens (with --temperature).") var topK: Int?
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "A LoRA adapter folder in PEFT's layout to apply on top of the model.") var adapter: String?

    func validate() throws {
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be ≥ 1, got \(maxNewTokens)") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be ≥ 0, got \(temperature)") }
        if let p = topP, !(p > 0 && p <= 1) { throw ValidationError("--top-p must be in (0, 1], got \(p)") }
    }

    func run() throws {
        let m = try loadPretrained(path: model)
        let lm = try m.requireCausalLM(purpose: "only a Llama or GPT-2 causal LM generates text")
        if let adapter { try loadLoRAAdapters(into: lm, from: adapter) }
        lm.freeze()   // inference only: quantised weights are then read block by block
        let tok = try m.requireTokenizer()
        var text = prompt
        if chat {
            guard let template = tok.chatTemplate else { throw CLIError.noChatTemplate(model: model) }
            text = try template.render([ChatMessage(role: "user", content: prompt)], addGenerationPrompt: true)
        }
        var ids = tok.encode(text, addSpecialTokens: !chat)
        let fromBOS = ids.isEmpty
        if fromBOS {
            // as transformers' generate given no input ids: start from the BOS token
            guard let bos = tok.bosTokenId ?? m.architecture.bosTokenId else { throw CLIError.nothingToStartFrom(model: model) }
            ids = [bos]
        }
        try m.architecture.checkInput(ids, source: fromBOS ? "--prompt (empty, from the BOS token)" : "--prompt")
        if fromBOS { warn("note: the prompt is empty; generating from the BOS token \(tok.idToToken(ids[0]) ?? String(ids[0]))") }
        var newTokens = maxNewTokens
        let limit = lm.positionLimit
        if maxNewTokens > limit.count - ids.count {
            let what = "the prompt (\(ids.count) tokens) + --max-new-tokens \(maxNewTokens) is more than the model's"
            if limit.isHard {
                guard ids.count < limit.count else { throw CLIError.noPositionLeft(tokens: ids.count, limit: limit.phrase) }
                newTokens = limit.count - ids.count
                warn("warning: \(what) \(limit.phrase); generating at most \(newTokens) tokens")
            } else {
                warn("warning: \(what) context of \(limit.phrase); it was never trained on positions past \(limit.count)")
            }
        }
        var rng = RandomGenerator(seed: seed)
        let config = GenerationConfig(
            maxNewTokens: newTokens, temperature: temperature, topK: topK, topP: topP,
            stopTokenIds: Set([tok.eosTokenId].compactMap { $0 }))
        var produced: [Int] = [], printed = ""
        _ = generate(
            lm, prompts: [ids], config: config, padTokenId: tok.padTokenId ?? 0, rng: &rng,
            onToken: { _, token in
                produced.append(token)
                let now = tok.decode(produced, skipSpecialTokens: true)
                if now.hasPrefix(printed) { print(now.dropFirst(printed.count), terminator: "") } else { print(now, terminator: "") }
                printed = now
                fflush(nil)
            })
        print()
    }
}

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show how a model's tokenizer splits text.")
    @Option(help: "HF folder, tokenizer.json or .gguf file.") var model: String
    @Option(help: "The text.") var text: String
    @Flag(help: "Print {\"ids\": […], \"tokens\": […]} as JSON.") var json = false

    func run() throws {
        let tok: Tokenizer
        if model.hasSuffix("tokenizer.json") {
            tok = try Tokenizer.load(tokenizerJSON: model)
        } else {
            tok = try loadPretrained(path: model).requireTokenizer()
        }
        let ids = tok.encode(text)
        let tokens = ids.map { tok.idToToken($0) ?? "?" }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["ids": ids, "tokens": tokens], options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (i, t) in zip(ids, tokens) { print("\(i)\t\(t)") }
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Architecture, parameter count and dtypes of a model; with --text, its outputs.")
    @Option(help: "HF folder or .gguf file.") var model: String
    @Option(help: "Run the model on this text.") var text: String?
    @Flag(help: "With --text: print {\"input_ids\", \"last_logits\"} (decoder) or {\"input_ids\", \"cls\"} (encoder).") var json = false
    @Option(help: "A LoRA adapter folder in PEFT's layout to apply on top of the model.") var adapter: String?

    func run() throws {
        let m = try loadPretrained(path: model)
        if let adapter { try loadLoRAAdapters(into: m.architecture.module, from: adapter) }
        guard let text else {
            let module = m.architecture.module
            print("model:       \(m.path)")
            print("arch:        \(m.architecture.name)")
            print("parameters:  \(module.parameterCount)")
            var counts: [String: Int] = [:]
            for (_, d) in m.dtypes { counts[d, default: 0] += 1 }
            print("dtypes:      " + counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
            if let t = m.tokenizer { print("vocabulary:  \(t.vocabularySize)") }
            return
        }
        let tok = try m.requireTokenizer()
        var ids = tok.encode(text)
        let limit = m.architecture.positionLimit
        if ids.count > limit.count {
            if limit.isHard {
                // as the tokenizer truncates: an encoder keeps its closing [SEP], a decoder its first tokens
                let isEncoder: Bool
                if case .bert = m.architecture { isEncoder = true } else { isEncoder = false }
                warn(
                    "warning: --text is \(ids.count) tokens, more than the model's \(limit.phrase); using its first "
                        + (isEncoder ? "\(limit.count - 1) and its last" : "\(limit.count)"))
                ids = isEncoder ? truncateKeepingLast((ids, ids.map { _ in 0 }), to: limit.count).ids : Array(ids.prefix(limit.count))
            } else {
                warn(
                    "warning: --text is \(ids.count) tokens, more than the model's context of \(limit.phrase); "
                        + "it was never trained on positions past \(limit.count)")
            }
        }
        try m.architecture.checkInput(ids, source: "--text")
        var object: [String: Any] = ["input_ids": ids]
        withNoGrad {
            switch m.architecture {
            case .bert(let bert):
                let h = bert(ids: ids, batch: 1)
                object["cls"] = Array(h.scalars.prefix(h.shape[2])).map(Double.init)
            case .llama, .gpt2:
                let lm = m.architecture.causalLM!
                let h = lm.hiddenStates(ids: ids, batch: 1, attentionMask: nil, positions: nil, cache: nil)
                let logits = lm.logits(fromHidden: h.sliced(axis: 1, ids.count - 1, ids.count))
                object["last_logits"] = logits.scalars.map(Double.init)
            }
        }
        if json {
            var out = object
            for key in ["cls", "last_logits"] {
                guard let values = object[key] as? [Double] else { continue }
                let (checked, bad) = jsonArray(values)
                out[key] = checked
                warnNonFinite(bad, key + " values")
            }
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("input_ids: \(ids)")
            if let cls = object["cls"] as? [Double] { print("cls[0..<8]: \(cls.prefix(8))") }
            if let l = object["last_logits"] as? [Double] {
                let top = l.enumerated().sorted { $0.element > $1.element }.prefix(5)
                print(
                    "top next tokens: "
                        + top.map { "\(tok.idToToken($0.offset) ?? "?") (\(String(format: "%.3f", $0.element)))" }.joined(separator: ", "))
            }
        }
    }
}
