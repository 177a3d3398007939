// Normalizers (HF `normalizers`): rewrite the text before pre-tokenization, keeping each scalar's alignment to the
// original input. One type per JSON "type"; NormalizerType maps the tag, and an unknown tag is an error.
import Foundation

/// The first stage of the pipeline: rewrites text (lowercasing, accent stripping, Unicode normalization, …).
protocol Normalizer: Sendable {
    func normalize(_ text: AlignedText) -> AlignedText
}

/// The `"type"` tags of tokenizer.json normalizers that this library implements.
enum NormalizerType: String, CaseIterable {
    case bert = "BertNormalizer"
    case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"
    case lowercase = "Lowercase"
    case strip = "Strip"
    case stripAccents = "StripAccents"
    case replace = "Replace"
    case prepend = "Prepend"
    case byteLevel = "ByteLevel"
    case sequence = "Sequence"
}

/// Builds the normalizer described by `node` (a tokenizer.json `normalizer` object).
func makeNormalizer(_ node: JSONNode) throws -> Normalizer {
    switch try node.componentType(NormalizerType.self, component: "normalizer") {
    case .bert:
        return BertNormalizer(
            cleanText: try node.bool("clean_text", default: true),
            handleChineseChars: try node.bool("handle_chinese_chars", default: true),
            stripAccents: try node.optionalBool("strip_accents"),
            lowercase: try node.bool("lowercase", default: true))
    case .nfc: return UnicodeNormalizer(form: .nfc)
    case .nfd: return UnicodeNormalizer(form: .nfd)
    case .nfkc: return UnicodeNormalizer(form: .nfkc)
    case .nfkd: return UnicodeNormalizer(form: .nfkd)
    case .lowercase: return LowercaseNormalizer()
    case .strip:
        return StripNormalizer(
            left: try node.bool("strip_left", default: true),
            right: try node.bool("strip_right", default: true))
    case .stripAccents: return StripAccentsNormalizer()
    case .replace:
        return ReplaceNormalizer(
            pattern: try parsePatternObject(try node.required("pattern")),
            content: Array(try node.required("content").string().unicodeScalars))
    case .prepend:
        return PrependNormalizer(prepend: Array(try node.required("prepend").string().unicodeScalars))
    case .byteLevel: return ByteLevelNormalizer()
    case .sequence:
        let items = try node.required("normalizers").array()
        return SequenceNormalizer(normalizers: try items.map(makeNormalizer))
    }
}

// MARK: - Shared rewriting steps

enum NormalizationStep {
    /// Appends the lowercase mapping of `s` (Rust `char::to_lowercase`: full, context-free mapping).
    @inline(__always)
    static func lowercase(_ s: Unicode.Scalar, _ emit: (Unicode.Scalar) -> Void) {
        let v = s.value
        if v < 128 {
            emit((0x41...0x5A).contains(v) ? Unicode.Scalar(v + 32)! : s)
            return
        }
        for l in s.properties.lowercaseMapping.unicodeScalars { emit(l) }
    }

    /// The canonical (or compatibility) decomposition of one scalar. Foundation computes it; results are cached
    /// (decomposition is a pure function of the scalar) behind a lock.
    static func decompose(_ s: Unicode.Scalar, compatibility: Bool) -> [Unicode.Scalar] {
        // Nothing below U+00A0 decomposes, nor do the CJK ideograph blocks; skip Foundation for them.
        let v = s.value
        if v < 0xA0 || (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) { return [s] }
        if !compatibility && v < 0xC0 { return [s] }
        let key = compatibility ? v | 0x8000_0000 : v
        decompositionLock.lock()
        let cached = decompositionCache[key]
        decompositionLock.unlock()
        if let cached { return cached }
        let single = String(Character(s))
        let d =
            compatibility
            ? single.decomposedStringWithCompatibilityMapping
            : single.decomposedStringWithCanonicalMapping
        let result = Array(d.unicodeScalars)
        decompositionLock.lock()
        if decompositionCache.count < 100_000 { decompositionCache[key] = result }
        decompositionLock.unlock()
        return result
    }

