// AlignedText: text as Unicode scalars, each remembering the UTF-8 byte range of the original input it came from
// (HF's NormalizedString alignments), and PreTokenized, that text cut into pieces (HF's PreTokenizedString).
// Normalizers rewrite an AlignedText; pre-tokenizers rewrite the pieces; the model tokenizes each piece; token
// offsets are read back through the alignments.

/// Scalars with, for each, the `[start, end)` UTF-8 byte range of the original input it stands for.
struct AlignedText {
    var scalars: [Unicode.Scalar] = []
    var starts: [Int] = []
    var ends: [Int] = []

    init() {}

    /// The scalars of `text`, aligned to their byte offsets plus `base`.
    init(_ text: Substring, base: Int) {
        scalars.reserveCapacity(text.utf8.count)
        starts.reserveCapacity(text.utf8.count)
        ends.reserveCapacity(text.utf8.count)
        var offset = base
        for s in text.unicodeScalars {
            let width = UTF8.width(s)
            scalars.append(s)
            starts.append(offset)
            ends.append(offset + width)
            offset += width
        }
    }

    var count: Int { scalars.count }
    var isEmpty: Bool { scalars.isEmpty }

    mutating func reserve(_ n: Int) {
        scalars.reserveCapacity(n)
        starts.reserveCapacity(n)
        ends.reserveCapacity(n)
    }

    @inline(__always)
    mutating func append(_ s: Unicode.Scalar, start: Int, end: Int) {
        scalars.append(s)
        starts.append(start)
        ends.append(end)
    }

    /// Appends scalar `i` of `other` with its alignment.
    @inline(__always)
    mutating func append(from other: AlignedText, at i: Int) {
        append(other.scalars[i], start: other.starts[i], end: other.ends[i])
    }

    /// The alignment of scalar `i`, or an empty range at the nearest neighbour when `i` is out of bounds.
    func alignment(at i: Int) -> (Int, Int) {
        if i < count { return (starts[i], ends[i]) }
        if let last = ends.last { return (last, last) }
        return (0, 0)
    }

    /// The original byte range covered by scalars `range`.
    func originalRange(_ range: Range<Int>) -> Range<Int> {
        guard !range.isEmpty else {
            let (s, _) = alignment(at: range.lowerBound)
            return s..<s
        }
        var lo = starts[range.lowerBound], hi = ends[range.lowerBound]
        for i in range {
            lo = min(lo, starts[i])
            hi = max(hi, ends[i])
        }
        return lo..<hi
    }

    /// The scalars in `range` as a String.
    func string(_ range: Range<Int>) -> String { makeString(scalars[range]) }

    var string: String { string(0..<count) }

    /// Rebuilds the text with `transform` called on every scalar; whatever it appends inherits that scalar's alignment.
    func mapScalars(_ transform: (Unicode.Scalar, (Unicode.Scalar) -> Void) -> Void) -> AlignedText {
        var out = AlignedText()
        out.reserve(count)
        for i in 0..<count {
            let start = starts[i], end = ends[i]
            transform(scalars[i]) { out.append($0, start: start, end: end) }
        }
        return out
    }
}

/// How a split keeps the delimiters it found (HF `SplitDelimiterBehavior`).
enum SplitBehavior: String, CaseIterable, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// An aligned text and the pieces (scalar ranges, in order, non-overlapping) it is cut into.
struct PreTokenized {
    var text: AlignedText
    var pieces: [Range<Int>]

    init(_ text: AlignedText) {
        self.text = text
        pieces = text.isEmpty ? [] : [0..<text.count]
    }

    /// Cuts every piece at the ranges `find` reports (sorted, non-overlapping, inside the piece), keeping the parts
    /// as `behavior` says. `invert` swaps what counts as a match. Empty parts are dropped, as HF does.
    mutating func split(
        behavior: SplitBehavior, invert: Bool = false,
        find: (AlignedText, Range<Int>, inout [Range<Int>]) -> Void
    ) {
        var out: [Range<Int>] = []
        out.reserveCapacity(pieces.count * 2)
        var found: [Range<Int>] = []
        var parts: [(Range<Int>, Bool)] = []
        for piece in pieces {
            found.removeAll(keepingCapacity: true)
            find(text, piece, &found)
            parts.removeAll(keepingCapacity: true)
            var cursor = piece.lowerBound
            for m in found {
                if m.lowerBound > cursor { parts.append((cursor..<m.lowerBound, invert)) }
                parts.append((m, !invert))
                cursor = m.upperBound
            }
            if cursor < piece.upperBound { parts.append((cursor..<piece.upperBound, invert)) }
            Self.apply(behavior, parts, into: &out)
        }
        pieces = out
    }

    private static func apply(_ behavior: SplitBehavior, _ parts: [(Range<Int>, Bool)], into out: inout [Range<Int>]) {
        switch behavior {
        case .isolated:
            for (r, _) in parts where !r.isEmpty { out.append(r) }
        case .removed:
            for (r, isMatch) in parts where !isMatch && !r.isEmpty { out.append(r) }
        case .mergedWithPrevious:
            var merged: [Range<Int>] = []
            var previousMatch = false
            for (r, isMatch) in parts {
                if isMatch && !previousMatch, let last = merged.last {
                    merged[merged.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    merged.append(r)
                }
                previousMatch = isMatch
            }
            out.append(contentsOf: merged.filter { !$0.isEmpty })
        case .mergedWithNext:
            var merged: [Range<Int>] = []
            var previousMatch = false
            for (r, isMatch) in parts.reversed() {
                if isMatch && !previousMatch, let last = merged.last {
                    merged[merged.count - 1] = r.lowerBound..<last.upperBound
                } else {
                    merged.append(r)
                }
                previousMatch = isMatch
            }
            out.append(contentsOf: merged.reversed().filter { !$0.isEmpty })
        case .contiguous:
            var merged: [Range<Int>] = []
            var previousMatch = false
            for (r, isMatch) in parts {
                if isMatch == previousMatch, let last = merged.last {
                    merged[merged.count - 1] = last.lowerBound..<r.upperBound
                } else {
                    merged.append(r)
                }
                previousMatch = isMatch
            }
            out.append(contentsOf: merged.filter { !$0.isEmpty })
        }
    }

    /// Rebuilds the text piece by piece: `transform` appends each piece's new scalars to the output text (it may
    /// prepend, replace or expand); the piece becomes whatever it appended. Scalars outside pieces are dropped.
    mutating func transformPieces(_ transform: (AlignedText, Range<Int>, Int, inout AlignedText) -> Void) {
        var out = AlignedText()
        out.reserve(text.count + pieces.count)
        var newPieces: [Range<Int>] = []
        newPieces.reserveCapacity(pieces.count)
        for (index, piece) in pieces.enumerated() {
            let begin = out.count
            transform(text, piece, index, &out)
            if out.count > begin { newPieces.append(begin..<out.count) }
        }
        text = out
        pieces = newPieces
    }
}
