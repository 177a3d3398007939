// ByteTrie: a compact trie over the UTF-8 bytes of vocabulary tokens, for longest-prefix matching without building a
// String per candidate (WordPiece's greedy longest-match-first). Matching is byte-exact, like TokenKey.

/// A static trie of byte strings with an id at each token end.
struct ByteTrie: Sendable {
    // Node i's children are edges[firstEdge[i] ..< firstEdge[i] + edgeCount[i]], sorted by byte.
    private var firstEdge: [Int32] = []
    private var edgeCount: [UInt16] = []
    private var value: [Int32] = []   // token id ending at the node, or -1
    private var edgeByte: [UInt8] = []
    private var edgeTarget: [Int32] = []
    /// Children of the root by byte (-1 when none), to skip the widest binary search.
    private var rootChildren = [Int32](repeating: -1, count: 256)

    /// Builds the trie of `entries` (token bytes → id). A repeated token keeps the first id given.
    init(_ entries: [([UInt8], Int)]) {
        // Build with per-node edge lists, then flatten breadth-first into sorted edge arrays.
        var children: [[(UInt8, Int)]] = [[]]
        var values: [Int] = [-1]
        for (bytes, id) in entries {
            var node = 0
            for b in bytes {
                if let next = children[node].first(where: { $0.0 == b })?.1 {
                    node = next
                } else {
                    children.append([])
                    values.append(-1)
                    children[node].append((b, children.count - 1))
                    node = children.count - 1
                }
            }
            if values[node] < 0 { values[node] = id }
        }
        for i in children.indices { children[i].sort { $0.0 < $1.0 } }
        // Renumber breadth-first so each node's children are contiguous.
        var order = [0]
        order.reserveCapacity(children.count)
        var newIndex = [Int](repeating: -1, count: children.count)
        newIndex[0] = 0
        var head = 0
        while head < order.count {
            let old = order[head]
            head += 1
            for (_, child) in children[old] {
                newIndex[child] = order.count
                order.append(child)
            }
        }
        firstEdge = [Int32](repeating: 0, count: order.count)
        edgeCount = [UInt16](repeating: 0, count: order.count)
        value = order.map { Int32(values[$0]) }
        edgeByte.reserveCapacity(order.count)
        edgeTarget.reserveCapacity(order.count)
        for (i, old) in order.enumerated() {
            firstEdge[i] = Int32(edgeByte.count)
            edgeCount[i] = UInt16(children[old].count)
            for (b, child) in children[old] {
                edgeByte.append(b)
                edgeTarget.append(Int32(newIndex[child]))
                if i == 0 { rootChildren[Int(b)] = Int32(newIndex[child]) }
            }
        }
    }

    /// The child of `node` by `byte`, or -1.
    @inline(__always)
    func child(_ node: Int32, _ byte: UInt8) -> Int32 {
        if node == 0 { return rootChildren[Int(byte)] }
        var lo = Int(firstEdge[Int(node)]), hi = lo + Int(edgeCount[Int(node)])
        while lo < hi {
            let mid = (lo + hi) >> 1
            let b = edgeByte[mid]
            if b == byte { return edgeTarget[mid] }
            if b < byte { lo = mid + 1 } else { hi = mid }
        }
        return -1
    }

    /// The id stored at `node`, or nil.
    @inline(__always)
    func value(at node: Int32) -> Int? {
        let v = value[Int(node)]
        return v < 0 ? nil : Int(v)
    }

    /// Walks `bytes` from `node`; -1 when the path leaves the trie.
    @inline(__always)
    func walk(_ node: Int32, _ bytes: some Sequence<UInt8>) -> Int32 {
        var n = node
        for b in bytes {
            n = child(n, b)
            if n < 0 { return -1 }
        }
        return n
    }

    /// The longest token that is a prefix of `scalars[start..<end]`, starting from `node` (the root, or the node
    /// reached by a prefix such as "##"): its id and end, counted in whole scalars.
    func longestMatch(_ scalars: [Unicode.Scalar], from start: Int, to end: Int, node: Int32 = 0) -> (id: Int, end: Int)? {
        var n = node
        var best: (Int, Int)?
        var i = start
        while i < end {
            var dead = false
            forEachUTF8Byte(of: scalars[i]) { b in
                guard !dead else { return }
                n = child(n, b)
                if n < 0 { dead = true }
            }
            if dead { break }
            i += 1
            if let id = value(at: n) { best = (id, i) }
        }
        return best
    }
}
