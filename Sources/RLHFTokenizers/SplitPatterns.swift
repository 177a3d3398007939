// Split patterns: the regular expressions of Split pre-tokenizers and Replace normalizers/decoders.
//
// HF `tokenizers` runs them with Oniguruma. The GPT-2 and Llama-3 (and Qwen2) split regexes are recognised by their
// exact pattern text and run by hand-written matchers that follow Oniguruma's leftmost, ordered-alternation,
// backtracking semantics step by step (see the comments on each alternative); they are ~20x faster than
// NSRegularExpression and are checked against HF on the whole golden corpus. Any other pattern runs on
// NSRegularExpression (ICU), whose \s, \p{L}, \p{N}, (?!…) and (?i:…) agree with Oniguruma's for these uses.
import Foundation

/// Something that finds matches in a range of scalars.
protocol ScalarPattern: Sendable {
    /// Appends the matches inside `range` of `text.scalars`, in order and non-overlapping.
    func findMatches(in text: AlignedText, range: Range<Int>, into out: inout [Range<Int>])
}

/// A pattern whose matches tile the text: every position starts a match of length ≥ 1 (the hand-written
/// GPT-2 and Llama-3 matchers), so finding them is one loop over `match`.
protocol TilingPattern: ScalarPattern {
    /// Length (≥ 1) of the match starting at `i`.
    func match(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int
}

extension TilingPattern {
    func findMatches(in text: AlignedText, range: Range<Int>, into out: inout [Range<Int>]) {
        let s = text.scalars
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let n = match(s, i, end)
            out.append(i..<(i + n))
            i += n
        }
    }
}

/// The GPT-2 split regex (also used by ByteLevel's `use_regex`).
let gpt2SplitRegex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
/// The Llama-3 split regex (`tokenizer.json` of Meta-Llama-3, llama.cpp's "llama-bpe").
let llama3SplitRegex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
/// The Qwen2 split regex: Llama-3's with single digits.
let qwen2SplitRegex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

/// The pattern for a regex string: a hand-written matcher for the known split regexes, ICU otherwise.
func makeRegexPattern(_ regex: String) throws -> ScalarPattern {
    if regex == gpt2SplitRegex { return GPT2Pattern() }
    if regex == llama3SplitRegex { return Llama3Pattern(maxDigits: 3) }
    if regex == qwen2SplitRegex { return Llama3Pattern(maxDigits: 1) }
    return try ICUPattern(regex)
}

@inline(__always) private func isOther(_ c: CharClass) -> Bool { c.isEmpty }

/// Length of the run of scalars in `s[i..<end]` whose class contains `flag`.
@inline(__always)
private func run(_ s: [Unicode.Scalar], _ i: Int, _ end: Int, _ flag: CharClass) -> Int {
    var j = i
    while j < end, CharClass.of(s[j]).contains(flag) { j += 1 }
    return j - i
}

