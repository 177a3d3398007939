// Character classes as the HF `tokenizers` crate sees them (Rust `char` methods and Oniguruma's \p{L}, \p{N}, \s, \w),
// the GPT-2 bytes_to_unicode table, and TokenKey, an exact (scalar-by-scalar) dictionary key.
//
// Why TokenKey: Swift's String equality and hashing follow canonical equivalence, so "é" (U+00E9) == "e\u{301}" and
// a Hangul syllable equals its jamo. HF compares code points. Vocabulary lookups therefore use TokenKey, which
// compares and hashes the UTF-8 bytes.

/// Classification of one Unicode scalar, as bit flags. The first three are the classes of the split regexes; the
/// others serve BERT and the other pre-tokenizers. Scalars below U+10000 are looked up in a table built once.
struct CharClass: OptionSet, Sendable {
    let rawValue: UInt8
    /// \p{L}: general category Lu, Ll, Lt, Lm, Lo.
    static let letter = CharClass(rawValue: 1)
    /// \p{N}: Nd, Nl, No (Rust `char::is_numeric`).
    static let number = CharClass(rawValue: 2)
    /// \s: the Unicode White_Space property (Rust `char::is_whitespace`; Oniguruma's \s agrees).
    static let space = CharClass(rawValue: 4)
    /// P*: Unicode punctuation.
    static let punctuation = CharClass(rawValue: 8)
    /// Cc, Cf, Co or Cs.
    static let control = CharClass(rawValue: 16)
    /// Mn.
    static let nonspacingMark = CharClass(rawValue: 32)
    /// M*: Mn, Mc, Me.
    static let mark = CharClass(rawValue: 64)
    /// Regex \w: Alphabetic, M*, Nd, Pc, Join_Control.
    static let word = CharClass(rawValue: 128)

    /// The regex classes of `s` (letter, number, space; empty for everything else).
    @inline(__always)
    static func of(_ s: Unicode.Scalar) -> CharClass { CharClass(rawValue: flags(s).rawValue & 7) }

    /// All flags of `s`.
    @inline(__always)
    static func flags(_ s: Unicode.Scalar) -> CharClass {
        let v = s.value
        if v < 0x10000 { return CharClass(rawValue: bmpTable[Int(v)]) }   // raw pointer: no ARC in hot loops
        return compute(s)
    }

    /// The flags as the HF `tokenizers` crate sees them, which is not always today's Unicode: its regexes
    /// (Oniguruma, and the `regex` crate for \w) know Unicode 16; BERT's punctuation, control and Mn tests (the
    /// `unicode_categories` crate) know Unicode 8.0, and StripAccents' marks (`unicode-normalization-alignments`)
    /// Unicode 9.0. Characters assigned later, and the few whose category changed since, are classified as those
    /// tables say. Checked exhaustively against `tokenizers` for U+0080…U+2FFFF (UnicodeClassTests).
    private static func compute(_ s: Unicode.Scalar) -> CharClass {
        let p = s.properties
        guard let age = p.age else { return [] }   // unassigned
        func upTo(_ major: Int, _ minor: Int = 0) -> Bool { age.major < major || (age.major == major && age.minor <= minor) }
        let v = s.value
        var c: CharClass = []
        if p.isWhitespace { c.insert(.space) }
        let category = p.generalCategory
        switch category {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            if upTo(16) { c.insert(.letter) }
        case .decimalNumber, .letterNumber, .otherNumber:
            if upTo(16) { c.insert(.number) }
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            if upTo(8) { c.insert(.punctuation) }
        case .control, .format, .privateUse, .surrogate:
            if upTo(8) { c.insert(.control) }
        case .nonspacingMark:
            if upTo(8) && !bertNotNonspacing.contains(v) { c.insert(.nonspacingMark) }
        default:
            break
        }
        switch category {
        case .nonspacingMark, .spacingMark, .enclosingMark:
            if upTo(9) && v != 0x111C9 { c.insert(.mark) }
        default:
            break
        }
        // Characters whose category changed after those tables were made.
        if v == 0x166D || v == 0x111C9 { c.insert(.punctuation) }   // were Po
        if v == 0x1734 || v == 0x1171E { c.insert(.nonspacingMark) }   // were Mn
        if v == 0x1CF2 || v == 0x1CF3 { c.insert(.mark) }   // were marks
        // Regex \w (Rust `regex` crate, Unicode 16; used by Whitespace and single_word): Alphabetic, M*, Nd, Pc,
        // Join_Control.
        if upTo(16) {
            switch category {
            case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: c.insert(.word)
            default: if p.isAlphabetic || p.isJoinControl { c.insert(.word) }
            }
        }
        return c
    }

    /// Mn today but not in Unicode 8.0's tables.
    private static let bertNotNonspacing: Set<UInt32> = [0x1885, 0x1886, 0xA9BD, 0x111C9]

    /// Flags of U+0000…U+FFFF (~16 ms to build, once). Immutable after initialization, hence safe to share.
    nonisolated(unsafe) private static let bmpTable: UnsafeMutablePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
        for v in 0..<0x10000 {
            // Surrogate code points are not scalars: Cs.
            table[v] = Unicode.Scalar(UInt32(v)).map { compute($0).rawValue } ?? CharClass.control.rawValue
        }
        return table
    }()
}

