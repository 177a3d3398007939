// WordPiece (HF `models/wordpiece`): greedy longest-match-first from the left; pieces after the first carry the
// continuing-subword prefix ("##"). A word longer than max_input_chars_per_word, or one with any part that matches
// nothing, becomes a single unknown token.

/// BERT's WordPiece model.
final class WordPieceModel: TokenizationModel, @unchecked Sendable {
    let vocabulary: Vocabulary
    let unkToken: String?
    private let unkId: Int
    let continuingSubwordPrefix: String
    private let maxInputCharsPerWord: Int
    /// Longest token in scalars (prefix excluded): no candidate longer than this can match.
    private let maxTokenScalars: Int

    init(_ node: JSONNode) throws {
        vocabulary = try Vocabulary(try node.required("vocab"))
        let unkNode = try node.required("unk_token")
        let unk = try unkNode.string()
        guard let id = vocabulary.id(unk) else { throw unkNode.invalid("unk_token \"\(unk)\" is not in the vocabulary") }
        unkToken = unk
        unkId = id
        continuingSubwordPrefix = try node.string("continuing_subword_prefix", default: "##")
        maxInputCharsPerWord = try node.int("max_input_chars_per_word", default: 100)
        let prefix = continuingSubwordPrefix
        var longest = 1
        for token in vocabulary.tokens {
            guard let token else { continue }
            var n = token.unicodeScalars.count
            if !prefix.isEmpty && token.hasPrefix(prefix) { n -= prefix.unicodeScalars.count }
            longest = max(longest, n)
        }
        maxTokenScalars = longest
    }

    func tokenize(_ text: AlignedText, _ piece: Range<Int>, into out: inout [ModelToken]) {
        guard !piece.isEmpty else { return }
        if piece.count > maxInputCharsPerWord {
            out.append(ModelToken(id: unkId, range: piece))
            return
        }
        let mark = out.count
        var start = piece.lowerBound
        while start < piece.upperBound {
            var end = min(piece.upperBound, start + maxTokenScalars)
            var found: Int?
            while start < end {
                let candidate = makeString(text.scalars[start..<end],
                                           prefix: start > piece.lowerBound ? continuingSubwordPrefix : "")
                if let id = vocabulary.id(candidate) {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(mark...)
                out.append(ModelToken(id: unkId, range: piece))
                return
            }
            out.append(ModelToken(id: id, range: start..<end))
            start = end
        }
    }
}
