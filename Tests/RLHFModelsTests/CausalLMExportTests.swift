// saveCausalLM: a decoder (from a GGUF file or a HF folder) written as a transformers causal-LM folder and loaded
// back by loadPretrained gives the same logits (bit for bit: the same float32 weights run through the same code),
// the same tokenizer ids on the tokenizer corpus, the same chat template rendering, and the HF file layout
// (tied Llama without lm_head.weight, float32, bos/eos/pad ids). HFTokenizerFiles on a synthetic vocabulary covers
// the stages SmolLM2 lacks (Llama-3 Split, TemplateProcessing with BOS, user-defined and respelled tokens).
//
// SmolLM2ScriptExportTests writes the export that scripts/check_causal_export.py compares with transformers when
// RLHF_EXPORT_DIR is set (it does nothing otherwise).

import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers

/// A fresh temporary folder, removed when the test ends.
private func temporaryFolder(_ test: XCTestCase) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("causal-export-\(UUID().uuidString)").path
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Logits [B·T·V] of a decoder on one sequence.
private func allLogits(_ arch: Architecture, _ ids: [Int]) -> [Float] {
    guard let lm = arch.causalLM else { return [] }
    return withNoGrad {
        lm.logits(fromHidden: lm.hiddenStates(ids: ids, batch: 1, attentionMask: nil, positions: nil, cache: nil)).scalars
    }
}

private func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "logit counts \(a.count) vs \(b.count)")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

private func jsonObject(_ path: String) throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], path)
}

