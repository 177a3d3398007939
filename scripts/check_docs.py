#!/usr/bin/env python3
"""List the public API declarations of Swift targets that have no `///` doc comment.

Usage:
  python3 scripts/check_docs.py [--strict] [--all] [--summary] [TARGET ...]

TARGET is a folder (Sources/RLHFModels) or a target name (RLHFModels); the default is every folder under
Sources/ except rlhf (the executable) and CBLAS (a C module map). Prints `path:line: declaration` for each
undocumented declaration, then one line per target: `TARGET: N public declarations, M undocumented`.
--strict exits 1 when any is undocumented; --summary prints only the per-target lines.

What counts as a declaration of the API: a func, init, subscript, var, let, case, struct, class, enum,
actor, protocol, typealias or associatedtype that is `public`, `open` or `package`, either by its own
modifier or implicitly (a case of a public enum, a requirement of a public protocol, a member without an
access modifier in a `public extension`), and whose enclosing types are not themselves internal or
private. Declarations inside function, property and closure bodies are skipped. One line is one
declaration: `public let a: Int, b: Int` or `case x, y` counts once, and a multi-line declaration
(a `case a,` list, a long signature) is judged by its first line.

Documented means: a `///` line, or the end of a `/** … */` block, directly above the declaration; only
attribute lines (`@discardableResult`, `@inlinable`, `@available(…)`) may come between. Exempt (counted,
not reported) unless --all: `override` members, which inherit the documentation of what they override,
and members that implement a standard-library protocol requirement: `description`, `debugDescription`,
`==`, `<`, `hash(into:)`, `init(from:)` and `encode(to:)`. `public extension` lines themselves need no
documentation (their members do).

A line-based scanner, not a Swift parser: comments (`//`, nested `/* */`) and string literals (with
interpolation, multi-line and raw strings) are removed before braces are counted, which is enough for
this code base's style (one declaration per line, `{` on the declaration's line or the next).
Python 3 standard library only.
"""
import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIPPED_TARGETS = {"rlhf", "CBLAS"}

ACCESS = {"public", "open", "package", "internal", "private", "fileprivate"}
API_ACCESS = {"public", "open", "package"}
MODIFIERS = ACCESS | {
    "static", "class", "final", "override", "mutating", "nonmutating", "convenience", "required", "lazy",
    "weak", "unowned", "dynamic", "optional", "indirect", "nonisolated", "isolated", "consuming", "borrowing",
    "distributed", "prefix", "postfix", "infix", "__consuming",
}
TYPE_KEYWORDS = {"struct", "class", "enum", "actor", "protocol", "extension"}
MEMBER_KEYWORDS = {"func", "init", "deinit", "subscript", "var", "let", "case", "typealias", "associatedtype",
                   "macro", "operator", "precedencegroup"}
DECL_KEYWORDS = TYPE_KEYWORDS | MEMBER_KEYWORDS
EXEMPT_PATTERNS = [
    re.compile(r"\bvar\s+(description|debugDescription)\b"),
    re.compile(r"\bfunc\s+(==|<|hash\s*\(\s*into\b)"),
    re.compile(r"\binit\s*\(\s*from\s+\w+\s*:\s*(any\s+)?Decoder\b"),
    re.compile(r"\bfunc\s+encode\s*\(\s*to\s+\w+\s*:\s*(any\s+)?Encoder\b"),
]


def strip_code(text):
    """Returns (code_lines, doc_block_end_lines): each source line with comments and the contents of string
    literals removed (a string becomes ""), and the set of 0-based lines on which a `/** … */` block ends."""
    out = []          # characters of the code view
    doc_ends = set()
    i, n = 0, len(text)
    line = 0
    # A stack of lexer modes: ("code", paren_depth_for_interpolation) or ("string", quote, hashes).
    stack = [("code", None)]

    def emit(ch):
        out.append(ch)

    while i < n:
        mode = stack[-1]
        c = text[i]
        if c == "\n":
            line += 1
        if mode[0] == "code":
            if text.startswith("//", i):
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if text.startswith("/*", i):
                is_doc = text.startswith("/**", i) and not text.startswith("/**/", i)
                depth, j = 0, i
                while j < n:
                    if text.startswith("/*", j):
                        depth += 1
                        j += 2
                    elif text.startswith("*/", j):
                        depth -= 1
                        j += 2
                        if depth == 0:
                            break
                    else:
                        if text[j] == "\n":
                            emit("\n")
                            line += 1
                        j += 1
                if is_doc:
                    doc_ends.add(line)
                i = j
                continue
            m = re.match(r'(#*)("""|")', text[i:i + 64]) if c in '#"' else None
            if m and (c == '"' or m.group(1)):
                hashes, quote = len(m.group(1)), m.group(2)
                emit('"')
                stack.append(("string", quote, hashes))
                i += m.end()
                continue
            if mode[1] is not None:   # inside \( … ) of a string
                if c == "(":
                    stack[-1] = ("code", mode[1] + 1)
                elif c == ")":
                    if mode[1] == 0:
                        stack.pop()
                        i += 1
                        continue
                    stack[-1] = ("code", mode[1] - 1)
            emit(c)
            i += 1
        else:
            _, quote, hashes = mode
            close = quote + "#" * hashes
            if text.startswith(close, i):
                emit('"')
                stack.pop()
                i += len(close)
                continue
            if c == "\\" and text.startswith("#" * hashes, i + 1):
                k = i + 1 + hashes
                if k < n and text[k] == "(":
                    stack.append(("code", 0))
                    i = k + 1
                    continue
                i = k + 1     # an escaped character
                if k < n and text[k] == "\n":
                    emit("\n")
                    line += 1
                continue
            if c == "\n":
                emit("\n")   # keep the line structure of multi-line strings
            i += 1
    return "".join(out).split("\n"), doc_ends


