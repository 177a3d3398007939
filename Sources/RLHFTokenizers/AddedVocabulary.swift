// Added tokens (HF `AddedVocabulary`): special tokens like "<|im_start|>" or "[CLS]" that are found in the raw input
// before anything else runs, and cut out of it. Tokens with `normalized: false` are matched on the original text;
// those with `normalized: true` on each remaining segment after normalization. Matching is leftmost-longest,
// non-overlapping; `single_word` requires word boundaries around the match; `lstrip`/`rstrip` swallow the whitespace
// on that side.

/// One entry of tokenizer.json's `added_tokens`.
struct AddedToken: Sendable {
    var id: Int
    var content: String
    var singleWord = false
    var lstrip = false
    var rstrip = false
    var normalized = false
    var special = false

    init(
        id: Int, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
        normalized: Bool = false, special: Bool = false
    ) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    init(_ node: JSONNode) throws {
        id = try node.required("id").nonNegativeInt()
        guard id <= Vocabulary.maxId else { throw (try node.required("id")).invalid("id \(id) is too large") }
        content = try node.required("content").string()
        guard !content.isEmpty else { throw (try node.required("content")).invalid("an added token cannot be empty") }
        singleWord = try node.bool("single_word", default: false)
        lstrip = try node.bool("lstrip", default: false)
        rstrip = try node.bool("rstrip", default: false)
        special = try node.bool("special", default: false)
        normalized = try node.bool("normalized", default: !special)
    }
}

/// A segment of input: either an added token (with its id) or text still to be tokenized.
struct AddedSplit {
    var range: Range<Int>
    var tokenId: Int?
}

/// Finds added tokens in scalar arrays.
struct AddedTokenMatcher: Sendable {
    private struct Node: Sendable {
        var children: [UInt32: Int] = [:]
        var token: Int?   // index into `tokens`
    }
    private var nodes: [Node] = [Node()]
    private let tokens: [AddedToken]

    init(_ tokens: [AddedToken]) {
        self.tokens = tokens
        for (index, token) in tokens.enumerated() {
            var node = 0
            for s in token.content.unicodeScalars {
                if let next = nodes[node].children[s.value] {
                    node = next
                } else {
                    nodes.append(Node())
                    nodes[node].children[s.value] = nodes.count - 1
                    node = nodes.count - 1
                }
            }
            if nodes[node].token == nil { nodes[node].token = index }
        }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The longest token starting at `i`: (token index, end).
    @inline(__always)
    private func longest(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> (Int, Int)? {
        var node = 0
        var best: (Int, Int)?
        var j = i
        while j < end, let next = nodes[node].children[s[j].value] {
            node = next
            j += 1
            if let t = nodes[node].token { best = (t, j) }
        }
        return best
    }

    /// Cuts `s[range]` into added tokens and the text between them (HF `AddedVocabulary::find_matches`).
    func split(_ s: [Unicode.Scalar], _ range: Range<Int>) -> [AddedSplit] {
        guard !isEmpty, !range.isEmpty else { return [AddedSplit(range: range, tokenId: nil)] }
        var splits: [AddedSplit] = []
        var startOffset = range.lowerBound
        var i = range.lowerBound
        let end = range.upperBound
        let rootChildren = nodes[0].children
        while i < end {
            guard rootChildren[s[i].value] != nil, let (index, stopEnd) = longest(s, i, end) else {
                i += 1
                continue
            }
            let token = tokens[index]
            var start = i
            var stop = stopEnd
            i = stopEnd   // matches never overlap, even when this one is rejected below
            if token.singleWord {
                let startSpace = start == range.lowerBound || !UnicodeClass.isWordCharacter(s[start - 1])
                let stopSpace = stop == end || !UnicodeClass.isWordCharacter(s[stop])
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                var k = start
                while k > range.lowerBound, UnicodeClass.isWhitespace(s[k - 1]) { k -= 1 }
                start = max(k, startOffset)
            }
            if token.rstrip {
                while stop < end, UnicodeClass.isWhitespace(s[stop]) { stop += 1 }
                i = stop
            }
            if startOffset < start { splits.append(AddedSplit(range: startOffset..<start, tokenId: nil)) }
            splits.append(AddedSplit(range: start..<stop, tokenId: token.id))
            startOffset = stop
        }
        if startOffset < end { splits.append(AddedSplit(range: startOffset..<end, tokenId: nil)) }
        return splits
    }
}

/// All added tokens of a tokenizer, with lookups both ways and the two matchers.
struct AddedVocabulary: Sendable {
    let tokens: [AddedToken]
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    private let byId: [Int: AddedToken]
    private let byContent: [TokenKey: Int]

    /// `normalizer` rewrites the content of `normalized` tokens, which are then found in normalized text (HF matches
    /// them on the normalizer's output, so e.g. a Prepend("▁") normalizer makes "wor" match "▁wor").
    init(_ tokens: [AddedToken], normalizer: Normalizer?) {
        self.tokens = tokens
        rawMatcher = AddedTokenMatcher(tokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(
            tokens.filter(\.normalized).map { token in
                var t = token
                if let normalizer { t.content = normalizer.normalize(AlignedText(Substring(token.content), base: 0)).string }
                return t
            })
        var byId: [Int: AddedToken] = [:]
        var byContent: [TokenKey: Int] = [:]
        for t in tokens {
            byId[t.id] = t
            byContent[TokenKey(t.content)] = t.id
        }
        self.byId = byId
        self.byContent = byContent
    }

    func token(_ id: Int) -> AddedToken? { byId[id] }
    func id(_ content: String) -> Int? { byContent[TokenKey(content)] }
    func isSpecial(_ id: Int) -> Bool { byId[id]?.special ?? false }
    var maxId: Int { tokens.map(\.id).max() ?? -1 }
}