/// The tokenizer corpus (a few hundred varied strings) of the tokenizer tests.
func tokenizerCorpus() throws -> [String] {
    let path = repoRoot + "/Tests/RLHFTokenizersTests/Resources/corpus.json"
    return try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Conversations rendered with the chat template in the tests and by the script.
let exportConversations: [[ChatMessage]] = [
    [ChatMessage(role: "user", content: "What is the capital of France?")],
    [
        ChatMessage(role: "system", content: "You are terse."), ChatMessage(role: "user", content: "Hi!"),
        ChatMessage(role: "assistant", content: "Hello."), ChatMessage(role: "user", content: "2+2=?")
    ],
    [ChatMessage(role: "user", content: "Write a haiku\nabout   spaces."), ChatMessage(role: "assistant", content: "ok → done")]
]

/// Prompts whose logits the tests and the script compare.
let exportPrompts = [
    "The capital of France is", "def fibonacci(n):\n    return", "Once upon a time, 1234 robots",
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", "  leading spaces and émojis 🎉",
    "The quick brown fox jumps over the lazy dog."
]

final class CausalLMExportTests: XCTestCase {
    func testSmolLM2FromGGUFExportsAndLoadsBackIdentically() throws {
        let gguf = try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        let source = try loadPretrained(path: gguf)
        guard case .llama(let llama) = source.architecture else { return XCTFail("SmolLM2 did not load as Llama") }
        // a fine-tuned model: the export must write the current weights, not the file's
        let touched = try XCTUnwrap(llama.parameter(at: "model.layers.0.mlp.down_proj.weight"))
        let w = touched.value.scalars
        touched.assign(Tensor(w.enumerated().map { $0.element + 0.01 * Float(sin(Double($0.offset))) }, shape: touched.shape))

        let dir = temporaryFolder(self)
        try saveCausalLM(source, to: dir)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(
            names,
            [
                "config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json",
                "tokenizer.json", "tokenizer_config.json"
            ])

        // config.json and generation_config.json
        let config = try jsonObject(dir + "/config.json")
        XCTAssertEqual(config["architectures"] as? [String], ["LlamaForCausalLM"])
        XCTAssertEqual(config["model_type"] as? String, "llama")
        XCTAssertEqual(config["tie_word_embeddings"] as? Bool, true)
        XCTAssertEqual(config["torch_dtype"] as? String, "float32")
        XCTAssertEqual(config["num_hidden_layers"] as? Int, 30)
        XCTAssertEqual(config["num_key_value_heads"] as? Int, 3)
        XCTAssertEqual(config["bos_token_id"] as? Int, 1)
        XCTAssertEqual(config["eos_token_id"] as? Int, 2)
        XCTAssertEqual(config["pad_token_id"] as? Int, 2)
        let generation = try jsonObject(dir + "/generation_config.json")
        XCTAssertEqual(generation["eos_token_id"] as? Int, 2)
        XCTAssertEqual(generation["bos_token_id"] as? Int, 1)
        let tokConfig = try jsonObject(dir + "/tokenizer_config.json")
        XCTAssertEqual(tokConfig["chat_template"] as? String, source.tokenizer?.chatTemplateText)
        XCTAssertEqual(tokConfig["eos_token"] as? String, "<|im_end|>")
        XCTAssertEqual(tokConfig["model_max_length"] as? Int, 8192)

        // model.safetensors: HF names, float32, tied (no lm_head.weight)
        let file = try SafetensorsCheckpoint(directory: dir)
        XCTAssertFalse(file.tensorNames.contains("lm_head.weight"))
        XCTAssertTrue(file.tensorNames.allSatisfy { $0.hasPrefix("model.") }, "\(file.tensorNames.filter { !$0.hasPrefix("model.") })")
        XCTAssertEqual(file.tensorNames.count, 30 * 9 + 2)
        XCTAssertTrue(file.tensorNames.allSatisfy { file.info($0)?.dtype == "F32" })

        // loading the folder back: the same logits, bit for bit
        let back = try loadPretrained(path: dir)
        guard case .llama(let reloaded) = back.architecture else { return XCTFail("the export did not load as Llama") }
        XCTAssertNil(reloaded.lmHead)
        let tok = try XCTUnwrap(source.tokenizer), tokBack = try XCTUnwrap(back.tokenizer, "the export has a tokenizer.json")
        var worst: Float = 0
        for prompt in exportPrompts.prefix(3) {
            let ids = tok.encode(prompt)
            XCTAssertEqual(tokBack.encode(prompt), ids, prompt)
            worst = max(worst, maxAbsDiff(allLogits(source.architecture, ids), allLogits(back.architecture, ids)))
        }
        print("SmolLM2 GGUF → HF folder → loadPretrained: logits max |diff| \(worst)")
        XCTAssertEqual(worst, 0)

        // the tokenizer: ids and decoding on the corpus, specials, chat template
        let corpus = try tokenizerCorpus() + exportPrompts
        XCTAssertGreaterThanOrEqual(corpus.count, 300)
        var mismatches = 0
        for text in corpus {
            let ids = tok.encode(text), idsBack = tokBack.encode(text)
            if ids != idsBack {
                mismatches += 1
                if mismatches <= 3 { XCTFail("\(text.debugDescription): GGUF \(ids.prefix(16)) vs export \(idsBack.prefix(16))") }
            }
            XCTAssertEqual(tokBack.decode(idsBack), tok.decode(ids))
        }
        print("SmolLM2 tokenizer, GGUF vs exported tokenizer.json: \(corpus.count - mismatches)/\(corpus.count) strings identical")
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(tokBack.vocabularySize, tok.vocabularySize)
        XCTAssertEqual(
            [tokBack.bosTokenId, tokBack.eosTokenId, tokBack.padTokenId, tokBack.unkTokenId],
            [tok.bosTokenId, tok.eosTokenId, tok.padTokenId, tok.unkTokenId])
        for id in 0..<20 { XCTAssertEqual(tokBack.isSpecialToken(id), tok.isSpecialToken(id), "token \(id)") }
        XCTAssertEqual(tokBack.decode(tok.encode("<|im_start|>hi<|im_end|>"), skipSpecialTokens: true), "hi")
        let template = try tok.requireChatTemplate(), templateBack = try tokBack.requireChatTemplate()
        XCTAssertEqual(templateBack.template, template.template)
        for messages in exportConversations {
            for addGenerationPrompt in [false, true] {
                XCTAssertEqual(
                    try templateBack.render(messages, addGenerationPrompt: addGenerationPrompt),
                    try template.render(messages, addGenerationPrompt: addGenerationPrompt))
            }
        }

        // exporting the export (a HF folder source) copies its tokenizer files and generation config
        let again = temporaryFolder(self)
        try saveCausalLM(back, to: again)
        for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"] {
            XCTAssertEqual(FileManager.default.contents(atPath: again + "/" + name), FileManager.default.contents(atPath: dir + "/" + name), name)
        }
        let third = try loadPretrained(path: again)
        XCTAssertEqual(maxAbsDiff(allLogits(back.architecture, [1, 2, 3, 4]), allLogits(third.architecture, [1, 2, 3, 4])), 0)
    }

    func testTinyLlamaAndGPT2FoldersRoundTrip() throws {
        for (name, arch) in [("tiny-llama", "LlamaForCausalLM"), ("tiny-gpt2", "GPT2LMHeadModel")] {
            let source = try loadPretrained(path: resourceFolder(name))
            let dir = temporaryFolder(self)
            try saveCausalLM(source, to: dir)
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
            XCTAssertEqual(names, ["config.json", "generation_config.json", "model.safetensors"], "\(name): no tokenizer in, none out")
            let config = try jsonObject(dir + "/config.json")
            XCTAssertEqual(config["architectures"] as? [String], [arch])
            XCTAssertEqual(config["dtype"] as? String, "float32")
            let back = try loadPretrained(path: dir)
            XCTAssertNil(back.tokenizer)
            let ids = [3, 17, 42, 5, 9, 11]
            XCTAssertEqual(maxAbsDiff(allLogits(source.architecture, ids), allLogits(back.architecture, ids)), 0, name)
            let file = try SafetensorsCheckpoint(directory: dir)
            XCTAssertFalse(file.tensorNames.contains("lm_head.weight"), "\(name) is tied")
            XCTAssertEqual(
                Set(file.tensorNames),
                Set(
                    try SafetensorsCheckpoint(directory: resourceFolder(name)).tensorNames
                        .filter { !$0.hasSuffix(".attn.bias") && !$0.hasSuffix(".attn.masked_bias") && $0 != "lm_head.weight" }), name)
        }
    }

    func testUntiedLlamaWritesItsLMHead() throws {
        var config = try decodeConfig(LlamaConfig.self, from: resourceFolder("tiny-llama") + "/config.json")
        config.tieWordEmbeddings = false
        var rng = RandomGenerator(seed: 7)
        let model = try LlamaForCausalLM(config, rng: &rng)
        let dir = temporaryFolder(self)
        try saveCausalLM(.llama(model), tokenizer: nil, source: resourceFolder("tiny-llama"), to: dir)
        let saved = try jsonObject(dir + "/config.json")
        XCTAssertEqual(saved["tie_word_embeddings"] as? Bool, false)
        XCTAssertEqual(saved["eos_token_id"] as? Int, 2, "without a tokenizer the config keeps its ids")
        XCTAssertTrue(try SafetensorsCheckpoint(directory: dir).tensorNames.contains("lm_head.weight"))
        let back = try loadPretrained(path: dir)
        guard case .llama(let reloaded) = back.architecture else { return XCTFail("not a Llama") }
        XCTAssertNotNil(reloaded.lmHead)
        let ids = [1, 5, 7, 33]
        XCTAssertEqual(maxAbsDiff(allLogits(.llama(model), ids), allLogits(back.architecture, ids)), 0)
    }

    func testEncodersAndExportsOverTheSourceFolderAreRefused() throws {
        let bert = try loadPretrained(path: resourceFolder("tiny-bert"))
        XCTAssertThrowsError(try saveCausalLM(bert, to: temporaryFolder(self))) { error in
            XCTAssertTrue("\(error)".contains("not a causal LM"), "\(error)")
        }
        // copying a folder onto itself would destroy it: refused, nothing touched
        let dir = temporaryFolder(self)
        let llama = try loadPretrained(path: resourceFolder("tiny-llama"))
        try saveCausalLM(llama, to: dir)
        let before = FileManager.default.contents(atPath: dir + "/model.safetensors")
        let copy = try loadPretrained(path: dir)
        XCTAssertThrowsError(try saveCausalLM(copy, to: dir + "/./")) { error in
            XCTAssertTrue("\(error)".contains(dir), "the error names the folder: \(error)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/model.safetensors"), before)
        // a source that is gone is an error naming it; no source at all writes the model alone
        let gone = dir + "-moved-away"
        XCTAssertThrowsError(try saveCausalLM(llama.architecture, tokenizer: nil, source: gone, to: temporaryFolder(self))) { error in
            XCTAssertTrue("\(error)".contains(gone), "\(error)")
        }
        let bare = temporaryFolder(self)
        try saveCausalLM(llama.architecture, tokenizer: nil, source: nil, to: bare)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: bare).sorted(),
            ["config.json", "generation_config.json", "model.safetensors"])
        let ids = [1, 2, 3]
        XCTAssertEqual(maxAbsDiff(allLogits(llama.architecture, ids), allLogits(try loadPretrained(path: bare).architecture, ids)), 0)
    }
}

