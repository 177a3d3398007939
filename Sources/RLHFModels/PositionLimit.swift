// How long an input a model takes, and the checks an entry point runs on token ids before a forward pass,
// so that no user text reaches a kernel's precondition (an embedding row past the position table, an
// empty sequence, an id outside the vocabulary).
//
// Positions are a hard limit where they are a learned table (BERT's and GPT-2's position embeddings: row
// T does not exist), a soft one for rotary positions (Llama: any position computes, but the model never
// saw those past its context length). Over a configured length (`max_length`) the policy follows
// transformers: a length above a learned table is lowered to it with a warning (as its examples lower
// `block_size` to `model_max_length`); above a rotary context it is kept, with a warning.

/// The positions a model was built for.
public struct PositionLimit: Sendable, Equatable {
    /// Number of positions: `max_position_embeddings`, `n_positions`, or GGUF `llama.context_length`.
    public var count: Int
    /// The config key that sets `count`, for messages.
    public var key: String
    /// true for a learned position table (BERT, GPT-2): a longer sequence cannot run. false for rotary
    /// positions (Llama): it runs, past what the model was trained on.
    public var isHard: Bool

    /// A limit of `count` positions set by config key `key`; `isHard` for a learned table.
    public init(count: Int, key: String, isHard: Bool) {
        self.count = count; self.key = key; self.isHard = isHard
    }

    /// "512 positions (max_position_embeddings)".
    public var phrase: String { "\(count) positions (\(key))" }

    /// The length to use for a configured length `requested` (`key`: the config key, e.g. "max_length"),
    /// and a warning line when `requested` passes the model's positions: over a learned table the length
    /// is lowered to `count`; over a rotary context it is kept.
    public func length(for requested: Int, key requestedKey: String) -> (length: Int, warning: String?) {
        guard requested > count else { return (requested, nil) }
        if isHard {
            return (count, "warning: \(requestedKey) \(requested) is more than the model's \(phrase); using \(count)")
        }
        return (
            requested,
            "warning: \(requestedKey) \(requested) is more than the model's context of \(phrase); "
                + "it was never trained on positions past \(count)"
        )
    }
}

extension LlamaForCausalLM {
    /// Rotary positions: `max_position_embeddings` (GGUF `llama.context_length`; 2048 when absent, as
    /// transformers' default).
    public var positionLimit: PositionLimit {
        PositionLimit(count: config.maxPositionEmbeddings ?? 2048, key: contextKey, isHard: false)
    }
}

extension GPT2LMHeadModel {
    /// The learned position table: `n_positions`.
    public var positionLimit: PositionLimit { PositionLimit(count: config.nPositions, key: "n_positions", isHard: true) }
}

extension BertModel {
    /// The learned position table: `max_position_embeddings`.
    public var positionLimit: PositionLimit {
        PositionLimit(count: config.maxPositionEmbeddings, key: "max_position_embeddings", isHard: true)
    }
}

extension Architecture {
    /// The positions of the model.
    public var positionLimit: PositionLimit {
        switch self {
        case .bert(let m): return m.positionLimit
        case .llama(let m): return m.positionLimit
        case .gpt2(let m): return m.positionLimit
        }
    }

    /// Rows of the embedding matrix (token ids must be below it).
    public var vocabularySize: Int {
        switch self {
        case .bert(let m): return m.config.vocabSize
        case .llama(let m): return m.config.vocabSize
        case .gpt2(let m): return m.config.vocabSize
        }
    }

    /// The BOS token id of a decoder's config (nil for encoders and configs without one).
    public var bosTokenId: Int? {
        switch self {
        case .bert: return nil
        case .llama(let m): return m.config.bosTokenId
        case .gpt2(let m): return m.config.bosTokenId
        }
    }

    /// Checks the token ids of one sequence before a forward pass.
    ///
    /// - Parameter source: names the input in messages (a path, or a flag such as `--text`).
    /// - Throws: `ModelError.invalidInput` when there are no ids, more than a learned position table holds
    ///   (rotary positions run at any length), or an id outside the vocabulary (a tokenizer that does not
    ///   belong to the model).
    public func checkInput(_ ids: [Int], source: String) throws {
        guard !ids.isEmpty else { throw ModelError.invalidInput(source: source, reason: "the text encodes to no tokens") }
        let limit = positionLimit
        if limit.isHard && ids.count > limit.count {
            throw ModelError.invalidInput(source: source, reason: "\(ids.count) tokens are more than the model's \(limit.phrase)")
        }
        let v = vocabularySize
        if let bad = ids.first(where: { $0 < 0 || $0 >= v }) {
            throw ModelError.invalidInput(
                source: source,
                reason: "token id \(bad) is outside the model's vocabulary of \(v) "
                    + "(vocab_size): the tokenizer does not match the model")
        }
    }
}
