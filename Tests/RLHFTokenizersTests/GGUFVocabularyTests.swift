// Tokenizer.fromGGUFVocabulary on tiny hand-made vocabularies, against transformers loading the same metadata from a
// GGUF file (the "smollm" case against the reference Digits+ByteLevel pipeline; see GGUFVocabulary.swift).
import XCTest
@testable import RLHFTokenizers

final class GGUFVocabularyTests: XCTestCase {
    private func vocabulary(pre: String?) throws -> GGUFVocabulary {
        let g = try Fixtures.goldens().ggufTiny
        return GGUFVocabulary(
            model: "gpt2", pre: pre, tokens: g.tokens, tokenTypes: g.tokenTypes, merges: g.merges,
            bosTokenId: g.bosTokenId, eosTokenId: g.eosTokenId, unknownTokenId: g.unknownTokenId,
            paddingTokenId: g.paddingTokenId, addBosToken: false,
            chatTemplate: try Fixtures.goldens().chat.smollm2.template)
    }

    func testIdsMatchTransformersForEachPre() throws {
        let g = try Fixtures.goldens().ggufTiny
        for (pre, expected) in g.ids {
            let tok = try Tokenizer.fromGGUFVocabulary(try vocabulary(pre: pre))
            for (i, text) in g.strings.enumerated() {
                XCTAssertEqual(tok.encode(text), expected[i], "pre \(pre), \(text.debugDescription)")
                XCTAssertEqual(tok.decode(tok.encode(text)), text, "round trip, pre \(pre)")
            }
            XCTAssertEqual(tok.vocabularySize, g.vocabSize)
        }
        XCTAssertEqual(Set(g.ids.keys), ["gpt-2", "llama-bpe", "smollm"])
    }

    func testSpecialTokensAndTemplate() throws {
        let tok = try Tokenizer.fromGGUFVocabulary(try vocabulary(pre: "smollm"))
        XCTAssertEqual(tok.bosTokenId, 1)
        XCTAssertEqual(tok.eosTokenId, 2)
        XCTAssertEqual(tok.padTokenId, 2)
        XCTAssertEqual(tok.unkTokenId, 0)
        XCTAssertEqual(tok.bosToken, "<|im_start|>")
        XCTAssertTrue(tok.isSpecialToken(2))
        XCTAssertFalse(tok.isSpecialToken(3), "user-defined tokens are added but not special")
        XCTAssertEqual(tok.decode(tok.encode("a<|im_end|><think>b"), skipSpecialTokens: true), "a<think>b")
        if case .chatML = try tok.requireChatTemplate().kind {} else { XCTFail("expected ChatML") }
    }

    func testAddBosTokenAndRespelling() throws {
        let b = try Fixtures.goldens().ggufTiny.bosVariant
        let v = GGUFVocabulary(
            model: "gpt2", pre: "gpt-2", tokens: b.tokens, tokenTypes: b.tokenTypes, merges: b.merges,
            bosTokenId: b.bosTokenId, eosTokenId: b.eosTokenId, addBosToken: true)
        let tok = try Tokenizer.fromGGUFVocabulary(v)
        for (i, text) in b.strings.enumerated() { XCTAssertEqual(tok.encode(text), b.ids[i], text.debugDescription) }
        XCTAssertEqual(tok.encode(b.pair[0], pair: b.pair[1]).ids, b.pairIds)
        XCTAssertEqual(tok.vocabularySize, b.vocabSize)
        let added = tok.addedVocabulary.tokens.map { "\($0.content)|\($0.special ? 1 : 0)" }.sorted()
        XCTAssertEqual(added, b.addedTokens)
    }

    func testInvalidVocabulariesAreErrors() throws {
        var v = try vocabulary(pre: "gpt-2")
        v.model = "llama"
        assertTokenizerError(["tokenizer.ggml.model", "llama", "not supported"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
        v = try vocabulary(pre: "tekken")
        assertTokenizerError(["tokenizer.ggml.pre", "tekken"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
        v = try vocabulary(pre: "gpt-2")
        v.merges = []
        assertTokenizerError(["tokenizer.ggml.merges", "empty"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
        v = try vocabulary(pre: "gpt-2")
        v.merges.append("a b c")
        assertTokenizerError(["tokenizer.ggml.merges[\(v.merges.count - 1)]", "two tokens"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
        v = try vocabulary(pre: "gpt-2")
        v.merges.append("zz qq")
        assertTokenizerError(["tokenizer.ggml.merges", "not in the vocabulary"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
        v = try vocabulary(pre: "gpt-2")
        v.bosTokenId = 1_000_000
        assertTokenizerError(["tokenizer.ggml.bos_token_id", "out of range"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
        v = try vocabulary(pre: "gpt-2")
        v.tokenTypes = [1, 2]
        assertTokenizerError(["tokenizer.ggml.token_type"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
        v = try vocabulary(pre: "gpt-2")
        v.tokens = []
        assertTokenizerError(["tokenizer.ggml.tokens", "empty"]) { _ = try Tokenizer.fromGGUFVocabulary(v) }
    }

    func testUnrecognisedTemplateDoesNotPreventLoading() throws {
        var v = try vocabulary(pre: "gpt-2")
        v.chatTemplate = "{{ messages }}"
        let tok = try Tokenizer.fromGGUFVocabulary(v)
        XCTAssertNil(tok.chatTemplate)
        XCTAssertEqual(tok.chatTemplateText, "{{ messages }}")
        assertTokenizerError(["not recognised"]) { _ = try tok.requireChatTemplate() }
    }
}