final class TokenizerJSONExportTests: XCTestCase {
    /// GPT-2's byte → character table.
    private static let byteAlphabet: [String] = {
        var n: UInt32 = 0
        return (0..<256).map { b in
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable { return String(UnicodeScalar(UInt8(b))) }
            defer { n += 1 }
            return String(Character(Unicode.Scalar(0x100 + n)!))
        }
    }()

    /// A small byte-level vocabulary: the 256 bytes, a few merges, control, user-defined and unspelled tokens.
    private func vocabulary(pre: String?, addBos: Bool) -> GGUFVocabulary {
        var tokens = ["<unk>", "<s>", "</s>"] + Self.byteAlphabet
        var types = [2, 3, 3] + Array(repeating: 1, count: 256)
        let merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ c", "a t", "Ġc at", "Ġ a", "1 2", "e r"]
        tokens += ["Ġt", "he", "Ġthe", "in", "Ġc", "at", "Ġcat", "Ġa", "12", "er"]
        types += Array(repeating: 1, count: 10)
        tokens += ["<tool>", "→"]   // user-defined; a token not spelled in the byte alphabet (respelled)
        types += [4, 1]
        return GGUFVocabulary(
            model: "gpt2", pre: pre, tokens: tokens, tokenTypes: types, merges: merges, bosTokenId: 1,
            eosTokenId: 2, unknownTokenId: 0, paddingTokenId: nil, addBosToken: addBos,
            chatTemplate:
                "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        )
    }

    func testSyntheticVocabulariesRoundTripThroughTokenizerJSON() throws {
        let texts = [
            "the cat sat in the hat", "Hello <tool> world", "<s>hi</s>", "12345 apples, 12 pears",
            "I'm HERE, you're there", "line\n\nbreak   spaces\t\ttabs ", "→ arrow ←", "", " ", "ÀÉÎõü 中文 🎉",
            "they'LL   be\r\nfine", "a1b22c333d4444"
        ]
        for pre in [nil, "smollm", "llama-bpe", "qwen2"] {
            for addBos in [false, true] {
                let v = vocabulary(pre: pre, addBos: addBos)
                let built = try Tokenizer.fromGGUFVocabulary(v)
                let files = try HFTokenizerFiles(gguf: v, modelMaxLength: 512)
                let dir = temporaryFolder(self)
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for (name, data) in files.files { try data.write(to: URL(fileURLWithPath: dir + "/" + name)) }
                let loaded = try Tokenizer.load(tokenizerJSON: dir + "/tokenizer.json")
                let label = "pre \(pre ?? "nil"), add_bos \(addBos)"
                for text in texts {
                    XCTAssertEqual(loaded.encode(text), built.encode(text), "\(label): \(text.debugDescription)")
                    XCTAssertEqual(loaded.encode(text, addSpecialTokens: false), built.encode(text, addSpecialTokens: false), label)
                    XCTAssertEqual(loaded.decode(loaded.encode(text)), built.decode(built.encode(text)), label)
                }
                XCTAssertEqual(loaded.encode("x").first == 1, addBos, label)
                XCTAssertEqual(loaded.vocabularySize, built.vocabularySize, label)
                XCTAssertEqual(loaded.bosTokenId, 1)
                XCTAssertEqual(loaded.eosTokenId, 2)
                XCTAssertEqual(loaded.unkTokenId, 0)
                XCTAssertEqual(loaded.modelMaxLength, 512)
                XCTAssertTrue(loaded.isSpecialToken(1) && loaded.isSpecialToken(2))
                XCTAssertFalse(loaded.isSpecialToken(try XCTUnwrap(loaded.tokenToId("<tool>"))), "user-defined is not special")
                XCTAssertEqual(loaded.chatTemplateText, v.chatTemplate)
                let map = try jsonObject(dir + "/special_tokens_map.json")
                XCTAssertEqual(map["bos_token"] as? String, "<s>")
            }
        }
    }

    func testWrittenJSONEscapesAndIsValid() throws {
        var v = vocabulary(pre: "gpt-2", addBos: false)
        v.chatTemplate = "quote \" backslash \\ newline \n tab \t bell \u{7} slash / unicode é🎉"
        let files = try HFTokenizerFiles(gguf: v)
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: files.tokenizerConfigJSON) as? [String: Any])
        XCTAssertEqual(config["chat_template"] as? String, v.chatTemplate)
        XCTAssertNil(config["model_max_length"])
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: files.tokenizerJSON) as? [String: Any])
        let model = try XCTUnwrap(root["model"] as? [String: Any])
        XCTAssertEqual((model["merges"] as? [[String]])?.first, ["Ġ", "t"])
        XCTAssertEqual((model["vocab"] as? [String: Int])?.count, v.tokens.count)
        XCTAssertTrue(root["normalizer"] is NSNull)
    }

    func testVocabulariesThatCannotBeBuiltAreErrors() {
        XCTAssertThrowsError(try HFTokenizerFiles(gguf: GGUFVocabulary(model: "llama", tokens: ["a"]))) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.ggml.model"), "\(error)")
        }
        var v = vocabulary(pre: "no-such-pre", addBos: false)
        XCTAssertThrowsError(try HFTokenizerFiles(gguf: v)) { error in
            XCTAssertTrue("\(error)".contains("tokenizer.ggml.pre"), "\(error)")
        }
        v.pre = nil
        v.merges = []
        XCTAssertThrowsError(try HFTokenizerFiles(gguf: v))
    }
}

