// Autoregressive generation with a KV cache: batched prompts with left padding, greedy or sampled
// (temperature, top-k, top-p), stopping on stop tokens or stop strings. Returns the tokens and their
// log-probabilities under the sampling distribution (PPO reuses them as the old policy's log-probs).
//
// Shapes: B prompts, P longest prompt, V vocabulary. The prefill runs [B, P]; each later step [B, 1].
// Positions follow the attention mask as in transformers' generate: position = cumsum(mask) − 1.

import RLHFNN
import RLHFTensor

/// A decoder that `generate` can drive (Llama, GPT-2).
public protocol CausalLanguageModel: Module {
    /// Vocabulary size V.
    var vocabularySize: Int { get }
    /// The positions the model was built for (a learned table for GPT-2: no position past it can run).
    var positionLimit: PositionLimit { get }
    /// An empty KV cache for this model, reserving `capacity` positions.
    func makeCache(capacity: Int) -> KVCache
    /// Final hidden states [B, T, C] (see `LlamaForCausalLM.hiddenStates`).
    func hiddenStates(ids: [Int], batch: Int, attentionMask: Tensor?, positions: [Int]?, cache: KVCache?) -> Tensor
    /// Logits [B, T, V] of hidden states.
    func logits(fromHidden h: Tensor) -> Tensor
}

extension LlamaForCausalLM: CausalLanguageModel {
    /// The config's `vocab_size`.
    public var vocabularySize: Int { config.vocabSize }
}

extension GPT2LMHeadModel: CausalLanguageModel {
    /// The config's `vocab_size`.
    public var vocabularySize: Int { config.vocabSize }
}

/// How to pick tokens and when to stop.
public struct GenerationConfig: Sendable {
    /// Most tokens generated per prompt.
    public var maxNewTokens: Int = 64
    /// 0 picks the most likely token (greedy); otherwise logits are divided by it before sampling.
    public var temperature: Float = 0
    /// Sample only among the k most likely tokens.
    public var topK: Int? = nil
    /// Sample only among the smallest set of tokens whose probability reaches p (nucleus).
    public var topP: Float? = nil
    /// Tokens that end a sequence (kept as its last token), e.g. EOS.
    public var stopTokenIds: Set<Int> = []
    /// Texts that end a sequence once the decoded continuation contains them (needs `decode`).
    public var stopStrings: [String] = []

    /// A config; every argument defaults as its property does (greedy, 64 new tokens, no stop tokens or texts).
    public init(
        maxNewTokens: Int = 64, temperature: Float = 0, topK: Int? = nil, topP: Float? = nil,
        stopTokenIds: Set<Int> = [], stopStrings: [String] = []
    ) {
        self.maxNewTokens = maxNewTokens; self.temperature = temperature; self.topK = topK; self.topP = topP
        self.stopTokenIds = stopTokenIds; self.stopStrings = stopStrings
    }
}

/// What `generate` returns, per prompt.
public struct GenerationOutput: Sendable {
    /// Generated tokens, ending with the stop token when one was produced.
    public var tokens: [[Int]]
    /// log p(token) under softmax(logits / temperature) (temperature 1 when greedy), one per token.
    public var logProbs: [[Float]]
    /// Whether the sequence stopped on a stop token or string (false: ran out of `maxNewTokens`).
    public var stopped: [Bool]
}

/// Generates continuations of `prompts` (token ids, any lengths) in one left-padded batch.
///
/// On a model with a learned position table (GPT-2), generation also stops when the longest prompt plus
/// the new tokens fill the table (as transformers' `max_length`: nothing is generated for a prompt that
/// fills it already); check prompts against `model.positionLimit` first (`Architecture.checkInput`).
///
/// - Precondition: at least one prompt, none empty, none longer than a learned position table.
/// - Parameters:
///   - padTokenId: fills the left padding (masked out; its value does not matter).
///   - decode: turns tokens into text, for `stopStrings`.
///   - onToken: called after each step with the new token of every still-running sequence (streaming).
///   - onHidden: called at each step, before the token is picked, with the final hidden states [B, C] of
///     the position that predicts it (every row; rows already finished are padding). PPO reads its values
///     there instead of running the model again.
public func generate(
    _ model: CausalLanguageModel, prompts: [[Int]], config: GenerationConfig, padTokenId: Int = 0,
    rng: inout RandomGenerator, decode: (([Int]) -> String)? = nil,
    onToken: ((_ sequence: Int, _ token: Int) -> Void)? = nil,
    onHidden: ((_ hidden: Tensor) -> Void)? = nil
) -> GenerationOutput {
    generate(
        model, prompts: prompts, config: config, padTokenId: padTokenId, uniform: { _ in rng.nextDouble() }, decode: decode,
        onToken: onToken, onHidden: onHidden)
}

