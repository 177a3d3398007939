// BPE (HF `models/bpe`): a piece becomes one symbol per character (or byte-fallback tokens, or the unknown token),
// then the adjacent pair of lowest merge rank is merged, leftmost first, until no pair has a merge. This is a port of
// `Word::merge_all` (a priority queue of (rank, position) with stale entries skipped), so ties and chains of merges
// that produce the same token resolve exactly as in HF. Results per piece are cached.
import Foundation

/// Byte-pair encoding with merges ranked by their index in the file.
final class BPEModel: TokenizationModel, @unchecked Sendable {
    let vocabulary: Vocabulary
    let unkToken: String?
    private let unkId: Int?
    private let continuingSubwordPrefix: String
    private let endOfWordSuffix: String
    private let fuseUnk: Bool
    private let byteFallback: Bool
    private let ignoreMerges: Bool
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private let merges: [UInt64: UInt64]
    /// Id of each single-scalar token, used for the initial symbols when there is no prefix or suffix.
    private let scalarIds: [UInt32: Int]
    private let simpleSymbols: Bool
    /// `<0xXX>` token ids, when byte_fallback is on and all 256 exist.
    private let byteIds: [Int?]

    // Cache: piece text → (id, first scalar, end scalar) of its tokens, relative to the piece. Guarded by `lock`;
    // bounded by `cacheCapacity`.
    private var cache: [TokenKey: [CachedToken]] = [:]
    private let lock = NSLock()
    private let cacheCapacity = 100_000

    init(_ node: JSONNode) throws {
        vocabulary = try Vocabulary(try node.required("vocab"))
        unkToken = try node.optionalString("unk_token")
        continuingSubwordPrefix = try node.string("continuing_subword_prefix", default: "")
        endOfWordSuffix = try node.string("end_of_word_suffix", default: "")
        fuseUnk = try node.bool("fuse_unk", default: false)
        byteFallback = try node.bool("byte_fallback", default: false)
        ignoreMerges = try node.bool("ignore_merges", default: false)
        if let dropout = try node.optional("dropout"), try dropout.double() != 0 {
            throw dropout.invalid("BPE dropout is a training-time option and is not supported (set it to null)")
        }
        if let unk = unkToken {
            guard let id = vocabulary.id(unk) else {
                throw (try node.required("unk_token")).invalid("unk_token \"\(unk)\" is not in the vocabulary")
            }
            unkId = id
        } else {
            unkId = nil
        }
        let mergesNode = try node.required("merges")
        let pairs = try Self.parseMerges(mergesNode)
        merges = try Self.rankMerges(pairs, vocabulary: vocabulary, prefix: continuingSubwordPrefix, node: mergesNode)
        (scalarIds, byteIds) = Self.lookupTables(vocabulary)
        simpleSymbols = continuingSubwordPrefix.isEmpty && endOfWordSuffix.isEmpty
    }

    /// A BPE model from already-parsed parts (the GGUF path).
    init(vocabulary: Vocabulary, merges pairs: [(String, String)], mergesPath: String) throws {
        self.vocabulary = vocabulary
        unkToken = nil
        unkId = nil
        continuingSubwordPrefix = ""
        endOfWordSuffix = ""
        fuseUnk = false
        byteFallback = false
        ignoreMerges = false
        let node = JSONNode(value: [Any](), path: mergesPath, file: "GGUF vocabulary")
        merges = try Self.rankMerges(pairs, vocabulary: vocabulary, prefix: "", node: node)
        (scalarIds, byteIds) = Self.lookupTables(vocabulary)
        simpleSymbols = true
    }

    // MARK: Loading

    /// Merges in either spelling: `"a b"` strings (legacy) or `["a", "b"]` pairs (tokenizers ≥ 0.20).
    static func parseMerges(_ node: JSONNode) throws -> [(String, String)] {
        let items = try node.array()
        guard !items.isEmpty else {
            throw node.invalid(
                "the BPE merge table is empty (a BPE model without merges would encode every "
                    + "character separately; the file is probably truncated or written by a broken converter)")
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(items.count)
        for item in items {
            let kind = item.kind
            if kind == .string, let text = item.value as? String {
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw item.invalid("a merge string must be two tokens separated by one space, found \"\(text)\"")
                }
                pairs.append((String(parts[0]), String(parts[1])))
            } else if kind == .array, let array = item.value as? [Any] {
                guard array.count == 2, JSONNode.kind(array[0]) == .string, JSONNode.kind(array[1]) == .string,
                    let a = array[0] as? String, let b = array[1] as? String
                else {
                    throw item.invalid("a merge pair must be an array of two strings")
                }
                pairs.append((a, b))
            } else {
                throw item.wrongType("a merge (\"a b\" or [\"a\", \"b\"])")
            }
        }
        return pairs
    }

