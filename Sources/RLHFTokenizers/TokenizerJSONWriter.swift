// Writing a GGUF vocabulary as the HF tokenizer files (tokenizer.json, tokenizer_config.json,
// special_tokens_map.json) that `tokenizers` and transformers' AutoTokenizer load.
//
// The writer does not re-derive the pipeline from the GGUF keys: it builds the Tokenizer with
// `fromGGUFVocabulary` and serialises what that built (vocabulary as spelled, added tokens, pre-tokenizer,
// post-processor), so the file and the GGUF-built tokenizer cannot drift apart. A pipeline stage it does not
// know how to write is an error, never a silent default.
//
//   tokenizer.json  = {version "1.0", truncation null, padding null, added_tokens [...], normalizer null,
//                      pre_tokenizer (as built: ByteLevel / Sequence[Digits, ByteLevel] / Sequence[Split, ByteLevel]),
//                      post_processor (TemplateProcessing prepending BOS when add_bos_token, else null),
//                      decoder ByteLevel, model BPE {vocab, merges as [a, b] pairs, byte_fallback false}}

import Foundation

/// The HF tokenizer files of a GGUF vocabulary: `tokenizer.json`, `tokenizer_config.json` (special tokens, chat
/// template, `model_max_length`) and `special_tokens_map.json`.
///
/// Loading the written `tokenizer.json` with ``Tokenizer/load(tokenizerJSON:)`` (or with HF `tokenizers` /
/// transformers' `AutoTokenizer`) gives the ids that ``Tokenizer/fromGGUFVocabulary(_:)`` gives.
public struct HFTokenizerFiles: Sendable {
    /// `tokenizer.json`.
    public let tokenizerJSON: Data
    /// `tokenizer_config.json`.
    public let tokenizerConfigJSON: Data
    /// `special_tokens_map.json`.
    public let specialTokensMapJSON: Data

    /// The files as (file name, contents), in the order to write them.
    public var files: [(name: String, data: Data)] {
        [
            ("tokenizer.json", tokenizerJSON), ("tokenizer_config.json", tokenizerConfigJSON),
            ("special_tokens_map.json", specialTokensMapJSON)
        ]
    }

    /// Serialises `vocabulary` (which must be one ``Tokenizer/fromGGUFVocabulary(_:)`` accepts).
    ///
    /// - Parameter modelMaxLength: `model_max_length` for tokenizer_config.json (the model's context length);
    ///   omitted when nil.
    /// - Throws: the ``TokenizerError`` of ``Tokenizer/fromGGUFVocabulary(_:)``, or
    ///   ``TokenizerError/invalidGGUFVocabulary(key:reason:)`` for a stage this writer cannot express.
    public init(gguf vocabulary: GGUFVocabulary, modelMaxLength: Int? = nil) throws {
        let tokenizer = try Tokenizer.fromGGUFVocabulary(vocabulary)
        tokenizerJSON = try Self.tokenizerJSON(tokenizer, vocabulary)
        tokenizerConfigJSON = Self.tokenizerConfig(tokenizer, vocabulary, modelMaxLength: modelMaxLength)
        var map: [(String, JSONOut)] = []
        for (key, token) in [
            ("bos_token", tokenizer.bosToken), ("eos_token", tokenizer.eosToken),
            ("pad_token", tokenizer.padToken), ("unk_token", tokenizer.unkToken)
        ] {
            if let token { map.append((key, .string(token))) }
        }
        specialTokensMapJSON = JSONOut.object(map).encoded()
    }

    private static func fail(_ key: String, _ reason: String) -> TokenizerError {
        .invalidGGUFVocabulary(key: key, reason: reason)
    }

    private static func addedTokenFields(_ t: AddedToken) -> [(String, JSONOut)] {
        [
            ("content", .string(t.content)), ("single_word", .bool(t.singleWord)), ("lstrip", .bool(t.lstrip)),
            ("rstrip", .bool(t.rstrip)), ("normalized", .bool(t.normalized)), ("special", .bool(t.special))
        ]
    }

