// A reward model: a pretrained transformer and a scalar head, laid out as transformers'
// `*ForSequenceClassification` with one label, so that its checkpoints load there.
//
//   encoder (BERT family)  `hf`:  r = classifier(tanh(pooler.dense(h[:, 0])))   (BertForSequenceClassification)
//                          `cls`: r = classifier(h[:, 0])                         (a linear map of the raw [CLS] state)
//   decoder (Llama, GPT-2):       r = score(h[b, last_b])                         (LlamaForSequenceClassification)
//
// where last_b is the last real (attention-mask 1) position of row b: batches are right-padded.
// Keys: `bert.*` + `classifier.{weight,bias}`; `model.*` + `score.weight`; `transformer.*` + `score.weight`.

import Foundation
import RLHFNN
import RLHFTensor
import RLHFTokenizers

/// Where an encoder reward model reads its score from.
public enum RewardHeadKind: String, Codable, Sendable, CaseIterable {
    /// Pooler (dense + tanh on [CLS]) then a linear map, as `BertForSequenceClassification` (the default).
    case hf
    /// A linear map of the raw [CLS] hidden state (no pooler). transformers' BERT classifier always applies
    /// its pooler, so exports of this form do not reproduce their scores there.
    case cls
}

/// A transformer with a scalar head, scoring whole sequences.
public final class RewardModel: Module, @unchecked Sendable {
    /// The trunk.
    public let backbone: Architecture
    /// Encoder head form (ignored for decoders, which always score the last real token).
    public let headKind: RewardHeadKind
    /// The pooler of the `hf` head (the backbone's own, or a new one when the checkpoint has none).
    public let pooler: BertPooler?
    /// [1, d] (+ bias [1] for encoders, as HF: `classifier`; decoders: `score`, no bias).
    public let head: Linear
    /// Tokenizer of the backbone (texts are encoded with it).
    public let tokenizer: Tokenizer

    /// Wraps `backbone` with a new head drawn from N(0, 1/√(d+1)), bias 0 (TRL's initialisation).
    public init(backbone: Architecture, tokenizer: Tokenizer, headKind: RewardHeadKind = .hf, rng: inout RandomGenerator) {
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.headKind = headKind
        let d = RewardModel.hiddenSize(of: backbone)
        let isEncoder: Bool
        if case .bert(let bert) = backbone {
            isEncoder = true
            pooler = headKind == .hf ? (bert.pooler ?? BertPooler(bert.config, rng: &rng)) : nil
        } else {
            isEncoder = false
            pooler = nil
        }
        head = Linear(d, 1, bias: isEncoder, rng: &rng)
        head.weight.assign(Tensor.normal([1, d], std: 1 / Float(d + 1).squareRoot(), using: &rng))
        head.bias?.assign(Tensor.zeros([1]))
        super.init()
    }

    /// Hidden size d of a backbone.
    public static func hiddenSize(of backbone: Architecture) -> Int {
        switch backbone {
        case .bert(let m): return m.config.hiddenSize
        case .llama(let m): return m.config.hiddenSize
        case .gpt2(let m): return m.config.nEmbd
        }
    }

    /// Whether the backbone is an encoder (bidirectional attention).
    public var isEncoder: Bool {
        if case .bert = backbone { return true }
        return false
    }

    /// The head's key: `classifier` for encoders, `score` for decoders.
    public var headKey: String { isEncoder ? "classifier" : "score" }

    /// The backbone's key prefix in transformers' sequence-classification layout.
    public var backboneKey: String {
        switch backbone {
        case .bert: return "bert"
        case .llama: return "model"
        case .gpt2: return "transformer"
        }
    }

