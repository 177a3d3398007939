// A Jinja lexer, just enough to recognise chat templates: it turns a template into a canonical token list (string
// literals decoded, whitespace inside tags ignored, `x['key']` written as `x.key`, outside text after transformers'
// trim_blocks/lstrip_blocks and the `-` whitespace controls), so that two spellings of the same template compare
// equal. It does not evaluate anything.

/// One canonical token of a Jinja template.
enum JinjaToken: Equatable, CustomStringConvertible {
    /// Literal text outside tags (after whitespace control).
    case text(String)
    /// `{%` or `{{`.
    case open(statement: Bool)
    /// `%}` or `}}`.
    case close(statement: Bool)
    /// A string literal's decoded value.
    case string(String)
    /// An identifier or keyword.
    case name(String)
    /// A number literal as written.
    case number(String)
    /// An operator or punctuation.
    case op(String)

    var description: String {
        switch self {
        case let .text(t): return "text \(t.debugDescription)"
        case let .open(s): return s ? "{%" : "{{"
        case let .close(s): return s ? "%}" : "}}"
        case let .string(s): return s.debugDescription
        case let .name(n): return n
        case let .number(n): return n
        case let .op(o): return o
        }
    }

    static func == (a: JinjaToken, b: JinjaToken) -> Bool {
        switch (a, b) {
        case let (.text(x), .text(y)), let (.string(x), .string(y)), let (.name(x), .name(y)),
            let (.number(x), .number(y)), let (.op(x), .op(y)):
            return x.scalarsEqual(y)
        case let (.open(x), .open(y)), let (.close(x), .close(y)):
            return x == y
        default:
            return false
        }
    }
}

