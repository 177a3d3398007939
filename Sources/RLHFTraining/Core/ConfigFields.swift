// Training configs as tables of fields: each field has a YAML key (TRL's snake_case name), a command-line
// flag (the key with dashes: `learning_rate` → `--learning-rate`), a help line and a typed setter. One
// table serves the YAML file, the flags that override it and the help text, so they cannot drift apart.
//
// YAML is read with Yams into nodes that keep their line numbers: an unknown key, a wrong type or an
// unusable value is an error naming the file, the line and the key.

import Foundation
import RLHFFormats
import Yams

/// What is wrong with a config file or a flag.
public enum ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file cannot be read or is not YAML.
    case unreadable(path: String, reason: String)
    /// `key` at `line` of `path` (line 0: a flag, `path` is "command line").
    case badValue(path: String, line: Int, key: String, reason: String)
    /// A key or flag that no field has.
    case unknownKey(path: String, line: Int, key: String, suggestion: String?)
    /// A required field is absent from both the file and the flags.
    case missing(path: String, key: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): \(reason)"
        case let .badValue(path, line, key, reason):
            return line > 0 ? "\(path):\(line): key '\(key)': \(reason)" : "\(path): \(key): \(reason)"
        case let .unknownKey(path, line, key, suggestion):
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
            return line > 0 ? "\(path):\(line): unknown key '\(key)'\(hint)" : "\(path): unknown option '\(key)'\(hint)"
        case let .missing(path, key):
            return "\(path): required key '\(key)' is missing (set it in the file or with --\(key.replacingOccurrences(of: "_", with: "-")))"
        }
    }
}

/// One settable field of a config `C`.
public struct ConfigField<C>: Sendable {
    /// YAML key (snake_case).
    public let key: String
    /// One line for `--help`.
    public let help: String
    /// Type name for help and errors ("integer", "number", "boolean", "string", "hf|cls").
    public let kind: String
    /// The field's value as YAML text (`null` for none; strings quoted).
    let get: @Sendable (C) -> String
    let set: @Sendable (inout C, String) -> String?   // nil on success, else what is wrong

    /// The command-line flag.
    public var flag: String { "--" + key.replacingOccurrences(of: "_", with: "-") }

    /// An integer field.
    public static func int(_ key: String, _ path: WritableKeyPath<C, Int> & Sendable, _ help: String) -> ConfigField {
        ConfigField(key: key, help: help, kind: "integer", get: { "\($0[keyPath: path])" }) { c, s in
            guard let v = Int(s) else { return "expected an integer, found '\(s)'" }
            c[keyPath: path] = v; return nil
        }
    }

    /// A finite number field.
    public static func double(_ key: String, _ path: WritableKeyPath<C, Double> & Sendable, _ help: String) -> ConfigField {
        ConfigField(key: key, help: help, kind: "number", get: { "\($0[keyPath: path])" }) { c, s in
            guard let v = Double(s), v.isFinite else { return "expected a finite number, found '\(s)'" }
            c[keyPath: path] = v; return nil
        }
    }

    /// A finite number, or `null` for none.
    public static func optionalDouble(_ key: String, _ path: WritableKeyPath<C, Double?> & Sendable, _ help: String) -> ConfigField {
        ConfigField(key: key, help: help, kind: "number or null", get: { $0[keyPath: path].map { "\($0)" } ?? "null" }) { c, s in
            if isNull(s) { c[keyPath: path] = nil; return nil }
            guard let v = Double(s), v.isFinite else { return "expected a finite number or null, found '\(s)'" }
            c[keyPath: path] = v; return nil
        }
    }

    /// An integer, or `null` for none.
    public static func optionalInt(_ key: String, _ path: WritableKeyPath<C, Int?> & Sendable, _ help: String) -> ConfigField {
        ConfigField(key: key, help: help, kind: "integer or null", get: { $0[keyPath: path].map { "\($0)" } ?? "null" }) { c, s in
            if isNull(s) { c[keyPath: path] = nil; return nil }
            guard let v = Int(s) else { return "expected an integer or null, found '\(s)'" }
            c[keyPath: path] = v; return nil
        }
    }

    /// A boolean (`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`); a bare flag means true.
    public static func bool(_ key: String, _ path: WritableKeyPath<C, Bool> & Sendable, _ help: String) -> ConfigField {
        ConfigField(key: key, help: help, kind: "boolean", get: { "\($0[keyPath: path])" }) { c, s in
            switch s.lowercased() {
            case "true", "yes", "on", "1": c[keyPath: path] = true
            case "false", "no", "off", "0": c[keyPath: path] = false
            default: return "expected true or false, found '\(s)'"
            }
            return nil
        }
    }