    private static let decompositionLock = NSLock()
    nonisolated(unsafe) private static var decompositionCache: [UInt32: [Unicode.Scalar]] = [:]

    /// NFD or NFKD, scalar by scalar, followed by the canonical ordering of combining marks.
    static func decomposed(_ text: AlignedText, compatibility: Bool) -> AlignedText {
        var out = AlignedText()
        out.reserve(text.count)
        for i in 0..<text.count {
            let s = text.scalars[i]
            if s.value < 0xA0 {
                out.append(from: text, at: i)
            } else {
                for d in decompose(s, compatibility: compatibility) { out.append(d, start: text.starts[i], end: text.ends[i]) }
            }
        }
        canonicalOrder(&out)
        return out
    }

    /// Stable-sorts each run of non-starters by canonical combining class (the canonical ordering algorithm).
    static func canonicalOrder(_ text: inout AlignedText) {
        var i = 0
        while i < text.count {
            guard text.scalars[i].value >= 0x300, text.scalars[i].properties.canonicalCombiningClass.rawValue != 0 else {
                i += 1
                continue
            }
            var j = i
            while j < text.count, text.scalars[j].value >= 0x300,
                text.scalars[j].properties.canonicalCombiningClass.rawValue != 0
            { j += 1 }
            if j - i > 1 {
                let order = (i..<j).sorted {
                    let a = text.scalars[$0].properties.canonicalCombiningClass.rawValue
                    let b = text.scalars[$1].properties.canonicalCombiningClass.rawValue
                    return a != b ? a < b : $0 < $1
                }
                let s = order.map { text.scalars[$0] }, st = order.map { text.starts[$0] }, en = order.map { text.ends[$0] }
                for k in 0..<(j - i) {
                    text.scalars[i + k] = s[k]
                    text.starts[i + k] = st[k]
                    text.ends[i + k] = en[k]
                }
            }
            i = j
        }
    }

    /// NFC or NFKC, one extended grapheme cluster at a time (composition never crosses a cluster boundary); the
    /// output of a cluster inherits the cluster's whole aligned range.
    static func composed(_ text: AlignedText, compatibility: Bool) -> AlignedText {
        var out = AlignedText()
        out.reserve(text.count)
        let string = text.string
        var i = 0
        for cluster in string {
            let n = cluster.unicodeScalars.count
            if cluster.isASCII {
                for k in 0..<n { out.append(from: text, at: i + k) }
            } else {
                let orig = text.originalRange(i..<(i + n))
                let s = String(cluster)
                let c = compatibility ? s.precomposedStringWithCompatibilityMapping : s.precomposedStringWithCanonicalMapping
                for x in c.unicodeScalars { out.append(x, start: orig.lowerBound, end: orig.upperBound) }
            }
            i += n
        }
        return out
    }
}

// MARK: - Normalizers

/// BERT's normalizer: clean_text, handle_chinese_chars, strip_accents (which follows `lowercase` when null), lowercase,
/// in that order (HF `normalizers/bert.rs`).
struct BertNormalizer: Normalizer {
    let cleanText: Bool
    let handleChineseChars: Bool
    let stripAccents: Bool?
    let lowercase: Bool

    func normalize(_ text: AlignedText) -> AlignedText {
        var out = AlignedText()
        out.reserve(text.count + 8)
        let strip = stripAccents ?? lowercase
        for i in 0..<text.count {
            var s = text.scalars[i]
            let start = text.starts[i], end = text.ends[i]
            // clean_text: drop NUL, U+FFFD and control characters; map whitespace to ' '.
            if cleanText {
                if s.value == 0 || s.value == 0xFFFD || UnicodeClass.isBertControl(s) { continue }
                if UnicodeClass.isWhitespace(s) { s = " " }
            }
            if s.value < 128 {
                // ASCII: no CJK, nothing to decompose; only lowercase applies.
                out.append(
                    lowercase && (0x41...0x5A).contains(s.value) ? Unicode.Scalar(s.value + 32)! : s,
                    start: start, end: end)
                continue
            }
            // handle_chinese_chars pads CJK with spaces; the later steps still apply to the character itself (NFD
            // maps the compatibility ideographs U+F900… to unified ones).
            let chinese = handleChineseChars && UnicodeClass.isBertChinese(s)
            if chinese { out.append(" ", start: start, end: end) }
            let pieces = strip ? NormalizationStep.decompose(s, compatibility: false) : [s]
            for p in pieces {
                if strip && UnicodeClass.isNonspacingMark(p) { continue }
                if lowercase {
                    NormalizationStep.lowercase(p) { out.append($0, start: start, end: end) }
                } else {
                    out.append(p, start: start, end: end)
                }
            }
            if chinese { out.append(" ", start: start, end: end) }
        }
        return out
    }
}

