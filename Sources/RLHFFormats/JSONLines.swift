// JSON Lines (one JSON value per line) read with the strict parser, so that every bad line is reported
// with the file's own line number and the column of the fault, and the good lines around it survive.

import Foundation

/// One non-blank line of a JSON Lines file: its value, or the reason it is not valid JSON.
public struct JSONLinesRecord: Sendable {
    /// 1-based line number in the file.
    public let line: Int
    /// The parsed value, or `FormatError.invalidJSON` naming the file, line and column.
    public let value: Result<JSONValue, FormatError>
}

/// Reads every non-blank line of a JSON Lines file (blank and whitespace-only lines are skipped).
///
/// The file is read as a stream to its end, so `path` may also be a pipe (`--data <(…)`, `/dev/fd/N`), a
/// FIFO, or `-` for standard input.
/// - Throws: `FormatError.io` when the file cannot be read. A line that is not valid UTF-8 or JSON is not
///   thrown: it comes back as a failed record (`.invalidJSON` with its line), so callers may skip it.
public func readJSONLines(path: String) throws -> [JSONLinesRecord] {
    let data = try readStream(path: path)
    var records: [JSONLinesRecord] = []
    data.withUnsafeBytes { (all: UnsafeRawBufferPointer) in
        var start = 0, line = 1
        while start <= all.count {
            var end = start
            while end < all.count && all[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && all[stop - 1] == 0x0D { stop -= 1 }   // CRLF
            let slice = UnsafeRawBufferPointer(rebasing: all[start..<stop])
            if slice.contains(where: { $0 != 0x20 && $0 != 0x09 }) {
                if String(validating: slice, as: UTF8.self) == nil {
                    records.append(
                        JSONLinesRecord(
                            line: line,
                            value: .failure(
                                .invalidJSON(
                                    path: path, offset: start, line: line, column: 1, reason: "the line is not valid UTF-8"))))
                } else {
                    do throws(JSONSyntaxError) {
                        records.append(JSONLinesRecord(line: line, value: .success(try JSONParser.parse(slice))))
                    } catch {
                        let (_, column) = lineAndColumn(of: error.offset, in: slice)
                        records.append(
                            JSONLinesRecord(
                                line: line,
                                value: .failure(
                                    .invalidJSON(
                                        path: path, offset: start + error.offset, line: line, column: column, reason: error.reason))))
                    }
                }
            }
            start = end + 1
            line += 1
        }
    }
    return records
}

extension JSONValue {
    /// The entries of an object (nil for other kinds).
    public var objectEntries: [JSONEntry]? {
        if case .object(let e) = self { return e }
        return nil
    }

    /// The value of `key` in an object (the last one when a key is repeated); nil when absent.
    public subscript(key: String) -> JSONValue? {
        objectEntries?.last { $0.key == key }?.value
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number as a Double, when this is one.
    public var doubleValue: Double? {
        if case .number(let t) = self { return Double(t) }
        return nil
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}
