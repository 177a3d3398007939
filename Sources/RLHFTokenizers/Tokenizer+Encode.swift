// Encoding and decoding: the pipeline run on one input, pairs, batches with truncation and padding, and decode.
import Foundation

extension AlignedText {
    /// Scalars `range` of this text, keeping their alignments.
    func slice(_ range: Range<Int>) -> AlignedText {
        var out = AlignedText()
        out.scalars = Array(scalars[range])
        out.starts = Array(starts[range])
        out.ends = Array(ends[range])
        return out
    }
}

extension Tokenizer {
    // MARK: Pipeline

    /// Runs added tokens → normalizer → pre-tokenizer → model on `text`, calling `emit(id, byteRange, text)` per
    /// token in order. `text` is the matched text for added tokens (HF reports it, stripped spaces included) and nil
    /// for model tokens. Byte ranges are only computed when `offsets` is true (otherwise 0..<0).
    func runPipeline(_ text: String, offsets: Bool, _ emit: (Int, Range<Int>, String?) -> Void) {
        let raw = AlignedText(Substring(text), base: 0)
        var tokens: [ModelToken] = []
        for split in addedVocabulary.rawMatcher.split(raw.scalars, 0..<raw.count) {
            if let id = split.tokenId {
                emit(id, offsets ? raw.originalRange(split.range) : 0..<0, offsets ? raw.string(split.range) : nil)
                continue
            }
            var segment = raw.slice(split.range)
            if let normalizer { segment = normalizer.normalize(segment) }
            for sub in addedVocabulary.normalizedMatcher.split(segment.scalars, 0..<segment.count) {
                if let id = sub.tokenId {
                    emit(id, offsets ? segment.originalRange(sub.range) : 0..<0, offsets ? segment.string(sub.range) : nil)
                    continue
                }
                guard !sub.range.isEmpty else { continue }
                var pre = PreTokenized(segment)
                pre.pieces = [sub.range]
                preTokenizer?.preTokenize(&pre)
                for piece in pre.pieces {
                    tokens.removeAll(keepingCapacity: true)
                    model.tokenize(pre.text, piece, into: &tokens)
                    for t in tokens { emit(t.id, offsets ? pre.text.originalRange(t.range) : 0..<0, nil) }
                }
            }
        }
    }

    /// One sequence, before post-processing; the second sequence of a pair (`sequence` 1) has type id 1, as in HF.
    func encodeSequence(_ text: String, sequence: Int, withDetails: Bool) -> Encoding {
        var e = Encoding()
        runPipeline(text, offsets: withDetails) { id, range, matched in
            e.append(
                id: id, token: withDetails ? (matched ?? idToToken(id) ?? "") : "", offset: range,
                typeId: sequence, special: false, sequence: sequence)
        }
        return e
    }

    /// Post-processes one or two sequences and concatenates what the post-processor returns.
    func postProcess(_ parts: [Encoding], addSpecialTokens: Bool) -> Encoding {
        let processed = postProcessor?.process(parts, addSpecialTokens: addSpecialTokens) ?? parts
        if processed.count == 1 { return processed[0] }
        var merged = Encoding()
        for e in processed { merged.append(contentsOf: e) }
        return merged
    }

    // MARK: Public API

    /// Token ids of `text`, with the post-processor's special tokens (e.g. `[CLS] … [SEP]`) when `addSpecialTokens`.
    ///
    /// Like transformers, this applies no truncation or padding (not even tokenizer.json's own).
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        runPipeline(text, offsets: false) { id, _, _ in ids.append(id) }
        guard addSpecialTokens, let postProcessor else { return ids }
        return postProcessor.processIds(ids)
    }

    /// The full encoding of `text`, or of the pair (`text`, `pair`): ids, type ids, tokens, UTF-8 byte offsets,
    /// attention mask and special-token mask.
    public func encode(_ text: String, pair: String?, addSpecialTokens: Bool = true) -> Encoding {
        var parts = [encodeSequence(text, sequence: 0, withDetails: true)]
        if let pair { parts.append(encodeSequence(pair, sequence: 1, withDetails: true)) }
        return postProcess(parts, addSpecialTokens: addSpecialTokens)
    }

    /// Encodes a batch (in parallel for large batches, on up to `RLHF_NUM_THREADS` threads), truncating each text so
    /// that it fits `truncation.maxLength` with its special tokens, then padding as asked.
    ///
    /// Padding uses `padTokenId` when given, else the tokenizer's ``padTokenId``, else its ``eosTokenId``, else 0;
    /// padded positions have attention mask 0 and special-token mask 1.
    public func encodeBatch(
        _ texts: [String], addSpecialTokens: Bool = true, padding: Padding = .none,
        truncation: Truncation? = nil, padTokenId: Int? = nil
    ) -> [Encoding] {
        let special = addSpecialTokens ? (postProcessor?.addedTokens(isPair: false) ?? 0) : 0
        let encodeOne: @Sendable (String) -> Encoding = { text in
            var e = self.encodeSequence(text, sequence: 0, withDetails: true)
            if let truncation { e.truncate(to: truncation.maxLength - special, side: truncation.side) }
            return self.postProcess([e], addSpecialTokens: addSpecialTokens)
        }
        var results: [Encoding]
        let env = ProcessInfo.processInfo.environment["RLHF_NUM_THREADS"].flatMap { Int($0) }
        let workers = min(env ?? ProcessInfo.processInfo.activeProcessorCount, texts.count / 8)
        if workers > 1 {
            let buffer = UnsafeMutableBufferPointer<Encoding>.allocate(capacity: texts.count)
            buffer.initialize(repeating: Encoding())
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var i = w
                while i < texts.count {
                    out[i] = encodeOne(texts[i])
                    i += workers
                }
            }
            results = Array(buffer)
            buffer.deinitialize()
            buffer.deallocate()
        } else {
            results = texts.map(encodeOne)
        }
        let target: Int
        let side: Side
        switch padding {
        case .none: return results
        case let .longest(s): target = results.map(\.count).max() ?? 0; side = s
        case let .maxLength(n, s): target = n; side = s
        }
        let id = padTokenId ?? self.padTokenId ?? eosTokenId ?? 0
        let token = idToToken(id) ?? ""
        for i in results.indices { results[i].pad(to: target, padId: id, padToken: token, side: side) }
        return results
    }

    /// Text of `ids`: token texts through the decoder (joined with spaces when there is none). Unknown ids are
    /// skipped; `skipSpecialTokens` also drops special added tokens such as `[CLS]` or `<|im_end|>`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let added = addedVocabulary.token(id) {
                if skipSpecialTokens && added.special { continue }
                tokens.append(added.content)
            } else if let t = model.vocabulary.token(id) {
                tokens.append(t)
            }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }
}
