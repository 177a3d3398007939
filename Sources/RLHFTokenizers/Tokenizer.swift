// Tokenizer: the HF `tokenizers` pipeline (added tokens → normalizer → pre-tokenizer → model → post-processor, and a
// decoder back) plus the special tokens and chat template that transformers keeps next to it. Loading lives in
// Tokenizer+Load.swift and GGUFVocabulary.swift, encoding and decoding in Tokenizer+Encode.swift.

/// A text tokenizer compatible with HuggingFace `tokenizers` / `transformers`.
///
/// Build one with ``load(tokenizerJSON:)`` (a HF `tokenizer.json`, plus `tokenizer_config.json` and
/// `chat_template.jinja` next to it when present) or ``fromGGUFVocabulary(_:)`` (the vocabulary of a GGUF file).
/// A tokenizer is immutable after loading (its only mutable state is an internal, locked cache), so one instance can
/// be shared across threads.
public final class Tokenizer: @unchecked Sendable {
    let addedVocabulary: AddedVocabulary
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: TokenizationModel
    let postProcessor: PostProcessor?
    let decoder: Decoder?

    /// Where the tokenizer came from (a file path, or "GGUF vocabulary"), for messages.
    public let source: String
    /// The beginning-of-sequence token, when the tokenizer has one (from tokenizer_config.json or GGUF metadata).
    public let bosToken: String?
    /// The end-of-sequence token.
    public let eosToken: String?
    /// The padding token.
    public let padToken: String?
    /// The unknown token.
    public let unkToken: String?
    /// Id of ``bosToken``.
    public let bosTokenId: Int?
    /// Id of ``eosToken``.
    public let eosTokenId: Int?
    /// Id of ``padToken``.
    public let padTokenId: Int?
    /// Id of ``unkToken``.
    public let unkTokenId: Int?
    /// The chat template, when one was found and recognised (see ``chatTemplateText`` and ``requireChatTemplate()``).
    public let chatTemplate: ChatTemplate?
    /// The chat template's source text as found, recognised or not.
    public let chatTemplateText: String?
    /// Why ``chatTemplateText`` was not recognised, when it was not.
    public let chatTemplateError: TokenizerError?
    /// `model_max_length` from tokenizer_config.json; nil when absent or transformers' "unlimited" sentinel.
    public let modelMaxLength: Int?
    /// The `truncation` section of tokenizer.json. Informational: like transformers, ``encode(_:addSpecialTokens:)``
    /// does not apply it; pass it to ``encodeBatch(_:addSpecialTokens:padding:truncation:padTokenId:)`` to use it.
    public let defaultTruncation: Truncation?
    /// The `padding` section of tokenizer.json, informational like ``defaultTruncation``.
    public let defaultPadding: Padding?
    private let distinctTokenCount: Int

    struct SpecialTokens {
        var bos: String?
        var eos: String?
        var pad: String?
        var unk: String?
    }

    init(
        source: String, addedTokens: [AddedToken], normalizer: Normalizer?, preTokenizer: PreTokenizer?,
        model: TokenizationModel, postProcessor: PostProcessor?, decoder: Decoder?, specials: SpecialTokens,
        chatTemplateText: String?, modelMaxLength: Int?, defaultTruncation: Truncation?,
        defaultPadding: Padding?
    ) throws {
        self.source = source
        addedVocabulary = AddedVocabulary(addedTokens, normalizer: normalizer)
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.modelMaxLength = modelMaxLength
        self.defaultTruncation = defaultTruncation
        self.defaultPadding = defaultPadding
        var extra = Set<TokenKey>()
        for t in addedTokens where model.vocabulary.id(t.content) == nil { extra.insert(TokenKey(t.content)) }
        distinctTokenCount = model.vocabulary.count + extra.count

        let added = addedVocabulary
        func resolve(_ token: String?, _ key: String) throws -> Int? {
            guard let token else { return nil }
            if let id = added.id(token) ?? model.vocabulary.id(token) { return id }
            throw TokenizerError.invalidValue(file: source, path: key, reason: "token \"\(token)\" is not in the vocabulary")
        }
        bosToken = specials.bos
        eosToken = specials.eos
        padToken = specials.pad
        unkToken = specials.unk ?? model.unkToken
        bosTokenId = try resolve(specials.bos, "bos_token")
        eosTokenId = try resolve(specials.eos, "eos_token")
        padTokenId = try resolve(specials.pad, "pad_token")
        unkTokenId = try resolve(unkToken, "unk_token")

        self.chatTemplateText = chatTemplateText
        if let text = chatTemplateText {
            do {
                chatTemplate = try ChatTemplate(template: text, bosToken: specials.bos, eosToken: specials.eos)
                chatTemplateError = nil
            } catch let error as TokenizerError {
                chatTemplate = nil
                chatTemplateError = error
            }
        } else {
            chatTemplate = nil
            chatTemplateError = nil
        }
    }

    /// The chat template, or an error saying why there is none (absent, or a template family not recognised).
    public func requireChatTemplate() throws -> ChatTemplate {
        if let chatTemplate { return chatTemplate }
        if let chatTemplateError { throw chatTemplateError }
        throw TokenizerError.missingChatTemplate(source: source)
    }

    /// The id of a token (added tokens first, then the model's vocabulary); nil when it has none.
    public func tokenToId(_ token: String) -> Int? {
        addedVocabulary.id(token) ?? model.vocabulary.id(token)
    }

    /// The text of a token id as the vocabulary spells it; nil for an unknown id.
    public func idToToken(_ id: Int) -> String? {
        addedVocabulary.token(id)?.content ?? model.vocabulary.token(id)
    }

    /// Number of distinct tokens, added tokens included (HF `get_vocab_size(with_added_tokens: true)`,
    /// transformers' `len(tokenizer)`).
    public var vocabularySize: Int { distinctTokenCount }

    /// Whether `id` is a special added token (what `skipSpecialTokens` removes when decoding).
    public func isSpecialToken(_ id: Int) -> Bool { addedVocabulary.isSpecial(id) }
}