    private static func tokenizerJSON(_ tokenizer: Tokenizer, _ v: GGUFVocabulary) throws -> Data {
        guard let bpe = tokenizer.model as? BPEModel else {
            throw fail("tokenizer.ggml.model", "only a BPE model can be written as tokenizer.json")
        }
        // each distinct spelled token once, under the id the built vocabulary gives it (a repeat keeps its last id)
        var vocab: [(String, JSONOut)] = []
        vocab.reserveCapacity(bpe.vocabulary.tokens.count)
        for (id, token) in bpe.vocabulary.tokens.enumerated() {
            if let token, bpe.vocabulary.id(token) == id { vocab.append((token, .int(id))) }
        }
        // the builder validated every merge as "a b"
        let merges: [JSONOut] = v.merges.map { merge in
            .array(merge.split(separator: " ", omittingEmptySubsequences: false).map { .string(String($0)) })
        }
        let model: JSONOut = .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", bpe.unkToken.map(JSONOut.string) ?? .null),
            ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)),
            ("byte_fallback", .bool(false)), ("ignore_merges", .bool(false)),
            ("vocab", .object(vocab)), ("merges", .array(merges))
        ])
        let added = tokenizer.addedVocabulary.tokens.sorted { $0.id < $1.id }
            .map { JSONOut.object([("id", .int($0.id))] + addedTokenFields($0)) }
        guard tokenizer.normalizer == nil else {
            throw fail("tokenizer.ggml.pre", "a GGUF tokenizer with a normalizer cannot be written")
        }
        guard tokenizer.decoder is ByteLevelDecoder else {
            throw fail("tokenizer.ggml.model", "only the ByteLevel decoder can be written")
        }
        let root: JSONOut = .object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null),
            ("added_tokens", .array(added)), ("normalizer", .null),
            ("pre_tokenizer", try tokenizer.preTokenizer.map(preTokenizerJSON) ?? .null),
            ("post_processor", try tokenizer.postProcessor.map(postProcessorJSON) ?? .null),
            ("decoder", byteLevel(useRegex: true)),
            ("model", model)
        ])
        return root.encoded()
    }

    /// The ByteLevel object (pre-tokenizer, decoder and post-processor share its fields).
    private static func byteLevel(useRegex: Bool) -> JSONOut {
        .object([
            ("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)), ("trim_offsets", .bool(true)),
            ("use_regex", .bool(useRegex))
        ])
    }

    /// A built pre-tokenizer as tokenizer.json, for the stages `Tokenizer.preTokenizer(for:)` builds.
    private static func preTokenizerJSON(_ p: PreTokenizer) throws -> JSONOut {
        switch p {
        case let b as ByteLevelPreTokenizer:
            return .object([
                ("type", .string("ByteLevel")), ("add_prefix_space", .bool(b.addPrefixSpace)),
                ("trim_offsets", .bool(true)), ("use_regex", .bool(b.useRegex))
            ])
        case let d as DigitsPreTokenizer:
            return .object([("type", .string("Digits")), ("individual_digits", .bool(d.individualDigits))])
        case let s as SequencePreTokenizer:
            return .object([("type", .string("Sequence")), ("pretokenizers", .array(try s.preTokenizers.map(preTokenizerJSON)))])
        case let s as SplitPreTokenizer:
            let regex: String
            switch s.pattern {
            case let l as Llama3Pattern where l.maxDigits == 3: regex = llama3SplitRegex
            case let l as Llama3Pattern where l.maxDigits == 1: regex = qwen2SplitRegex
            case is GPT2Pattern: regex = gpt2SplitRegex
            default: throw fail("tokenizer.ggml.pre", "this Split pattern cannot be written as tokenizer.json")
            }
            return .object([
                ("type", .string("Split")), ("pattern", .object([("Regex", .string(regex))])),
                ("behavior", .string(s.behavior.rawValue)), ("invert", .bool(s.invert))
            ])
        default:
            throw fail("tokenizer.ggml.pre", "pre-tokenizer \(type(of: p)) cannot be written as tokenizer.json")
        }
    }

    /// A built post-processor as tokenizer.json (TemplateProcessing is the only one the GGUF path builds).
    private static func postProcessorJSON(_ p: PostProcessor) throws -> JSONOut {
        guard let t = p as? TemplateProcessing else {
            throw fail("tokenizer.ggml.add_bos_token", "post-processor \(type(of: p)) cannot be written as tokenizer.json")
        }
        func pieces(_ ps: [TemplateProcessing.Piece]) -> JSONOut {
            .array(
                ps.map { piece in
                    switch piece {
                    case let .special(name, typeId):
                        return .object([("SpecialToken", .object([("id", .string(name)), ("type_id", .int(typeId))]))])
                    case let .sequence(index, typeId):
                        return .object([("Sequence", .object([("id", .string(index == 0 ? "A" : "B")), ("type_id", .int(typeId))]))])
                    }
                })
        }
        let specials = t.specialTokens.sorted { $0.key < $1.key }.map { name, s in
            (
                name,
                JSONOut.object([
                    ("id", .string(name)), ("ids", .array(s.ids.map(JSONOut.int))),
                    ("tokens", .array(s.tokens.map(JSONOut.string)))
                ])
            )
        }
        return .object([
            ("type", .string("TemplateProcessing")), ("single", pieces(t.single)), ("pair", pieces(t.pair)),
            ("special_tokens", .object(specials))
        ])
    }

    private static func tokenizerConfig(_ tokenizer: Tokenizer, _ v: GGUFVocabulary, modelMaxLength: Int?) -> Data {
        var fields: [(String, JSONOut)] = [("add_bos_token", .bool(v.addBosToken ?? false)), ("add_eos_token", .bool(false))]
        let decoder = tokenizer.addedVocabulary.tokens.sorted { $0.id < $1.id }
            .map { (String($0.id), JSONOut.object(addedTokenFields($0))) }
        fields.append(("added_tokens_decoder", .object(decoder)))
        fields.append(("bos_token", tokenizer.bosToken.map(JSONOut.string) ?? .null))
        if let template = v.chatTemplate { fields.append(("chat_template", .string(template))) }
        fields.append(("clean_up_tokenization_spaces", .bool(false)))
        fields.append(("eos_token", tokenizer.eosToken.map(JSONOut.string) ?? .null))
        if let modelMaxLength { fields.append(("model_max_length", .int(modelMaxLength))) }
        fields.append(("pad_token", tokenizer.padToken.map(JSONOut.string) ?? .null))
        fields.append(("tokenizer_class", .string("PreTrainedTokenizerFast")))
        fields.append(("unk_token", tokenizer.unkToken.map(JSONOut.string) ?? .null))
        return JSONOut.object(fields).encoded()
    }
}

/// A JSON value to write, with object keys in the order given (Swift dictionaries would reorder them, and would
/// merge keys that are canonically equivalent but spelled with different scalars).
enum JSONOut {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    indirect case array([JSONOut])
    indirect case object([(String, JSONOut)])

    /// Pretty-printed UTF-8 (2-space indent, as `tokenizers` saves), with a final newline. Arrays of scalars stay
    /// on one line.
    func encoded() -> Data {
        var out: [UInt8] = []
        write(into: &out, indent: 0)
        out.append(0x0A)
        return Data(out)
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private func write(into out: inout [UInt8], indent: Int) {
        func newline(_ level: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: 2 * level))
        }
        switch self {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .int(let i): out.append(contentsOf: Array(String(i).utf8))
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            let inline = items.allSatisfy(\.isScalar)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")); if inline { out.append(0x20) } }
                if !inline { newline(indent + 1) }
                item.write(into: &out, indent: indent + 1)
            }
            if !inline, !items.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1)
                Self.writeString(key, into: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
                value.write(into: &out, indent: indent + 1)
            }
            if !fields.isEmpty { newline(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, … or `\u00XX`, the rest as UTF-8.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    hex[Int(byte >> 4)], hex[Int(byte & 0xF)]
                ])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