    /// The merge map: rank = index; the merged token is `a + b` with b's continuing-subword prefix removed.
    static func rankMerges(
        _ pairs: [(String, String)], vocabulary: Vocabulary, prefix: String,
        node: JSONNode
    ) throws -> [UInt64: UInt64] {
        guard !pairs.isEmpty else { throw node.invalid("the BPE merge table is empty") }
        var map: [UInt64: UInt64] = [:]
        map.reserveCapacity(pairs.count)
        let prefixCount = prefix.unicodeScalars.count
        for (rank, (a, b)) in pairs.enumerated() {
            let where_ = "\(node.path)[\(rank)]"
            func missing(_ token: String) -> TokenizerError {
                .invalidValue(file: node.file, path: where_, reason: "merge token \"\(token)\" is not in the vocabulary")
            }
            guard let aId = vocabulary.id(a) else { throw missing(a) }
            guard let bId = vocabulary.id(b) else { throw missing(b) }
            var mergedText = a + b
            if prefixCount > 0, b.unicodeScalars.starts(with: prefix.unicodeScalars) {
                mergedText = a + String(String.UnicodeScalarView(b.unicodeScalars.dropFirst(prefixCount)))
            }
            guard let newId = vocabulary.id(mergedText) else {
                throw TokenizerError.invalidValue(
                    file: node.file, path: where_,
                    reason: "merged token \"\(mergedText)\" is not in the vocabulary")
            }
            let key = UInt64(aId) << 32 | UInt64(bId)
            if map[key] == nil { map[key] = UInt64(rank) << 32 | UInt64(newId) }
        }
        return map
    }

    private static func lookupTables(_ vocabulary: Vocabulary) -> ([UInt32: Int], [Int?]) {
        var scalarIds: [UInt32: Int] = [:]
        for (id, token) in vocabulary.tokens.enumerated() {
            guard let token else { continue }
            var it = token.unicodeScalars.makeIterator()
            if let first = it.next(), it.next() == nil, vocabulary.id(token) == id { scalarIds[first.value] = id }
        }
        let hex = Array("0123456789ABCDEF")
        let byteIds: [Int?] = (0..<256).map { b in vocabulary.id("<0x\(hex[b >> 4])\(hex[b & 15])>") }
        return (scalarIds, byteIds)
    }

    // MARK: Encoding

    func tokenize(_ text: AlignedText, _ piece: Range<Int>, into out: inout [ModelToken]) {
        guard !piece.isEmpty else { return }
        let key = TokenKey(scalars: text.scalars[piece])
        if ignoreMerges, let id = vocabulary.id(key) {
            out.append(ModelToken(id: id, range: piece))
            return
        }
        lock.lock()
        let hit = cache[key]
        lock.unlock()
        let result: [CachedToken]
        if let hit {
            result = hit
        } else {
            result = merge(Array(text.scalars[piece]))
            lock.lock()
            if cache.count < cacheCapacity { cache[key] = result }
            lock.unlock()
        }
        let base = piece.lowerBound
        for t in result {
            out.append(ModelToken(id: Int(t.id), range: (base + Int(t.start))..<(base + Int(t.end))))
        }
    }

    private struct CachedToken {
        var id: Int32
        var start: Int32
        var end: Int32
    }

    private struct Symbol {
        var id: Int
        var prev: Int
        var next: Int
        /// The scalars of the word it covers. All byte-fallback tokens of one character cover that character, as in HF.
        var start: Int
        var end: Int
    }

    private struct QueueEntry {
        var rank: UInt32
        var pos: Int32
        var newId: Int32

        @inline(__always)
        static func < (a: QueueEntry, b: QueueEntry) -> Bool { a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos }
    }