/// Lexes a template; throws ``TokenizerError/unrecognisedChatTemplate(reason:)`` on a lexical error.
func lexJinja(_ template: String) throws -> [JinjaToken] {
    let s = Array(template.unicodeScalars)
    var tokens: [JinjaToken] = []
    var i = 0
    var text = String.UnicodeScalarView()
    var stripNextLeading = false   // after `-%}` / `-}}`
    var trimNextNewline = false   // trim_blocks after `%}`

    func flushText(stripTrailing: Bool, lstripBlock: Bool) {
        var t = Array(text)
        text.removeAll()
        if stripNextLeading {
            while let f = t.first, UnicodeClass.isPythonSpace(f) { t.removeFirst() }
            stripNextLeading = false
        }
        if trimNextNewline {
            if t.first == "\n" { t.removeFirst() } else if t.starts(with: ["\r", "\n"]) { t.removeFirst(2) }
            trimNextNewline = false
        }
        if stripTrailing {
            while let l = t.last, UnicodeClass.isPythonSpace(l) { t.removeLast() }
        } else if lstripBlock {
            // lstrip_blocks: spaces and tabs between the start of the line and `{%` are removed.
            var k = t.count
            while k > 0, t[k - 1] == " " || t[k - 1] == "\t" { k -= 1 }
            if k == 0 || t[k - 1] == "\n" || t[k - 1] == "\r" { t.removeSubrange(k...) }
        }
        if !t.isEmpty { tokens.append(.text(String(String.UnicodeScalarView(t)))) }
    }

    func fail(_ what: String) -> TokenizerError {
        .unrecognisedChatTemplate(reason: "\(what) at character \(i) of the template")
    }

    while i < s.count {
        guard s[i] == "{", i + 1 < s.count, s[i + 1] == "{" || s[i + 1] == "%" || s[i + 1] == "#" else {
            text.append(s[i])
            i += 1
            continue
        }
        let kind = s[i + 1]
        let minus = i + 2 < s.count && s[i + 2] == "-"
        flushText(stripTrailing: minus, lstripBlock: kind != "{")
        i += minus ? 3 : 2
        if kind == "#" {
            while i + 1 < s.count, !(s[i] == "#" && s[i + 1] == "}") { i += 1 }
            guard i + 1 < s.count else { throw fail("unterminated comment") }
            i += 2
            continue
        }
        let statement = kind == "%"
        tokens.append(.open(statement: statement))
        let closer: Unicode.Scalar = statement ? "%" : "}"
        var closed = false
        while i < s.count {
            let c = s[i]
            if UnicodeClass.isPythonSpace(c) { i += 1; continue }
            // Closing delimiter, with optional `-`.
            if c == "-", i + 2 < s.count, s[i + 1] == closer, s[i + 2] == "}" {
                i += 3
                stripNextLeading = true
                closed = true
                break
            }
            if c == closer, i + 1 < s.count, s[i + 1] == "}" {
                i += 2
                closed = true
                break
            }
            if c == "'" || c == "\"" {
                var value = String.UnicodeScalarView()
                i += 1
                var terminated = false
                while i < s.count {
                    if s[i] == c { i += 1; terminated = true; break }
                    if s[i] == "\\", i + 1 < s.count {
                        let e = s[i + 1]
                        switch e {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        case "\\", "'", "\"": value.append(e)
                        default: value.append("\\"); value.append(e)
                        }
                        i += 2
                        continue
                    }
                    value.append(s[i])
                    i += 1
                }
                guard terminated else { throw fail("unterminated string literal") }
                tokens.append(.string(String(value)))
                continue
            }
            if c == "_" || CharClass.of(c).contains(.letter) {
                var name = String.UnicodeScalarView()
                while i < s.count, s[i] == "_" || !CharClass.of(s[i]).intersection([.letter, .number]).isEmpty {
                    name.append(s[i])
                    i += 1
                }
                tokens.append(.name(String(name)))
                continue
            }
            if CharClass.of(c).contains(.number), c.value < 128 {
                var number = String.UnicodeScalarView()
                while i < s.count, s[i].value < 128, CharClass.of(s[i]).contains(.number) || s[i] == "." {
                    number.append(s[i])
                    i += 1
                }
                tokens.append(.number(String(number)))
                continue
            }
            let two = i + 1 < s.count ? String(String.UnicodeScalarView([c, s[i + 1]])) : ""
            if ["==", "!=", ">=", "<=", "//", "**"].contains(two) {
                tokens.append(.op(two))
                i += 2
                continue
            }
            guard "+-*/%|~()[]{}.,:=<>".unicodeScalars.contains(c) else { throw fail("unexpected character \"\(c)\"") }
            tokens.append(.op(String(c)))
            i += 1
        }
        guard closed else { throw fail("unterminated tag") }
        tokens.append(.close(statement: statement))
        if statement { trimNextNewline = true }
    }
    flushText(stripTrailing: false, lstripBlock: false)
    return canonicalSubscripts(tokens)
}

/// Rewrites `x['key']` as `x.key` (same meaning in Jinja for plain keys), so both spellings compare equal.
private func canonicalSubscripts(_ tokens: [JinjaToken]) -> [JinjaToken] {
    var out: [JinjaToken] = []
    var i = 0
    while i < tokens.count {
        if tokens[i] == .op("["), i + 2 < tokens.count, case let .string(key) = tokens[i + 1], tokens[i + 2] == .op("]"),
            let previous = out.last, isSubscriptable(previous), isIdentifier(key)
        {
            out.append(.op("."))
            out.append(.name(key))
            i += 3
            continue
        }
        out.append(tokens[i])
        i += 1
    }
    return out
}

private func isSubscriptable(_ t: JinjaToken) -> Bool {
    switch t {
    case .name: return true
    case let .op(o): return o == "]" || o == ")"
    default: return false
    }
}

private func isIdentifier(_ s: String) -> Bool {
    guard let first = s.unicodeScalars.first, first == "_" || (first.value < 128 && CharClass.of(first).contains(.letter))
    else { return false }
    return s.unicodeScalars.allSatisfy {
        $0 == "_" || ($0.value < 128 && !CharClass.of($0).intersection([.letter, .number]).isEmpty)
    }
}