/// As `generate(_:prompts:config:padTokenId:rng:…)`, with a generator of its own for each row: row `i`
/// draws only from `rngs[i]`, so what a prompt samples does not depend on the other prompts of the batch
/// (data parallelism seeds each prompt by itself and may batch prompts in any split).
///
/// - Precondition: one generator per prompt.
public func generate(
    _ model: CausalLanguageModel, prompts: [[Int]], config: GenerationConfig, padTokenId: Int = 0,
    rngs: inout [RandomGenerator], decode: (([Int]) -> String)? = nil,
    onToken: ((_ sequence: Int, _ token: Int) -> Void)? = nil,
    onHidden: ((_ hidden: Tensor) -> Void)? = nil
) -> GenerationOutput {
    precondition(rngs.count == prompts.count, "generate: \(rngs.count) generators for \(prompts.count) prompts")
    return generate(
        model, prompts: prompts, config: config, padTokenId: padTokenId, uniform: { rngs[$0].nextDouble() }, decode: decode,
        onToken: onToken, onHidden: onHidden)
}

/// The decoding loop; `uniform(i)` draws row `i`'s next number in [0, 1).
func generate(
    _ model: CausalLanguageModel, prompts: [[Int]], config: GenerationConfig, padTokenId: Int,
    uniform: (Int) -> Double, decode: (([Int]) -> String)?,
    onToken: ((_ sequence: Int, _ token: Int) -> Void)?,
    onHidden: ((_ hidden: Tensor) -> Void)?
) -> GenerationOutput {
    precondition(!prompts.isEmpty && prompts.allSatisfy { !$0.isEmpty }, "generate: every prompt needs at least one token")
    let b = prompts.count, p = prompts.map(\.count).max()!
    let limit = model.positionLimit
    precondition(!limit.isHard || p <= limit.count, "generate: a prompt of \(p) tokens is longer than the model's \(limit.phrase)")
    // prompt + response must fit the table whole (PPO and reward models run it again in one pass): p + n ≤ count
    let steps = limit.isHard ? min(max(config.maxNewTokens, 0), limit.count - p) : max(config.maxNewTokens, 0)
    var ids: [Int] = [], mask: [Float] = [], positions: [Int] = []
    for prompt in prompts {
        let pad = p - prompt.count
        ids += Array(repeating: padTokenId, count: pad) + prompt
        mask += Array(repeating: 0, count: pad) + Array(repeating: 1, count: prompt.count)
        positions += Array(repeating: 1, count: pad) + Array(0..<prompt.count)   // HF fills padded positions with 1
    }
    // a prompt shared by several rows (GRPO's groups) is prefilled once; the rows then decode on copies of its cache
    let shared = distinctRows(prompts)
    var prefill: (ids: [Int], mask: [Float], positions: [Int]) = ([], [], [])
    for prompt in shared?.rows ?? [] {
        let pad = p - prompt.count
        prefill.ids += Array(repeating: padTokenId, count: pad) + prompt
        prefill.mask += Array(repeating: 0, count: pad) + Array(repeating: 1, count: prompt.count)
        prefill.positions += Array(repeating: 1, count: pad) + Array(0..<prompt.count)
    }
    var nextPosition = prompts.map(\.count)
    var out = GenerationOutput(
        tokens: Array(repeating: [], count: b), logProbs: Array(repeating: [], count: b),
        stopped: Array(repeating: false, count: b))
    // the cache reserves up to the model's context and grows past it (max_new_tokens may be anything)
    let reserve = max(p + 1, limit.count)
    let cache = model.makeCache(capacity: steps > reserve - p ? reserve : p + steps)
    return withNoGrad {
        var stepIds = ids, stepPositions = positions, t = p
        let needsMask = mask.contains(0)
        for step in 0..<steps {
            let lastHidden: Tensor
            if step == 0, let shared {
                let d = shared.rows.count
                let maskTensor = prefill.mask.contains(0) ? Tensor(prefill.mask, shape: [d, p]) : nil
                let h = model.hiddenStates(ids: prefill.ids, batch: d, attentionMask: maskTensor, positions: prefill.positions, cache: cache)
                cache.selectRows(shared.rowOf)
                lastHidden = h.sliced(axis: 1, p - 1, p).indexSelect(axis: 0, shared.rowOf)
            } else {
                let maskTensor = needsMask ? Tensor(mask, shape: [b, mask.count / b]) : nil
                let h = model.hiddenStates(ids: stepIds, batch: b, attentionMask: maskTensor, positions: stepPositions, cache: cache)
                lastHidden = h.sliced(axis: 1, t - 1, t)
            }
            onHidden?(lastHidden.reshaped([b, lastHidden.shape[2]]))
            let last = model.logits(fromHidden: lastHidden).reshaped([b, model.vocabularySize])
            let (tokens, logProbs) = pickTokens(last, config: config, uniform: uniform)
            var newIds: [Int] = []
            for i in 0..<b {
                if out.stopped[i] { newIds.append(padTokenId); continue }
                out.tokens[i].append(tokens[i]); out.logProbs[i].append(logProbs[i])
                onToken?(i, tokens[i])
                if config.stopTokenIds.contains(tokens[i]) {
                    out.stopped[i] = true
                } else if !config.stopStrings.isEmpty, let decode {
                    let text = decode(out.tokens[i])
                    if config.stopStrings.contains(where: { text.contains($0) }) { out.stopped[i] = true }
                }
                newIds.append(tokens[i])
            }
            if out.stopped.allSatisfy({ $0 }) { break }
            // the next step feeds one token per row; finished rows feed padding that stays masked out
            var newMask = [Float](), newPositions = [Int]()
            for i in 0..<b {
                let row = Array(mask[(i * mask.count / b)..<((i + 1) * mask.count / b)])
                newMask += row + [1]
                newPositions.append(nextPosition[i]); nextPosition[i] += 1
            }
            mask = newMask
            stepIds = newIds; stepPositions = newPositions; t = 1
        }
        return out
    }
}