    /// The initial symbols of a word: one per scalar (with prefix/suffix, byte fallback or unk as configured).
    private func initialSymbols(_ word: [Unicode.Scalar]) -> [Symbol] {
        var symbols: [Symbol] = []
        symbols.reserveCapacity(word.count)
        var pendingUnk = false
        var leadingDropped = 0
        func push(_ id: Int, _ i: Int) {
            symbols.append(Symbol(id: id, prev: symbols.count - 1, next: symbols.count + 1, start: i - leadingDropped, end: i + 1))
            leadingDropped = 0
        }
        for (i, s) in word.enumerated() {
            var id: Int?
            if simpleSymbols {
                id = scalarIds[s.value]
            } else {
                var text = i > 0 ? continuingSubwordPrefix : ""
                text.unicodeScalars.append(s)
                if i == word.count - 1 { text += endOfWordSuffix }
                id = vocabulary.id(text)
            }
            if let id {
                push(id, i)
                pendingUnk = false
                continue
            }
            if byteFallback {
                var ids: [Int] = []
                var complete = true
                forEachUTF8Byte(of: s) { b in
                    if let bid = byteIds[Int(b)] { ids.append(bid) } else { complete = false }
                }
                if complete {
                    for bid in ids { push(bid, i) }
                    pendingUnk = false
                    continue
                }
            }
            if let unk = unkId {
                if fuseUnk && pendingUnk {
                    symbols[symbols.count - 1].end = i + 1
                } else {
                    push(unk, i)
                }
                pendingUnk = true
            } else if !symbols.isEmpty {
                // No unknown token: HF drops the character. Keep offsets contiguous by widening a neighbour symbol.
                symbols[symbols.count - 1].end = i + 1
            } else {
                leadingDropped += 1
            }
        }
        if !symbols.isEmpty { symbols[symbols.count - 1].next = -1 }
        return symbols
    }

    /// `Word::merge_all`: returns (id, start, end) per final symbol.
    private func merge(_ word: [Unicode.Scalar]) -> [CachedToken] {
        var symbols = initialSymbols(word)
        var removed = [Bool](repeating: false, count: symbols.count)
        var heap: [QueueEntry] = []
        heap.reserveCapacity(symbols.count)
        @inline(__always) func lookup(_ a: Int, _ b: Int) -> (UInt32, Int32)? {
            let key = UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(truncatingIfNeeded: b))
            guard let v = merges[key] else { return nil }
            return (UInt32(truncatingIfNeeded: v >> 32), Int32(truncatingIfNeeded: v & 0xFFFF_FFFF))
        }
        func push(_ e: QueueEntry) {
            heap.append(e)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard heap[i] < heap[parent] else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }
        func pop() -> QueueEntry {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < heap.count && heap[l] < heap[m] { m = l }
                    if r < heap.count && heap[r] < heap[m] { m = r }
                    if m == i { break }
                    heap.swapAt(i, m)
                    i = m
                }
            }
            return top
        }
        if symbols.count > 1 {
            for i in 0..<(symbols.count - 1) {
                if let (rank, newId) = lookup(symbols[i].id, symbols[i + 1].id) {
                    push(QueueEntry(rank: rank, pos: Int32(i), newId: newId))
                }
            }
        }
        while !heap.isEmpty {
            let top = pop()
            let pos = Int(top.pos)
            if removed[pos] { continue }
            let nextPos = symbols[pos].next
            if nextPos < 0 { continue }
            // Skip stale entries: the pair at `pos` must still merge into the same token.
            guard let (_, currentNew) = lookup(symbols[pos].id, symbols[nextPos].id), currentNew == top.newId else { continue }
            let right = symbols[nextPos]
            symbols[pos].id = Int(top.newId)
            symbols[pos].end = right.end
            symbols[pos].next = right.next
            removed[nextPos] = true
            if right.next >= 0 { symbols[right.next].prev = pos }
            let current = symbols[pos]
            if current.prev >= 0, let (rank, newId) = lookup(symbols[current.prev].id, current.id) {
                push(QueueEntry(rank: rank, pos: Int32(current.prev), newId: newId))
            }
            if current.next >= 0, let (rank, newId) = lookup(current.id, symbols[current.next].id) {
                push(QueueEntry(rank: rank, pos: top.pos, newId: newId))
            }
        }
        var result: [CachedToken] = []
        result.reserveCapacity(symbols.count)
        for (i, s) in symbols.enumerated() where !removed[i] {
            result.append(CachedToken(id: Int32(s.id), start: Int32(s.start), end: Int32(s.end)))
        }
        return result
    }
}
