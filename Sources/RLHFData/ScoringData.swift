// Texts to score with a reward model, from JSON Lines: `{"text": "..."}` (a whole text) or
// `{"prompt": "...", "completion": "..."}` (scored as the model pairs a prompt with a response). A bad line
// is an error naming the file, the line and the field.

import RLHFFormats

/// The texts of a scoring file, in order.
public struct ScoringDataset: Sendable {
    /// One text to score.
    public struct Item: Sendable, Equatable {
        /// The prompt, when the line gave one.
        public var prompt: String?
        /// The text (or completion) to score.
        public var response: String
        /// Where it came from: `file:line`.
        public var source: String
    }

    /// The items, in the file's order.
    public var items: [Item]

    /// Reads `path` (`-` for standard input).
    ///
    /// - Throws: `FormatError` for an unreadable file or a line that is not JSON, `DataError.badLine` for a
    ///   line without `text`, or `prompt` and `completion`, as strings.
    public init(path: String) throws {
        items = []
        for r in try readJSONLines(path: path) {
            let v = try r.value.get()
            func string(_ field: String) throws -> String {
                guard let s = v[field]?.stringValue else {
                    throw DataError.badLine(path: path, line: r.line, field: field, reason: "expected a string")
                }
                return s
            }
            let source = "\(path):\(r.line)"
            if v["text"] != nil {
                items.append(Item(prompt: nil, response: try string("text"), source: source))
            } else if v["prompt"] != nil, v["completion"] != nil {
                let prompt = try string("prompt")
                items.append(Item(prompt: prompt, response: try string("completion"), source: source))
            } else {
                throw DataError.badLine(path: path, line: r.line, field: "", reason: "expected a 'text' field, or 'prompt' and 'completion'")
            }
        }
    }
}