/// The distinct rows of `rows` in first-seen order and each row's index among them; nil when no two rows are
/// equal or a row is empty (sharing would save nothing).
public func distinctRows(_ rows: [[Int]]) -> (rows: [[Int]], rowOf: [Int])? {
    var index: [[Int]: Int] = [:], distinct: [[Int]] = [], rowOf: [Int] = []
    for q in rows {
        if q.isEmpty { return nil }
        if let k = index[q] {
            rowOf.append(k)
        } else {
            index[q] = distinct.count; rowOf.append(distinct.count); distinct.append(q)
        }
    }
    return distinct.count < rows.count ? (distinct, rowOf) : nil
}

/// One token per row of logits [B, V], with its log-probability under the sampling distribution.
func pickTokens(_ logits: Tensor, config: GenerationConfig, uniform: (Int) -> Double) -> ([Int], [Float]) {
    let (b, v) = (logits.shape[0], logits.shape[1])
    let temperature = config.temperature > 0 ? config.temperature : 1
    let scaled = (logits * (1 / temperature)).contiguous()
    let logp = logSoftmax(scaled, axis: -1).scalars
    let x = scaled.scalars
    var tokens: [Int] = [], lps: [Float] = []
    var plainWeights = [Float](repeating: 0, count: v)
    for i in 0..<b {
        if config.temperature > 0 && config.topK == nil && config.topP == nil {
            let pick = x.withUnsafeBufferPointer { all in
                plainWeights.withUnsafeMutableBufferPointer { sampleWhole(row: all.baseAddress! + i * v, count: v, weights: $0, uniform: uniform(i)) }
            }
            tokens.append(pick)
            lps.append(logp[i * v + pick])
            continue
        }
        let row = Array(x[(i * v)..<((i + 1) * v)])
        var pick: Int
        if config.temperature <= 0 {
            pick = 0
            for j in 1..<v where row[j] > row[pick] { pick = j }
        } else {
            // candidates: all, the top k, then the nucleus of probability top p
            var order = Array(0..<v)
            if config.topK != nil || config.topP != nil { order.sort { row[$0] > row[$1] } }
            if let k = config.topK, k > 0 { order = Array(order.prefix(k)) }
            let m = order.map { row[$0] }.max() ?? 0
            var weights = order.map { Double(sexp(row[$0] - m)) }
            if let topP = config.topP, topP < 1 {
                let total = weights.reduce(0, +)
                var acc = 0.0, keep = 0
                for w in weights { acc += w / total; keep += 1; if acc >= Double(topP) { break } }
                order = Array(order.prefix(keep)); weights = Array(weights.prefix(keep))
            }
            let total = weights.reduce(0, +)
            var u = uniform(i) * total
            pick = order.last!
            for (j, w) in zip(order, weights) { if u < w { pick = j; break }; u -= w }
        }
        tokens.append(pick)
        lps.append(logp[i * v + pick])
    }
    return (tokens, lps)
}

/// Plain sampling over a whole row of `count` scaled logits, in id order: the general path's weights
/// exp(x − max) by the same formula (`vexp`, 16 lanes at a time, so each weight is bit for bit `sexp`'s), summed
/// and walked in Double as there; `weights` is scratch of `count` floats.
func sampleWhole(row: UnsafePointer<Float>, count v: Int, weights w: UnsafeMutableBufferPointer<Float>, uniform: Double) -> Int {
    var m = row[0]
    for j in 1..<v where row[j] > m { m = row[j] }
    let vm = Vec(repeating: m)
    var j = 0
    while j + 16 <= v {
        vstore(vexp(vload(row + j) - vm), w.baseAddress! + j)
        j += 16
    }
    while j < v {
        w[j] = sexp(row[j] - m)
        j += 1
    }
    let total = w.reduce(0.0) { $0 + Double($1) }
    var u = uniform * total
    for k in 0..<v {
        if u < Double(w[k]) { return k }
        u -= Double(w[k])
    }
    return v - 1
}
