// Decoders (HF `decoders`): turn token texts back into a string. Each decoder maps the list of token strings to a
// list (HF `decode_chain`) and the tokenizer joins the result. DecoderType maps the JSON "type"; an unknown tag is
// an error.

/// The last stage: token texts back to text.
protocol Decoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
}

/// The `"type"` tags of tokenizer.json decoders that this library implements.
enum DecoderType: String, CaseIterable {
    case byteLevel = "ByteLevel"
    case wordPiece = "WordPiece"
    case metaspace = "Metaspace"
    case bpe = "BPEDecoder"
    case byteFallback = "ByteFallback"
    case fuse = "Fuse"
    case strip = "Strip"
    case replace = "Replace"
    case sequence = "Sequence"
}

/// Builds the decoder described by `node` (the tokenizer.json `decoder` object).
func makeDecoder(_ node: JSONNode) throws -> Decoder {
    switch try node.componentType(DecoderType.self, component: "decoder") {
    case .byteLevel: return ByteLevelDecoder()
    case .wordPiece:
        return WordPieceDecoder(
            prefix: try node.string("prefix", default: "##"),
            cleanup: try node.bool("cleanup", default: true))
    case .metaspace:
        return MetaspaceDecoder(replacement: try parseReplacement(node), prependScheme: try parsePrependScheme(node))
    case .bpe: return BPEDecoder(suffix: try node.string("suffix", default: "</w>"))
    case .byteFallback: return ByteFallbackDecoder()
    case .fuse: return FuseDecoder()
    case .strip:
        let contentNode = try node.required("content")
        let content = Array(try contentNode.string().unicodeScalars)
        guard content.count == 1 else { throw contentNode.invalid("the content must be exactly one character") }
        return StripDecoder(
            content: content[0], start: try node.int("start", default: 0),
            stop: try node.int("stop", default: 0))
    case .replace:
        return ReplaceDecoder(
            pattern: try parsePatternObject(try node.required("pattern")),
            content: Array(try node.required("content").string().unicodeScalars))
    case .sequence:
        return SequenceDecoder(decoders: try node.required("decoders").array().map(makeDecoder))
    }
}

/// Byte-level tokens back to bytes, decoded as UTF-8 with invalid sequences replaced by U+FFFD. A token with a
/// character outside the byte alphabet (an added token such as "<|im_start|>" written literally) contributes its own
/// UTF-8 bytes.
struct ByteLevelDecoder: Decoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let mark = bytes.count
            var allMapped = true
            for s in token.unicodeScalars {
                guard let b = ByteLevelTable.byte(for: s) else { allMapped = false; break }
                bytes.append(b)
            }
            if !allMapped {
                bytes.removeSubrange(mark...)
                bytes.append(contentsOf: token.utf8)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

/// WordPiece: "##" continuations are glued to the previous token, other tokens get a leading space; `cleanup` then
/// removes spaces before punctuation and in contractions, token by token (HF `decoders/wordpiece.rs`).
struct WordPieceDecoder: Decoder {
    let prefix: String
    let cleanup: Bool

    static func cleanup(_ s: String) -> String {
        var t = s
        for (from, to) in [
            (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
            (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")
        ] {
            t = replacingAll(t, from, to)
        }
        return t
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var t = token
            if i != 0 {
                if !prefix.isEmpty, t.unicodeScalars.starts(with: prefix.unicodeScalars) {
                    t = String(String.UnicodeScalarView(t.unicodeScalars.dropFirst(prefix.unicodeScalars.count)))
                } else {
                    t = " " + t
                }
            }
            return cleanup ? Self.cleanup(t) : t
        }
    }
}

/// Replaces every occurrence of `from` in `s`, scalar-exactly (Swift's String search follows canonical equivalence).
func replacingAll(_ s: String, _ from: String, _ to: String) -> String {
    let hay = Array(s.unicodeScalars), needle = Array(from.unicodeScalars)
    guard !needle.isEmpty, hay.count >= needle.count else { return s }
    var out = String.UnicodeScalarView()
    var i = 0
    var changed = false
    while i < hay.count {
        if i + needle.count <= hay.count, hay[i] == needle[0], Array(hay[i..<(i + needle.count)]) == needle {
            out.append(contentsOf: to.unicodeScalars)
            i += needle.count
            changed = true
        } else {
            out.append(hay[i])
            i += 1
        }
    }
    return changed ? String(out) : s
}

/// Metaspace: "▁" back to spaces; in the first token they are dropped unless the prepend scheme is "never".
struct MetaspaceDecoder: Decoder {
    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var out = String.UnicodeScalarView()
            for s in token.unicodeScalars {
                if s == replacement {
                    if i == 0 && prependScheme != .never { continue }
                    out.append(" ")
                } else {
                    out.append(s)
                }
            }
            return String(out)
        }
    }
}

/// Classic BPE: the end-of-word suffix becomes a space (nothing after the last token).
struct BPEDecoder: Decoder {
    let suffix: String

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in replacingAll(token, suffix, i == tokens.count - 1 ? "" : " ") }
    }
}

/// `<0xXX>` tokens back to bytes; a run that is not valid UTF-8 becomes one U+FFFD per byte.
struct ByteFallbackDecoder: Decoder {
    static func byteValue(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        guard let hi = hex(u[3]), let lo = hex(u[4]) else { return nil }
        return hi << 4 | lo
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let decoded = String(decoding: pending, as: UTF8.self)
            if decoded.utf8.elementsEqual(pending) {   // valid UTF-8 round-trips unchanged
                out.append(decoded)
            } else {
                out.append(contentsOf: [String](repeating: "\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let b = Self.byteValue(token) {
                pending.append(b)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }
}

/// Joins all tokens into one string.
struct FuseDecoder: Decoder {
    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// Removes up to `start` leading and `stop` trailing occurrences of `content` from each token.
struct StripDecoder: Decoder {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            var s = Array(token.unicodeScalars)
            var lo = 0
            while lo < min(start, s.count), s[lo] == content { lo += 1 }
            var hi = s.count
            var removed = 0
            while removed < stop, hi > lo, s[hi - 1] == content { hi -= 1; removed += 1 }
            s = Array(s[lo..<hi])
            return String(String.UnicodeScalarView(s))
        }
    }
}

/// Replaces matches of a string or regex pattern in each token.
struct ReplaceDecoder: Decoder {
    let pattern: ScalarPattern
    let content: [Unicode.Scalar]

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let text = AlignedText(Substring(token), base: 0)
            return replaceMatches(pattern, with: content, in: text).string
        }
    }
}

/// Runs decoders in order.
struct SequenceDecoder: Decoder {
    let decoders: [Decoder]

    func decodeChain(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { $1.decodeChain($0) }
    }
}
