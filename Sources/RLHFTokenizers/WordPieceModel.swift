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
    /// All tokens, for longest-prefix matching; continuation tokens are found under the prefix's node.
    private let trie: ByteTrie
    private let continuationNode: Int32

    init(_ node: JSONNode) throws {
        vocabulary = try Vocabulary(try node.required("vocab"))
        let unkNode = try node.required("unk_token")
        let unk = try unkNode.string()
        guard let id = vocabulary.id(unk) else { throw unkNode.invalid("unk_token \"\(unk)\" is not in the vocabulary") }
        unkToken = unk
        unkId = id
        continuingSubwordPrefix = try node.string("continuing_subword_prefix", default: "##")
        maxInputCharsPerWord = try node.int("max_input_chars_per_word", default: 100)
        trie = ByteTrie(vocabulary.ids.map { (Array($0.key.string.utf8), $0.value) })
        continuationNode = trie.walk(0, continuingSubwordPrefix.utf8)
    }

    func tokenize(_ text: AlignedText, _ piece: Range<Int>, into out: inout [ModelToken]) {
        guard !piece.isEmpty else { return }
        if piece.count > maxInputCharsPerWord {
            out.append(ModelToken(id: unkId, range: piece))
            return
        }
        // HF tries text[start..<end] (with the prefix after the first piece) for end from the longest down and takes
        // the first that is in the vocabulary: the longest vocabulary prefix, which the trie finds in one walk.
        let mark = out.count
        var start = piece.lowerBound
        while start < piece.upperBound {
            let node: Int32 = start > piece.lowerBound ? continuationNode : 0
            guard node >= 0, let (id, end) = trie.longestMatch(text.scalars, from: start, to: piece.upperBound, node: node)
            else {
                out.removeSubrange(mark...)
                out.append(ModelToken(id: unkId, range: piece))
                return
            }
            out.append(ModelToken(id: id, range: start..<end))
            start = end
        }
    }
}
