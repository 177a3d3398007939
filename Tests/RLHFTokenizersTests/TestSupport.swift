// Shared fixtures: the golden corpus and goldens (written by scripts/goldens/tokenizer_goldens.py), the real model
// tokenizers under models/, and helpers to write small tokenizer files to a temporary folder.
import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFTestSupport
@testable import RLHFTokenizers

/// The layout of Resources/tokenizer_goldens.json (see the script's docstring).
struct Goldens: Decodable {
    struct Decode: Decodable {
        var index: Int
        var skipSpecial: String
        var keepSpecial: String
    }

    struct PairCase: Decodable {
        var a: String
        var b: String
        var ids: [Int]
        var typeIds: [Int]
    }

    struct MiniLM: Decodable {
        var ids: [[Int]]
        var offsets: [[[Int]]]
        var pairs: [PairCase]
        var decode: [Decode]
    }

    struct SmolLM2: Decodable {
        var ids: [[Int]]
        var transformersGgufIds: [[Int]]
        var offsets: [[[Int]]]
        var decode: [Decode]
        var bosToken: String
        var eosToken: String
        var padToken: String
        var unkToken: String
        var vocabSize: Int
    }

    struct RegexSplits: Decodable {
        var gpt2Pattern: String
        var llama3Pattern: String
        var gpt2: [[Int]]
        var llama3: [[Int]]
    }

    struct ChatCase: Decodable {
        var messages: [ChatMessage]
        var addGenerationPrompt: Bool
        var text: String
    }

    struct ChatSet: Decodable {
        var template: String
        var bosToken: String?
        var cases: [ChatCase]
    }

    struct Chat: Decodable {
        var smollm2: ChatSet
        var llama3: ChatSet
    }

    struct GGUFTiny: Decodable {
        var tokens: [String]
        var tokenTypes: [Int]
        var merges: [String]
        var bosTokenId: Int
        var eosTokenId: Int
        var paddingTokenId: Int
        var unknownTokenId: Int
        var strings: [String]
        var ids: [String: [[Int]]]
        var vocabSize: Int
        var bosVariant: BOSVariant
    }

    struct BOSVariant: Decodable {
        var tokens: [String]
        var tokenTypes: [Int]
        var merges: [String]
        var bosTokenId: Int
        var eosTokenId: Int
        var strings: [String]
        var ids: [[Int]]
        var pair: [String]
        var pairIds: [Int]
        var vocabSize: Int
        var addedTokens: [String]
    }

    struct NormalizerSet: Decodable {
        struct Case: Decodable { var text: String; var normalized: String }
        var json: String
        var cases: [Case]
    }

    struct PreTokenizerSet: Decodable {
        struct Case: Decodable { var text: String; var pieces: [String]; var offsets: [[Int]] }
        var json: String
        var cases: [Case]
    }

    struct DecoderSet: Decodable {
        struct Case: Decodable { var tokens: [String]; var text: String }
        var json: String
        var cases: [Case]
    }

    struct TokenizerSet: Decodable {
        struct Case: Decodable {
            var text: String
            var pair: String?
            var addSpecialTokens: Bool
            var ids: [Int]
            var tokens: [String]
            var typeIds: [Int]
            var offsets: [[Int]]?
            var decoded: String?
            var decodedSkip: String?
        }
        var name: String
        var json: String
        var cases: [Case]
    }

    struct Components: Decodable {
        var normalizers: [NormalizerSet]
        var preTokenizers: [PreTokenizerSet]
        var decoders: [DecoderSet]
        var tokenizers: [TokenizerSet]
    }

    var corpusCount: Int
    var minilm: MiniLM
    var smollm2: SmolLM2
    var regexSplits: RegexSplits
    var chat: Chat
    var ggufTiny: GGUFTiny
    var components: Components
    var unicodeClasses: [String: [[Int]]]
}

enum Fixtures {
    /// The repository root.
    static let root = URL(fileURLWithPath: repoRoot)

