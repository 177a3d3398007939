// What is wrong with a data file (preference pairs, SFT examples, prompts): a line that does not parse or
// lacks a field, or a file with nothing usable in it. Every message names the file and, for a line, its
// number and the field.

import RLHFFormats

/// What is wrong with a data file.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Line `line` of `path` is unusable: `field` names the culprit ("" when the whole line is).
    case badLine(path: String, line: Int, field: String, reason: String)
    /// The file has no usable example.
    case empty(path: String, reason: String)

    /// A line that does not parse, with the column and reason when the parser gave them.
    static func notJSON(path: String, line: Int, _ error: FormatError) -> DataError {
        var reason = "not valid JSON"
        if case let .invalidJSON(_, _, _, column, why) = error { reason += " at column \(column): \(why)" }
        return .badLine(path: path, line: line, field: "", reason: reason)
    }

    public var description: String {
        switch self {
        case let .badLine(path, line, field, reason):
            let file = displayPath(path)
            return field.isEmpty ? "\(file):\(line): \(reason)" : "\(file):\(line): field '\(field)': \(reason)"
        case let .empty(path, reason):
            return "\(displayPath(path)): \(reason)"
        }
    }
}