/// Length of the run of "other" scalars (not \s, \p{L}, \p{N}).
@inline(__always)
private func runOther(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int {
    var j = i
    while j < end, CharClass.of(s[j]).isEmpty { j += 1 }
    return j - i
}

/// The length matched by `\s+(?!\S)|\s+` at `i` (which is whitespace).
@inline(__always)
private func whitespaceTail(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int {
    let n = run(s, i, end, .space)
    if i + n == end { return n }   // \s+(?!\S) up to the end of the text
    if n >= 2 { return n - 1 }   // backtrack one so that a space (not \S) follows
    return 1   // \s+ alone
}

/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
struct GPT2Pattern: TilingPattern {
    /// Length of the match at `i` (always ≥ 1: the alternatives cover every character).
    @inline(__always)
    func match(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int {
        let c = s[i]
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
        if c == "'", i + 1 < end {
            let a = s[i + 1]
            if a == "s" || a == "t" || a == "m" || a == "d" { return 2 }
            if i + 2 < end {
                let b = s[i + 2]
                if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return 3 }
            }
        }
        // ` ?X+` for X in \p{L}, \p{N}, [^\s\p{L}\p{N}]: an optional leading space, then a run of one class.
        var k = i
        if c == " ", i + 1 < end, !CharClass.of(s[i + 1]).contains(.space) { k = i + 1 }
        let cls = CharClass.of(s[k])
        if cls.contains(.letter) { return k - i + run(s, k, end, .letter) }
        if cls.contains(.number) { return k - i + run(s, k, end, .number) }
        if isOther(cls) { return k - i + runOther(s, k, end) }
        // \s+(?!\S)|\s+
        return whitespaceTail(s, i, end)
    }
}

/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
struct Llama3Pattern: TilingPattern {
    /// 3 for Llama-3, 1 for Qwen2.
    let maxDigits: Int

    @inline(__always)
    private static func lower(_ s: Unicode.Scalar) -> Unicode.Scalar {
        (s.value >= 0x41 && s.value <= 0x5A) ? Unicode.Scalar(s.value + 32)! : s
    }

    @inline(__always)
    private static func isNewline(_ s: Unicode.Scalar) -> Bool { s == "\n" || s == "\r" }

    @inline(__always)
    func match(_ s: [Unicode.Scalar], _ i: Int, _ end: Int) -> Int {
        let c = s[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d): ASCII case folding only (HF does not fold ſ to s here).
        if c == "'", i + 1 < end {
            let a = Self.lower(s[i + 1])
            if a == "s" || a == "t" || a == "m" || a == "d" { return 2 }
            if i + 2 < end {
                let b = Self.lower(s[i + 2])
                if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return 3 }
            }
        }
        let cls = CharClass.of(c)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls.contains(.letter) { return run(s, i, end, .letter) }
        if !cls.contains(.number), !Self.isNewline(c), i + 1 < end, CharClass.of(s[i + 1]).contains(.letter) {
            return 1 + run(s, i + 1, end, .letter)
        }
        // \p{N}{1,maxDigits}
        if cls.contains(.number) { return min(run(s, i, end, .number), maxDigits) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var k = i
        if c == " ", i + 1 < end, isOther(CharClass.of(s[i + 1])) { k = i + 1 }
        if isOther(CharClass.of(s[k])) {
            var j = k + runOther(s, k, end)
            while j < end, Self.isNewline(s[j]) { j += 1 }
            return j - i
        }
        // \s*[\r\n]+: the whitespace run up to and including its last \r or \n.
        let n = run(s, i, end, .space)
        var q = i + n - 1
        while q >= i, !Self.isNewline(s[q]) { q -= 1 }
        if q >= i { return q + 1 - i }
        // \s+(?!\S)|\s+
        return whitespaceTail(s, i, end)
    }
}

/// A literal string pattern (HF `{"String": "…"}`): non-overlapping occurrences, left to right.
struct LiteralPattern: ScalarPattern {
    let needle: [Unicode.Scalar]

    init(_ literal: String) { needle = Array(literal.unicodeScalars) }

    func findMatches(in text: AlignedText, range: Range<Int>, into out: inout [Range<Int>]) {
        guard !needle.isEmpty else { return }
        let s = text.scalars
        var i = range.lowerBound
        let last = range.upperBound - needle.count
        while i <= last {
            var j = 0
            while j < needle.count, s[i + j] == needle[j] { j += 1 }
            if j == needle.count {
                out.append(i..<(i + needle.count))
                i += needle.count
            } else {
                i += 1
            }
        }
    }
}

/// Any other regex, run by NSRegularExpression (ICU). Matches are mapped from UTF-16 back to scalar indices.
struct ICUPattern: ScalarPattern, @unchecked Sendable {
    // NSRegularExpression is immutable and documented thread-safe for matching.
    let regex: NSRegularExpression
    let source: String

    init(_ pattern: String) throws {
        source = pattern
        regex = try NSRegularExpression(pattern: pattern, options: [])
    }

    func findMatches(in text: AlignedText, range: Range<Int>, into out: inout [Range<Int>]) {
        guard !range.isEmpty else { return }
        // utf16Index[k] = UTF-16 offset of scalar range.lowerBound + k.
        var utf16Index: [Int] = []
        utf16Index.reserveCapacity(range.count + 1)
        var view = String.UnicodeScalarView()
        var u = 0
        for i in range {
            utf16Index.append(u)
            let s = text.scalars[i]
            view.append(s)
            u += s.value > 0xFFFF ? 2 : 1
        }
        utf16Index.append(u)
        let string = String(view)
        func scalarIndex(_ utf16: Int) -> Int {
            // First scalar whose UTF-16 offset is >= utf16 (binary search).
            var lo = 0, hi = utf16Index.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if utf16Index[mid] < utf16 { lo = mid + 1 } else { hi = mid }
            }
            return range.lowerBound + lo
        }
        for m in regex.matches(in: string, options: [], range: NSRange(location: 0, length: u)) {
            let r = m.range
            guard r.location != NSNotFound else { continue }
            out.append(scalarIndex(r.location)..<scalarIndex(r.location + r.length))
        }
    }
}

/// A Split/Replace pattern object from tokenizer.json: `{"String": "…"}` or `{"Regex": "…"}`.
func parsePatternObject(_ node: JSONNode) throws -> ScalarPattern {
    if let literal = try node.optional("String") { return LiteralPattern(try literal.string()) }
    if let regex = try node.optional("Regex") {
        let text = try regex.string()
        do {
            return try makeRegexPattern(text)
        } catch {
            throw regex.invalid("regular expression does not compile: \(text)")
        }
    }
    _ = try node.object()
    throw node.invalid("a pattern must be {\"String\": …} or {\"Regex\": …}")
}

/// Replaces every match of `pattern` in each piece of `text` with `content`; the replacement inherits the aligned
/// range of what it replaces (an empty match inherits the following scalar's start).
func replaceMatches(_ pattern: ScalarPattern, with content: [Unicode.Scalar], in text: AlignedText) -> AlignedText {
    var found: [Range<Int>] = []
    pattern.findMatches(in: text, range: 0..<text.count, into: &found)
    guard !found.isEmpty else { return text }
    var out = AlignedText()
    out.reserve(text.count)
    var cursor = 0
    for m in found {
        while cursor < m.lowerBound { out.append(from: text, at: cursor); cursor += 1 }
        let orig = text.originalRange(m)
        for c in content { out.append(c, start: orig.lowerBound, end: orig.upperBound) }
        cursor = m.upperBound
    }
    while cursor < text.count { out.append(from: text, at: cursor); cursor += 1 }
    return out
}