enum UnicodeClass {
    /// Rust `char::is_whitespace` (White_Space).
    @inline(__always)
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s.value < 128 ? (s.value == 0x20 || (0x09...0x0D).contains(s.value)) : CharClass.flags(s).contains(.space)
    }

    /// Rust `char::is_numeric`: general category Nd, Nl or No.
    @inline(__always)
    static func isNumeric(_ s: Unicode.Scalar) -> Bool { CharClass.flags(s).contains(.number) }

    /// BERT's punctuation: any ASCII punctuation (which includes `$ + < = > ^ ` | ~`) or a Unicode P* character.
    @inline(__always)
    static func isBertPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 128 {
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        return CharClass.flags(s).contains(.punctuation)
    }

    /// General category Mn (what BERT's strip_accents removes after NFD).
    @inline(__always)
    static func isNonspacingMark(_ s: Unicode.Scalar) -> Bool { CharClass.flags(s).contains(.nonspacingMark) }

    /// General category M* (Mn, Mc, Me): what the StripAccents normalizer removes.
    @inline(__always)
    static func isMark(_ s: Unicode.Scalar) -> Bool { CharClass.flags(s).contains(.mark) }

    /// BERT's `is_control` for clean_text: Cc, Cf or Co, except tab, newline and carriage return.
    @inline(__always)
    static func isBertControl(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v == 0x09 || v == 0x0A || v == 0x0D { return false }
        return CharClass.flags(s).contains(.control)
    }

    /// The CJK blocks BERT pads with spaces (handle_chinese_chars). Hangul and kana are not among them.
    static func isBertChinese(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    /// Regex `\w` (Unicode): Alphabetic, marks, decimal digits, connector punctuation, Join_Control.
    @inline(__always)
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool { CharClass.flags(s).contains(.word) }

    /// Python's `str.isspace` (used by Jinja's `trim`): White_Space plus U+001C…U+001F.
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        (0x1C...0x1F).contains(s.value) || isWhitespace(s)
    }
}

/// GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the other 68 to U+0100 + n in increasing order.
enum ByteLevelTable {
    /// Scalar for each byte 0…255.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(0x100 + n)!
                n += 1
            }
        }
        return table
    }()

    /// Byte for each scalar value below 0x144, or -1 when the scalar is not in the byte alphabet.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, s) in byteToScalar.enumerated() { table[Int(s.value)] = Int16(b) }
        return table
    }()

    /// The byte a scalar stands for, or nil when it is not in the byte alphabet.
    @inline(__always)
    static func byte(for s: Unicode.Scalar) -> UInt8? {
        let v = Int(s.value)
        guard v < scalarToByte.count else { return nil }
        let b = scalarToByte[v]
        return b < 0 ? nil : UInt8(b)
    }

    /// True when every scalar of `token` is in the byte alphabet.
    static func isSpelled(_ token: String) -> Bool {
        token.unicodeScalars.allSatisfy { byte(for: $0) != nil }
    }

    /// `text`'s UTF-8 bytes written in the byte alphabet.
    static func spell(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for b in text.utf8 { out.append(byteToScalar[Int(b)]) }
        return String(out)
    }
}

/// Calls `body` with each UTF-8 byte of `s`.
@inline(__always)
func forEachUTF8Byte(of s: Unicode.Scalar, _ body: (UInt8) -> Void) {
    let v = s.value
    if v < 0x80 {
        body(UInt8(v))
    } else if v < 0x800 {
        body(UInt8(0xC0 | (v >> 6)))
        body(UInt8(0x80 | (v & 0x3F)))
    } else if v < 0x10000 {
        body(UInt8(0xE0 | (v >> 12)))
        body(UInt8(0x80 | ((v >> 6) & 0x3F)))
        body(UInt8(0x80 | (v & 0x3F)))
    } else {
        body(UInt8(0xF0 | (v >> 18)))
        body(UInt8(0x80 | ((v >> 12) & 0x3F)))
        body(UInt8(0x80 | ((v >> 6) & 0x3F)))
        body(UInt8(0x80 | (v & 0x3F)))
    }
}

/// A String from scalars (optionally after `prefix`), written as UTF-8 in one pass; much faster than appending to a
/// `String.UnicodeScalarView`, which takes a generic slow path.
@inline(__always)
func makeString(_ scalars: ArraySlice<Unicode.Scalar>, prefix: String = "") -> String {
    var prefix = prefix
    let capacity = prefix.utf8.count + scalars.count * 4
    return prefix.withUTF8 { head in
        String(unsafeUninitializedCapacity: capacity) { buffer in
            var n = 0
            for b in head { buffer[n] = b; n += 1 }
            for s in scalars {
                forEachUTF8Byte(of: s) {
                    buffer[n] = $0; n += 1
                }
            }
            return n
        }
    }
}

/// A dictionary key that compares strings scalar by scalar (by UTF-8 bytes), not by canonical equivalence.
struct TokenKey: Hashable, Sendable {
    let string: String

    init(_ string: String) { self.string = string }

    init(scalars: ArraySlice<Unicode.Scalar>) { string = makeString(scalars) }

    static func == (lhs: TokenKey, rhs: TokenKey) -> Bool {
        let a = lhs.string.utf8, b = rhs.string.utf8
        return a.count == b.count && a.elementsEqual(b)
    }

    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension String {
    /// Scalar-exact equality (Swift's `==` follows canonical equivalence).
    func scalarsEqual(_ other: String) -> Bool {
        utf8.count == other.utf8.count && utf8.elementsEqual(other.utf8)
    }
}