/// Writes the SmolLM2 export that scripts/check_causal_export.py compares with transformers, when
/// `RLHF_EXPORT_DIR` is set: the folder itself, and next to it `<folder>.ours.json` with our tokenizer ids of the
/// corpus and our chat template renderings. Run: `RLHF_EXPORT_DIR=/tmp/x swift test -c release --filter SmolLM2ScriptExportTests`.
final class SmolLM2ScriptExportTests: XCTestCase {
    func testWriteExportForTheScript() throws {
        guard let dir = ProcessInfo.processInfo.environment["RLHF_EXPORT_DIR"], !dir.isEmpty else {
            print("RLHF_EXPORT_DIR is not set: nothing to write")
            return
        }
        let source = try loadPretrained(path: try realModelPath("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
        try saveCausalLM(source, to: dir)
        let back = try loadPretrained(path: dir)
        let tok = try XCTUnwrap(back.tokenizer)
        let template = try tok.requireChatTemplate()
        let corpus = try tokenizerCorpus() + exportPrompts
        var chats: [[String: Any]] = []
        for messages in exportConversations {
            for addGenerationPrompt in [false, true] {
                chats.append([
                    "messages": messages.map { ["role": $0.role, "content": $0.content] },
                    "add_generation_prompt": addGenerationPrompt,
                    "text": try template.render(messages, addGenerationPrompt: addGenerationPrompt)
                ])
            }
        }
        let ours: [String: Any] = [
            "prompts": exportPrompts, "corpus": corpus, "corpus_ids": corpus.map { tok.encode($0) },
            "chats": chats
        ]
        let data = try JSONSerialization.data(withJSONObject: ours, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: dir + ".ours.json"))
        print("wrote \(dir) and \(dir).ours.json")
    }
}
