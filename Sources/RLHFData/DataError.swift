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

/// Reads the JSON Lines file at `path` and calls `body` with each line's value and number. A line that is
/// not JSON, or whose `body` throws a `DataError`, stops the read with that error; with `skipBadLines` the
/// error is appended to `skipped` and the read goes on.
///
/// - Throws: `FormatError` when the file cannot be read; a line's `DataError` unless `skipBadLines`.
func forEachJSONRecord(
    path: String, skipBadLines: Bool, skipped: inout [DataError],
    _ body: (_ value: JSONValue, _ line: Int) throws -> Void
) throws {
    for record in try readJSONLines(path: path) {
        do {
            switch record.value {
            case .failure(let e): throw DataError.notJSON(path: path, line: record.line, e)
            case .success(let v): try body(v, record.line)
            }
        } catch let e as DataError {
            guard skipBadLines else { throw e }
            skipped.append(e)
        }
    }
}