    static func resource(_ name: String) throws -> Data {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources"),
            "missing test resource \(name).json")
        return try Data(contentsOf: url)
    }

    nonisolated(unsafe) private static var cachedGoldens: Goldens?
    nonisolated(unsafe) private static var cachedCorpus: [String]?
    nonisolated(unsafe) private static var cachedMiniLM: Tokenizer?
    nonisolated(unsafe) private static var cachedSmol: [String: Tokenizer] = [:]

    static func goldens() throws -> Goldens {
        if let cachedGoldens { return cachedGoldens }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let g = try decoder.decode(Goldens.self, from: try resource("tokenizer_goldens"))
        cachedGoldens = g
        return g
    }

    static func corpus() throws -> [String] {
        if let cachedCorpus { return cachedCorpus }
        let c = try JSONDecoder().decode([String].self, from: try resource("corpus"))
        XCTAssertEqual(
            c.count, try goldens().corpusCount,
            "corpus.json and tokenizer_goldens.json are out of step: "
                + "rerun scripts/goldens/tokenizer_goldens.py")
        cachedCorpus = c
        return c
    }

    /// MiniLM's tokenizer; its absence is a failure (the models are part of the test setup).
    static func miniLM() throws -> Tokenizer {
        if let cachedMiniLM { return cachedMiniLM }
        let path = root.appendingPathComponent("models/minilm/tokenizer.json").path
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: run `make test` (or scripts/fetch-models) to fetch the models")
            throw TokenizerError.unreadableFile(path: path, reason: "no such file")
        }
        let t = try Tokenizer.load(tokenizerJSON: path)
        cachedMiniLM = t
        return t
    }

    /// SmolLM2's tokenizer: the tokenizer.json exported from the GGUF by the goldens script when present,
    /// else built from the GGUF's own metadata (as `rlhf` does). `file` is "tokenizer.json" (reference
    /// pre-tokenizer, Digits + ByteLevel) or "tokenizer.transformers-gguf.json" (transformers' reading: plain
    /// ByteLevel, which is GGUF pre-tokenizer "gpt-2").
    static func smolLM2(_ file: String = "tokenizer.json") throws -> Tokenizer {
        if let t = cachedSmol[file] { return t }
        let path = root.appendingPathComponent("models/smollm2/\(file)").path
        let t: Tokenizer
        if FileManager.default.fileExists(atPath: path) {
            t = try Tokenizer.load(tokenizerJSON: path)
        } else {
            let gguf = root.appendingPathComponent("models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path
            guard FileManager.default.fileExists(atPath: gguf) else {
                XCTFail("\(gguf) is missing: run `make test` (or scripts/fetch-models) to fetch the models")
                throw TokenizerError.unreadableFile(path: gguf, reason: "no such file")
            }
            var vocab = try GGUFVocabulary(metadataOf: try GGUFFile(path: gguf))
            if file == "tokenizer.transformers-gguf.json" { vocab.pre = "gpt-2" }
            t = try Tokenizer.fromGGUFVocabulary(vocab)
        }
        cachedSmol[file] = t
        return t
    }

    /// Writes `contents` to `name` in a fresh temporary folder and returns its path.
    static func writeTemp(_ contents: String, name: String = "tokenizer.json", extra: [String: String] = [:]) throws -> String {
        let dir = URL(fileURLWithPath: try temporaryFolder("tok"))
        for (file, text) in extra { try text.write(to: dir.appendingPathComponent(file), atomically: true, encoding: .utf8) }
        let url = dir.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A tokenizer from an in-memory tokenizer.json text.
    static func tokenizer(json: String) throws -> Tokenizer {
        try Tokenizer.load(tokenizerJSON: try writeTemp(json))
    }

    /// A component JSON string parsed as a node for the internal factories.
    static func node(_ json: String, file: String = "test.json") throws -> JSONNode {
        try JSONNode.parse(Data(json.utf8), file: file)
    }
}

/// Asserts that `body` throws a TokenizerError whose description contains every fragment.
func assertTokenizerError(
    _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let error as TokenizerError {
        let text = error.description
        for f in fragments {
            XCTAssertTrue(text.contains(f), "error \"\(text)\" does not contain \"\(f)\"", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type \(type(of: error)): \(error)", file: file, line: line)
    }
}

/// UTF-8 byte offsets into `text` converted to code-point offsets exactly as the HF Python binding converts the Rust
/// byte offsets (`BytesToCharOffsetConverter`): every byte maps to the index of its character, so an offset inside a
/// character rounds down to it; the end of the text maps to the character count.
func hfCharOffsets(_ offsets: [Range<Int>], in text: String) -> [[Int]] {
    var map: [Int: Int] = [:]
    var byte = 0
    var count = 0
    for (c, s) in text.unicodeScalars.enumerated() {
        for _ in 0..<UTF8.width(s) { map[byte] = c; byte += 1 }
        count = c + 1
    }
    // The binding converts during encoding, before ByteLevel trimming, so an offset trimmed to the very end is the
    // character count.
    map[byte] = count
    return offsets.map { r in
        guard let start = map[r.lowerBound] else { return [r.lowerBound, r.upperBound] }
        if let end = map[r.upperBound] { return [start, end] }
        let last = map[r.upperBound - 1] ?? start
        return [start, last + 1]
    }
}
