// Malformed tokenizer files: each is a TokenizerError naming the file, the JSON path and the fault; none traps.
import XCTest
@testable import RLHFTokenizers

final class BadInputTests: XCTestCase {
    /// A valid tiny BPE tokenizer.json, with `model` and top-level keys replaceable.
    private func json(
        model: String? = nil, normalizer: String = "null", preTokenizer: String = "null",
        postProcessor: String = "null", decoder: String = "null", addedTokens: String = "[]"
    ) -> String {
        let m = model ?? #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#
        return """
            {"version": "1.0", "truncation": null, "padding": null, "added_tokens": \(addedTokens),
             "normalizer": \(normalizer), "pre_tokenizer": \(preTokenizer), "post_processor": \(postProcessor),
             "decoder": \(decoder), "model": \(m)}
            """
    }

    private func load(_ text: String) throws -> (Tokenizer, String) {
        let path = try Fixtures.writeTemp(text)
        return (try Tokenizer.load(tokenizerJSON: path), path)
    }

    private func expectError(_ text: String, _ fragments: [String], line: UInt = #line) throws {
        let path = try Fixtures.writeTemp(text)
        assertTokenizerError([path] + fragments, line: line) { _ = try Tokenizer.load(tokenizerJSON: path) }
    }

    func testTheBaseFileLoads() throws {
        let (tok, _) = try load(json())
        XCTAssertEqual(tok.encode("abba"), [2, 1, 0])
    }