    /// The HF layout: the backbone trunk under its prefix (plus a new pooler), then the head.
    override public func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = []
        switch backbone {
        case .bert(let m):
            out.append(("bert", m))
            if let pooler, m.pooler == nil { out.append(("bert.pooler", pooler)) }
        case .llama(let m): out.append(("model", m.model))
        case .gpt2(let m): out.append(("transformer", m.transformer))
        }
        out.append((headKey, head))
        return out
    }

    /// None: every parameter belongs to a child in `namedChildren()`.
    override public func namedOwnParameters() -> [(String, Parameter)] { [] }

    // MARK: Text

    /// Token ids (and segment ids) of one scored text.
    ///
    /// Encoders take an explicit prompt and the response as a sentence pair (`[CLS] prompt [SEP] response
    /// [SEP]`, segment ids 0/1), the input BERT was pre-trained on; a single text is one sequence. Decoders
    /// read `prompt + response` as one text, as TRL concatenates it, with EOS appended when it is not the
    /// last token already.
    public func encode(prompt: String?, response: String) -> (ids: [Int], typeIds: [Int]) {
        if isEncoder {
            let e = tokenizer.encode(prompt ?? response, pair: prompt == nil ? nil : response)
            return (e.ids, e.typeIds)
        }
        var ids = tokenizer.encode((prompt ?? "") + response)
        if let eos = tokenizer.eosTokenId, ids.last != eos { ids.append(eos) }
        return (ids, Array(repeating: 0, count: ids.count))
    }

    // MARK: Forward

    /// Scores [B] of a right-padded batch.
    ///
    /// - Parameters:
    ///   - ids: B·T token ids, row-major, each row right-padded.
    ///   - typeIds: B·T segment ids (encoders; nil: all 0).
    ///   - lengths: the number of real tokens of each row (1…T).
    public func callAsFunction(ids: [Int], typeIds: [Int]? = nil, lengths: [Int]) -> Tensor {
        let b = lengths.count
        precondition(b > 0 && ids.count % b == 0, "RewardModel: \(ids.count) ids for \(b) rows")
        let t = ids.count / b
        precondition(lengths.allSatisfy { $0 >= 1 && $0 <= t }, "RewardModel: row lengths \(lengths) outside 1…\(t)")
        let padded = lengths.contains { $0 < t }
        let mask = padded ? Tensor(lengths.flatMap { n in (0..<t).map { $0 < n ? Float(1) : 0 } }, shape: [b, t]) : nil
        let features: Tensor
        switch backbone {
        case .bert(let m):
            // both heads read [CLS] only, so the last layer runs for position 0 alone
            let h = m(ids: ids, batch: b, attentionMask: mask, tokenTypeIds: typeIds, firstPositionOnly: true)
            if let pooler { features = pooler(h) } else { features = h.sliced(axis: 1, 0, 1).squeezed(1) }
        case .llama(let m):
            features = lastRows(m.hiddenStates(ids: ids, batch: b, attentionMask: mask), lengths: lengths)
        case .gpt2(let m):
            features = lastRows(m.hiddenStates(ids: ids, batch: b, attentionMask: mask, positions: nil, cache: nil), lengths: lengths)
        }
        return head(features).reshaped([b])
    }

    /// The longest encoding `score` runs for a requested `maxLength` (nil: no limit): at most a learned
    /// position table's size (BERT, GPT-2), which it cannot run past.
    public func scoredLength(_ maxLength: Int? = nil) -> Int? {
        let limit = backbone.positionLimit
        guard limit.isHard else { return maxLength }
        return min(maxLength ?? limit.count, limit.count)
    }

    /// Rows h[b, lengths[b] − 1] of [B, T, C] → [B, C].
    private func lastRows(_ h: Tensor, lengths: [Int]) -> Tensor {
        let (b, t, c) = (h.shape[0], h.shape[1], h.shape[2])
        return h.reshaped([b * t, c]).indexSelect(axis: 0, lengths.enumerated().map { $0.offset * t + $0.element - 1 })
    }

    /// Scores of texts, in batches of `batchSize` (no gradient).
    ///
    /// - Parameter maxLength: longer encodings keep their first `maxLength − 1` tokens and their last one
    ///   (the closing special token); nil: no limit. Encodings longer than a learned position table (BERT,
    ///   GPT-2 backbones) are cut to it the same way, whatever `maxLength` says (`scoredLength` tells).
    public func score(_ items: [(prompt: String?, response: String)], batchSize: Int = 32, maxLength: Int? = nil) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(items.count)
        let padId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0
        let maxLength = scoredLength(maxLength)
        for start in stride(from: 0, to: items.count, by: max(1, batchSize)) {
            let chunk = items[start..<min(items.count, start + max(1, batchSize))]
            let encoded = chunk.map { item -> (ids: [Int], typeIds: [Int]) in
                let e = encode(prompt: item.prompt, response: item.response)
                return maxLength.map { truncateKeepingLast(e, to: $0) } ?? e
            }
            let batch = RewardBatch(encoded, padId: padId)
            let r = withNoGrad { self(ids: batch.ids, typeIds: batch.typeIds, lengths: batch.lengths) }
            out += r.scalars
        }
        return out
    }
}

/// Keep-start truncation that keeps the final token (a closing `[SEP]` or EOS): the first `n − 1` ids and
/// the last one (n ≥ 1; for n < 1 the encoding is returned whole).
public func truncateKeepingLast(_ e: (ids: [Int], typeIds: [Int]), to n: Int) -> (ids: [Int], typeIds: [Int]) {
    guard e.ids.count > n, n >= 1 else { return e }
    return (Array(e.ids.prefix(n - 1)) + [e.ids[e.ids.count - 1]], Array(e.typeIds.prefix(n - 1)) + [e.typeIds[e.typeIds.count - 1]])
}

/// Encoded texts right-padded into one batch.
public struct RewardBatch: Sendable {
    /// B·T ids, right-padded with the pad id.
    public let ids: [Int]
    /// B·T segment ids (0 on padding).
    public let typeIds: [Int]
    /// Real tokens per row.
    public let lengths: [Int]

    /// Pads every row to the longest.
    public init(_ rows: [(ids: [Int], typeIds: [Int])], padId: Int) {
        let t = rows.map(\.ids.count).max() ?? 0
        var ids: [Int] = [], types: [Int] = []
        ids.reserveCapacity(rows.count * t); types.reserveCapacity(rows.count * t)
        for r in rows {
            ids += r.ids + Array(repeating: padId, count: t - r.ids.count)
            types += r.typeIds + Array(repeating: 0, count: t - r.typeIds.count)
        }
        self.ids = ids; self.typeIds = types
        lengths = rows.map(\.ids.count)
    }
}