    /// A string field (any text).
    public static func string(_ key: String, _ path: WritableKeyPath<C, String> & Sendable, _ help: String) -> ConfigField {
        ConfigField(key: key, help: help, kind: "string", get: { jsonQuoted($0[keyPath: path]) }) { c, s in
            c[keyPath: path] = s; return nil
        }
    }

    /// A string, or `null` (also `~`, `none`, empty) for none.
    public static func optionalString(_ key: String, _ path: WritableKeyPath<C, String?> & Sendable, _ help: String) -> ConfigField {
        ConfigField(key: key, help: help, kind: "string or null", get: { $0[keyPath: path].map(jsonQuoted) ?? "null" }) { c, s in
            c[keyPath: path] = isNull(s) ? nil : s; return nil
        }
    }

    /// A fixed set of values, as an enum whose raw values are the spellings in YAML and flags; anything
    /// else is an error naming the choices (and the nearest one, when it is close).
    ///
    /// - Parameter choices: the values accepted.
    public static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ path: WritableKeyPath<C, E> & Sendable, _ choices: [E], _ help: String
    ) -> ConfigField where E.RawValue == String {
        let names = choices.map(\.rawValue)
        return ConfigField(key: key, help: help, kind: names.joined(separator: "|"), get: { $0[keyPath: path].rawValue }) { c, s in
            guard let value = E(rawValue: s), names.contains(s) else {
                let near = names.map { ($0, editDistance($0.lowercased(), s.lowercased())) }.min { $0.1 < $1.1 }
                let hint = near.flatMap { $0.1 <= max(2, s.count / 3) ? "; did you mean '\($0.0)'?" : nil } ?? ""
                return "expected one of \(names.joined(separator: ", ")), found '\(s)'\(hint)"
            }
            c[keyPath: path] = value; return nil
        }
    }

    /// A value of the enum `E`, any of its cases (see `choice(_:_:_:_:)`).
    public static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ path: WritableKeyPath<C, E> & Sendable, _ help: String
    ) -> ConfigField where E.RawValue == String {
        choice(key, path, Array(E.allCases), help)
    }
}

private func isNull(_ s: String) -> Bool { s == "null" || s == "~" || s.isEmpty || s == "none" || s == "None" }

/// A config type built from a table of fields.
public protocol FieldConfig: Sendable {
    /// Every field, in help order.
    static var fields: [ConfigField<Self>] { get }
    /// Keys that must be set.
    static var requiredKeys: [String] { get }
    /// Defaults before the file and flags apply.
    init()
    /// Checks values that depend on each other; returns the first problem as (key, reason).
    func validate() -> (key: String, reason: String)?
}

extension FieldConfig {
    /// The defaults, then the YAML file at `path` (if any), then `overrides` (`--flag value` pairs,
    /// `--flag=value`, or a bare `--flag` for a boolean), then validation.
    ///
    /// - Throws: `ConfigError` naming the file and line, or the flag.
    public static func load(path: String?, overrides: [String] = []) throws -> Self {
        try load(entries: path.map { try readYAMLMapping(path: $0) } ?? [], source: path, overrides: overrides)
    }

    /// The defaults, then `entries` (YAML `key: value` lines read from `source`), then `overrides`, then
    /// validation (as `load(path:overrides:)`).
    public static func load(entries: [(key: String, value: String, line: Int)], source: String?, overrides: [String] = []) throws -> Self {
        var config = Self()
        var seen = Set<String>()
        for (key, value, line) in entries {
            try config.apply(key: key, value: value, line: line, source: source ?? "config")
            seen.insert(key)
        }
        let path = source
        var i = 0
        while i < overrides.count {
            var arg = overrides[i]
            guard arg.hasPrefix("--") else {
                throw ConfigError.badValue(path: "command line", line: 0, key: arg, reason: "expected a --flag before a value")
            }
            arg.removeFirst(2)
            var value: String
            if let eq = arg.firstIndex(of: "=") {
                value = String(arg[arg.index(after: eq)...]); arg = String(arg[..<eq])
            } else if Self.fields.first(where: { $0.key == arg.replacingOccurrences(of: "-", with: "_") })?.kind == "boolean",
                i + 1 >= overrides.count || overrides[i + 1].hasPrefix("--")
            {
                value = "true"   // a bare boolean flag: --skip-bad-lines
            } else {
                guard i + 1 < overrides.count else {
                    throw ConfigError.badValue(path: "command line", line: 0, key: "--" + arg, reason: "needs a value")
                }
                i += 1; value = overrides[i]
            }
            let key = arg.replacingOccurrences(of: "-", with: "_")
            try config.apply(key: key, value: value, line: 0, source: "command line")
            seen.insert(key)
            i += 1
        }
        for key in requiredKeys where !seen.contains(key) {
            throw ConfigError.missing(path: path ?? "command line", key: key)
        }
        if let problem = config.validate() {
            throw ConfigError.badValue(path: path ?? "command line", line: 0, key: problem.key, reason: problem.reason)
        }
        return config
    }