ATTRIBUTE = re.compile(r"@\w+(\s*\([^()]*(\([^()]*\)[^()]*)*\))?\s*")
WORD = re.compile(r"[A-Za-z_]\w*")


def parse_decl(code):
    """For a code line, returns (keyword, modifiers) when it starts a declaration, else None."""
    s = code.strip()
    modifiers = []
    while True:
        m = ATTRIBUTE.match(s)
        if m:
            s = s[m.end():]
            continue
        m = WORD.match(s)
        if not m:
            return None
        word = m.group(0)
        rest = s[m.end():]
        if word in ACCESS and re.match(r"\s*\(\s*set\s*\)", rest):   # private(set): the setter's access only
            s = re.sub(r"^\s*\(\s*set\s*\)\s*", "", rest)
            continue
        if word == "class" and re.match(r"\s+(func|var|let|subscript|override|final|static)\b", rest):
            modifiers.append(word)   # class func / class var
            s = rest.lstrip()
            continue
        if word in DECL_KEYWORDS:
            if word == "case" and not re.match(r"\s+`?[A-Za-z_]", rest):
                return None
            return word, modifiers
        if word in MODIFIERS:
            modifiers.append(word)
            s = rest.lstrip()
            continue
        return None


class Scope:
    def __init__(self, kind, api, api_default=False):
        self.kind = kind                # "file", a TYPE_KEYWORDS word, or "code" (a body: func, property, closure, …)
        self.api = api                  # whether members can be API (the type is public and so are its parents)
        self.api_default = api_default  # members without an access modifier are public (a `public extension`)


def scan_file(path, exempt=True):
    """Yields (line_number, source_line, documented, exempt) for each API declaration of a Swift file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    source = text.split("\n")
    code, doc_ends = strip_code(text)
    scopes = [Scope("file", True)]
    pending = None   # a type header whose `{` has not been seen yet: (keyword, api)
    for idx, line in enumerate(code):
        top = scopes[-1]
        decl = parse_decl(line) if top.kind != "code" and pending is None else None
        if decl:
            keyword, modifiers = decl
            access = next((m for m in modifiers if m in ACCESS), None)
            if access is not None:
                is_api = access in API_ACCESS
            elif top.kind == "enum" and keyword == "case":
                is_api = True
            elif top.kind == "protocol":
                is_api = True
            elif top.kind == "extension" and top.api_default:
                is_api = True
            else:
                is_api = False
            is_api = is_api and top.api
            if keyword in TYPE_KEYWORDS:
                if keyword == "extension":
                    # A type's extension: its members need their own (or the extension's) access modifier.
                    pending = ("extension", top.api, is_api)
                    is_api = False   # the extension line itself is not documented
                else:
                    pending = (keyword, is_api, False)
            if is_api and keyword != "deinit":
                documented = has_doc(source, code, doc_ends, idx)
                src = source[idx].strip()
                exempted = exempt and ("override" in modifiers or any(p.search(src) for p in EXEMPT_PATTERNS))
                yield idx + 1, src, documented, exempted
        for ch in line:
            if ch == "{":
                if pending is not None:
                    scopes.append(Scope(*pending))
                    pending = None
                else:
                    scopes.append(Scope("code", False))
            elif ch == "}" and len(scopes) > 1:
                scopes.pop()
        if pending is not None and line.strip().endswith(";"):
            pending = None


def has_doc(source, code, doc_ends, idx):
    j = idx - 1
    while j >= 0:
        raw = source[j].strip()
        if raw.startswith("///"):
            return True
        if j in doc_ends and raw.endswith("*/"):
            return True
        c = code[j].strip()
        if c.startswith("@") and re.fullmatch(r"(?:" + ATTRIBUTE.pattern + r")+", c):   # an attribute line between doc and declaration
            j -= 1
            continue
        return False
    return False


def default_targets():
    sources = os.path.join(ROOT, "Sources")
    return sorted(os.path.join(sources, d) for d in os.listdir(sources)
                  if os.path.isdir(os.path.join(sources, d)) and d not in SKIPPED_TARGETS)


def resolve(target):
    if os.path.isdir(target):
        return target
    candidate = os.path.join(ROOT, "Sources", target)
    if os.path.isdir(candidate):
        return candidate
    sys.exit(f"check_docs.py: no target folder {target!r} (looked in . and {os.path.join(ROOT, 'Sources')})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("targets", nargs="*", help="target folders or names (default: all but rlhf and CBLAS)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when any declaration is undocumented")
    ap.add_argument("--all", action="store_true", help="no exemptions: overrides and protocol members too")
    ap.add_argument("--summary", action="store_true", help="print only the per-target counts")
    args = ap.parse_args()

    targets = [resolve(t) for t in args.targets] or default_targets()
    summaries, missing_total = [], 0
    for target in targets:
        total = exempted = missing = 0
        for dirpath, dirnames, filenames in os.walk(target):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(".swift"):
                    continue
                path = os.path.join(dirpath, name)
                shown = os.path.relpath(path) if os.path.abspath(path).startswith(os.getcwd() + os.sep) else path
                for line, src, documented, exempt in scan_file(path, exempt=not args.all):
                    total += 1
                    if documented:
                        continue
                    if exempt:
                        exempted += 1
                        continue
                    missing += 1
                    if not args.summary:
                        print(f"{shown}:{line}: {src}")
        note = f" ({exempted} undocumented but exempt)" if exempted else ""
        summaries.append(f"{os.path.basename(os.path.normpath(target))}: {total} public declarations, "
                         f"{missing} undocumented{note}")
        missing_total += missing
    for s in summaries:
        print(s)
    if args.strict and missing_total:
        sys.exit(1)


if __name__ == "__main__":
    main()