    func testUnknownModelType() throws {
        try expectError(
            json(model: #"{"type": "Unigram", "vocab": []}"#),
            ["model.type", "unknown model type \"Unigram\"", "BPE", "WordPiece"])
    }

    func testUnknownComponentTypes() throws {
        try expectError(
            json(normalizer: #"{"type": "Precompiled", "precompiled_charsmap": ""}"#),
            ["normalizer.type", "unknown normalizer type \"Precompiled\"", "BertNormalizer"])
        try expectError(
            json(normalizer: #"{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Nope"}]}"#),
            ["normalizer.normalizers[1].type", "\"Nope\""])
        try expectError(json(preTokenizer: #"{"type": "UnicodeScripts"}"#), ["pre_tokenizer.type", "pre-tokenizer type"])
        try expectError(json(postProcessor: #"{"type": "Magic"}"#), ["post_processor.type", "post-processor type"])
        try expectError(json(decoder: #"{"type": "CTC"}"#), ["decoder.type", "decoder type \"CTC\""])
        try expectError(
            json(preTokenizer: #"{"type": "Split", "pattern": {"String": "x"}, "behavior": "Sideways"}"#),
            ["pre_tokenizer.behavior", "\"Sideways\""])
    }

    func testEmptyMerges() throws {
        try expectError(json(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": []}"#), ["model.merges", "empty"])
    }

    func testBadMerges() throws {
        try expectError(
            json(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a x"]}"#),
            ["model.merges[1]", "\"x\" is not in the vocabulary"])
        try expectError(
            json(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}"#),
            ["model.merges[0]", "merged token \"ab\""])
        try expectError(
            json(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a  b"]}"#),
            ["model.merges[0]", "two tokens"])
        try expectError(
            json(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a"]]}"#),
            ["model.merges[0]", "two strings"])
        try expectError(
            json(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [7]}"#),
            ["model.merges[0]", "expected a merge"])
    }

    func testMalformedJSON() throws {
        try expectError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]"#, ["malformed JSON"])
        try expectError("[1, 2, 3]", ["malformed JSON", "top level is an array"])
        try expectError("", ["malformed JSON"])
    }

    func testMissingOrWrongFields() throws {
        try expectError(json(model: #"{"type": "BPE", "merges": ["a b"]}"#), ["model.vocab", "required key is missing"])
        try expectError(#"{"version": "1.0"}"#, ["model", "required key is missing"])
        try expectError(json(model: #"{"type": "WordPiece", "vocab": {"a": 0}}"#), ["model.unk_token", "missing"])
        try expectError(
            json(model: #"{"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}"#),
            ["model.unk_token", "not in the vocabulary"])
        try expectError(
            json(model: #"{"type": "BPE", "vocab": {"a": "zero"}, "merges": ["a b"]}"#),
            ["model.vocab.a", "expected an integer, found a string"])
        try expectError(json(model: #"{"type": "BPE", "vocab": {"a": -3}, "merges": ["a b"]}"#), ["model.vocab.a", "non-negative"])
        try expectError(json(model: #"{"type": "BPE", "vocab": {}, "merges": ["a b"]}"#), ["model.vocab", "empty"])
        try expectError(json(model: #"{"type": 3}"#), ["model.type", "expected a string, found a number"])
        try expectError(json(addedTokens: #"[{"id": 5}]"#), ["added_tokens[0].content", "missing"])
        try expectError(
            json(postProcessor: #"{"type": "TemplateProcessing", "single": [], "special_tokens": {}}"#),
            ["post_processor.pair", "missing"])
        try expectError(
            json(
                postProcessor: """
                    {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]", "type_id": 0}}], "pair": [],
                     "special_tokens": {}}
                    """), ["post_processor.single[0]", "[X]", "not listed"])
        try expectError(
            json(preTokenizer: #"{"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"}"#),
            ["pre_tokenizer.pattern.Regex", "does not compile"])
        try expectError(
            json(normalizer: #"{"type": "BertNormalizer", "lowercase": "yes"}"#),
            ["normalizer.lowercase", "expected a boolean"])
    }

    func testMissingFileAndBadConfig() throws {
        assertTokenizerError(["/nonexistent/tokenizer.json", "no such file"]) {
            _ = try Tokenizer.load(tokenizerJSON: "/nonexistent/tokenizer.json")
        }
        let path = try Fixtures.writeTemp(json(), extra: ["tokenizer_config.json": #"{"pad_token": "<nope>"}"#])
        assertTokenizerError(["pad_token", "<nope>", "not in the vocabulary"]) { _ = try Tokenizer.load(tokenizerJSON: path) }
        let broken = try Fixtures.writeTemp(json(), extra: ["tokenizer_config.json": "{oops"])
        assertTokenizerError(["tokenizer_config.json", "malformed JSON"]) { _ = try Tokenizer.load(tokenizerJSON: broken) }
    }

    func testConfigAndJinjaAreRead() throws {
        let template = try Fixtures.goldens().chat.smollm2.template
        let config = #"{"bos_token": {"content": "a"}, "eos_token": "b", "model_max_length": 77, "chat_template": "{{ x }}"}"#
        let path = try Fixtures.writeTemp(json(), extra: ["tokenizer_config.json": config, "chat_template.jinja": template])
        let tok = try Tokenizer.load(tokenizerJSON: path)
        XCTAssertEqual(tok.bosTokenId, 0)
        XCTAssertEqual(tok.eosTokenId, 1)
        XCTAssertEqual(tok.modelMaxLength, 77)
        XCTAssertEqual(tok.chatTemplateText, template, "chat_template.jinja wins over tokenizer_config.json")
        XCTAssertNotNil(tok.chatTemplate)
    }

    func testHostileInputsDoNotTrap() throws {
        let tok = try Fixtures.miniLM()
        let hostile = [
            "\u{0}\u{0}", String(repeating: "\u{301}", count: 500), "\u{FFFF}\u{10FFFF}\u{E0001}",
            String(repeating: "[CLS]", count: 100), String(repeating: "a", count: 100_000), "\u{D7FF}\u{E000}"
        ]
        for text in hostile {
            _ = tok.encode(text)
            _ = tok.decode(tok.encode(text))
        }
        XCTAssertEqual(tok.decode([Int.max, Int.min, -1]), "")
    }

    /// A corrupt `Fixed` padding length would make every batch that many tokens long: refused at load.
    func testHugeFixedPaddingIsRefused() throws {
        var text = json().replacingOccurrences(
            of: #""padding": null"#,
            with: #""padding": {"strategy": {"Fixed": 1099511627776}, "direction": "Right"}"#)
        assertTokenizerError(["padding.strategy.Fixed", "1099511627776", "more than the limit of 1048576"]) {
            _ = try Tokenizer.load(tokenizerJSON: try Fixtures.writeTemp(text))
        }
        text = text.replacingOccurrences(of: "1099511627776", with: "16")
        XCTAssertEqual(try Fixtures.tokenizer(json: text).defaultPadding, .maxLength(16, side: .right))
    }
}