    /// Sets one field from its text.
    mutating func apply(key: String, value: String, line: Int, source: String) throws {
        guard let field = Self.fields.first(where: { $0.key == key }) else {
            throw ConfigError.unknownKey(
                path: source, line: line, key: line > 0 ? key : "--" + key.replacingOccurrences(of: "_", with: "-"),
                suggestion: Self.closestKey(to: key).map { line > 0 ? $0 : "--" + $0.replacingOccurrences(of: "_", with: "-") })
        }
        if let problem = field.set(&self, value) {
            throw ConfigError.badValue(path: source, line: line, key: line > 0 ? key : field.flag, reason: problem)
        }
    }

    /// The known key nearest to `key` by edit distance, when it is close.
    static func closestKey(to key: String) -> String? {
        let best = fields.map { ($0.key, editDistance($0.key, key)) }.min { $0.1 < $1.1 }
        guard let (k, d) = best, d <= max(2, key.count / 3) else { return nil }
        return k
    }

    /// Every field as a `key: value` YAML line, in help order: the config as it ran (`config.yaml` beside
    /// a run's metrics); loading it gives the same config.
    public var yamlText: String {
        Self.fields.map { "\($0.key): \($0.get(self))\n" }.joined()
    }

    /// Help lines: `--flag <kind>  help` for every field.
    public static var fieldHelp: String {
        fields.map { "  \($0.flag) <\($0.kind)>".padding(toLength: 44, withPad: " ", startingAt: 0) + " " + $0.help }
            .joined(separator: "\n")
    }
}

/// The top-level `key: scalar` entries of a YAML file, with their lines.
func readYAMLMapping(path: String) throws -> [(key: String, value: String, line: Int)] {
    let (scalars, sections) = try readYAMLSections(path: path)
    if let (name, line) = sections.first.map({ ($0.name, $0.line) }) {
        throw ConfigError.badValue(path: path, line: line, key: name, reason: "expected a single value, found a list or mapping")
    }
    return scalars
}

/// A YAML file of `key: scalar` lines and `section:` mappings of `key: scalar` lines (one level deep), each
/// with its line (1-based). The file is read as a stream, so a pipe (`--config <(…)`) works too.
public func readYAMLSections(path: String) throws
    -> (scalars: [(key: String, value: String, line: Int)], sections: [(name: String, line: Int, entries: [(key: String, value: String, line: Int)])])
{
    let data: Data
    do { data = try readStream(path: path) } catch let error as FormatError {
        guard case .io(_, let reason) = error else { throw error }
        throw ConfigError.unreadable(path: path, reason: reason)
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw ConfigError.unreadable(path: path, reason: "the file is not UTF-8 text")
    }
    let root: Node?
    do { root = try Yams.compose(yaml: text) } catch {
        throw ConfigError.unreadable(path: path, reason: "invalid YAML: \(error)")
    }
    guard let root else { return ([], []) }
    guard case .mapping(let mapping) = root else {
        throw ConfigError.unreadable(path: path, reason: "expected a mapping of `key: value` lines at the top level")
    }
    /// The `key: scalar` entries of a mapping; nested mappings are returned apart when `nested` allows.
    func entries(_ mapping: Node.Mapping, nested: Bool) throws
        -> (
            scalars: [(key: String, value: String, line: Int)],
            sections: [(name: String, line: Int, entries: [(key: String, value: String, line: Int)])]
        )
    {
        var out: [(key: String, value: String, line: Int)] = []
        var sections: [(name: String, line: Int, entries: [(key: String, value: String, line: Int)])] = []
        var seen: [String: Int] = [:]
        for (k, v) in mapping {
            let line = k.mark?.line ?? 0
            guard case .scalar(let ks) = k else {
                throw ConfigError.badValue(path: path, line: line, key: "?", reason: "keys must be plain strings")
            }
            if let first = seen[ks.string] {
                throw ConfigError.badValue(path: path, line: line, key: ks.string, reason: "given twice (first at line \(first))")
            }
            seen[ks.string] = line
            switch v {
            case .scalar(let vs):
                let isNullTag = vs.style == .plain && ["", "~", "null", "Null", "NULL"].contains(vs.string)
                out.append((ks.string, isNullTag ? "null" : vs.string, line))
            case .mapping(let inner) where nested:
                sections.append((ks.string, line, try entries(inner, nested: false).scalars))
            default:
                throw ConfigError.badValue(path: path, line: line, key: ks.string, reason: "expected a single value, found a list or mapping")
            }
        }
        return (out, sections)
    }
    return try entries(mapping, nested: true)
}

/// Levenshtein distance (for "did you mean").
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var prev = Array(0...b.count), cur = prev
    for i in 1...a.count {
        cur[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