/// NFC, NFD, NFKC or NFKD.
struct UnicodeNormalizer: Normalizer {
    enum Form: Sendable { case nfc, nfd, nfkc, nfkd }
    let form: Form

    func normalize(_ text: AlignedText) -> AlignedText {
        if text.scalars.allSatisfy({ $0.value < 0x80 }) { return text }
        switch form {
        case .nfd: return NormalizationStep.decomposed(text, compatibility: false)
        case .nfkd: return NormalizationStep.decomposed(text, compatibility: true)
        case .nfc: return NormalizationStep.composed(text, compatibility: false)
        case .nfkc: return NormalizationStep.composed(text, compatibility: true)
        }
    }
}

/// Full Unicode lowercase mapping.
struct LowercaseNormalizer: Normalizer {
    func normalize(_ text: AlignedText) -> AlignedText {
        text.mapScalars { s, emit in NormalizationStep.lowercase(s, emit) }
    }
}

/// Removes leading and/or trailing whitespace.
struct StripNormalizer: Normalizer {
    let left: Bool
    let right: Bool

    func normalize(_ text: AlignedText) -> AlignedText {
        var lo = 0, hi = text.count
        if left { while lo < hi, UnicodeClass.isWhitespace(text.scalars[lo]) { lo += 1 } }
        if right { while hi > lo, UnicodeClass.isWhitespace(text.scalars[hi - 1]) { hi -= 1 } }
        if lo == 0 && hi == text.count { return text }
        var out = AlignedText()
        for i in lo..<hi { out.append(from: text, at: i) }
        return out
    }
}

/// Removes combining marks (Mn, Mc, Me). Usually follows NFD/NFKD.
struct StripAccentsNormalizer: Normalizer {
    func normalize(_ text: AlignedText) -> AlignedText {
        text.mapScalars { s, emit in if !UnicodeClass.isMark(s) { emit(s) } }
    }
}

/// Replaces every match of a string or regex pattern with `content`.
struct ReplaceNormalizer: Normalizer {
    let pattern: ScalarPattern
    let content: [Unicode.Scalar]

    func normalize(_ text: AlignedText) -> AlignedText { replaceMatches(pattern, with: content, in: text) }
}

/// Prepends a string to non-empty text (sentencepiece's "▁").
struct PrependNormalizer: Normalizer {
    let prepend: [Unicode.Scalar]

    func normalize(_ text: AlignedText) -> AlignedText {
        guard !text.isEmpty else { return text }
        var out = AlignedText()
        out.reserve(text.count + prepend.count)
        for p in prepend { out.append(p, start: text.starts[0], end: text.ends[0]) }
        for i in 0..<text.count { out.append(from: text, at: i) }
        return out
    }
}

/// Writes every UTF-8 byte in GPT-2's byte alphabet (the ByteLevel normalizer).
struct ByteLevelNormalizer: Normalizer {
    func normalize(_ text: AlignedText) -> AlignedText {
        text.mapScalars { s, emit in
            forEachUTF8Byte(of: s) { emit(ByteLevelTable.byteToScalar[Int($0)]) }
        }
    }
}

/// Runs normalizers in order.
struct SequenceNormalizer: Normalizer {
    let normalizers: [Normalizer]

    func normalize(_ text: AlignedText) -> AlignedText {
        normalizers.reduce(text) { $1.normalize($0) }
    }
}
