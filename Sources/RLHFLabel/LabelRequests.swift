// The bodies of the rater's POSTs, decoded and checked before anything touches the database. They come from
// the network, so every way they can be wrong is an error with HTTP status 400 (fuzzed by Fuzz's
// fuzz-label harness): not a JSON object, a missing field, a number that is no whole Int64, an unknown
// choice, a bad request id, a comment over 2000 characters.

import RLHFFormats

/// A label request: `{"assignment": N, "choice": "left|right|tie|both_bad|skip", "comment": "…", "request_id": "…"}`.
public struct LabelRequest: Sendable, Equatable {
    /// The assignment labelled.
    public var assignment: Int64
    /// The choice, sides as shown.
    public var choice: LabelChoice
    /// An optional comment ("" when absent).
    public var comment: String
    /// The client's id of this request: a repeat of it stores nothing new.
    public var requestId: String

    /// Decodes and checks a request body.
    ///
    /// - Throws: `LabelError.request` with status 400 naming what is wrong.
    public init(json: String) throws {
        let body = try requestObject(json)
        assignment = try wholeNumber(body, "assignment")
        guard let choice = body["choice"]?.stringValue.flatMap(LabelChoice.init(rawValue:)) else {
            throw LabelError.request(status: 400, reason: "\"choice\" must be one of left, right, tie, both_bad, skip")
        }
        self.choice = choice
        guard let requestId = body["request_id"]?.stringValue else { throw LabelError.request(status: 400, reason: "\"request_id\" is missing") }
        self.requestId = requestId
        if let c = body["comment"], c.stringValue == nil, !isNull(c) {
            throw LabelError.request(status: 400, reason: "\"comment\" must be a string")
        }
        comment = body["comment"]?.stringValue ?? ""
        try Self.check(requestId: requestId, comment: comment)
    }

    /// A request from its parts, checked as a decoded one is.
    ///
    /// - Throws: `LabelError.request` with status 400.
    public init(assignment: Int64, choice: LabelChoice, comment: String, requestId: String) throws {
        try Self.check(requestId: requestId, comment: comment)
        self.assignment = assignment; self.choice = choice; self.comment = comment; self.requestId = requestId
    }

    /// A request id has 8 to 100 letters, digits, '-' or '_'; a comment at most 2000 characters.
    static func check(requestId: String, comment: String) throws {
        guard (8...100).contains(requestId.count), isTokenText(requestId) else {
            throw LabelError.request(status: 400, reason: "request_id must be 8 to 100 letters, digits, '-' or '_'")
        }
        guard comment.count <= 2000 else { throw LabelError.request(status: 400, reason: "the comment is longer than 2000 characters") }
    }
}

/// An undo request: `{"label": N}`.
public struct UndoRequest: Sendable, Equatable {
    /// The label to undo (the rater's last).
    public var label: Int64

    /// Decodes and checks a request body.
    ///
    /// - Throws: `LabelError.request` with status 400 naming what is wrong.
    public init(json: String) throws {
        label = try wholeNumber(try requestObject(json), "label")
    }
}

/// Whether `s` has only ASCII letters, digits, '-' and '_' (request ids, tokens: safe in a cookie and a URL).
public func isTokenText(_ s: String) -> Bool {
    s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
}

/// The body as a JSON object.
private func requestObject(_ json: String) throws -> JSONValue {
    guard let value = try? parseJSONText(json, source: "request body"), value.objectEntries != nil else {
        throw LabelError.request(status: 400, reason: "the body must be a JSON object")
    }
    return value
}

/// The member `key` as a whole number that fits Int64.
private func wholeNumber(_ body: JSONValue, _ key: String) throws -> Int64 {
    guard let n = body[key]?.doubleValue.flatMap({ Int64(exactly: $0) }) else {
        throw LabelError.request(status: 400, reason: "\"\(key)\" must be a whole number")
    }
    return n
}

private func isNull(_ v: JSONValue) -> Bool {
    if case .null = v { return true }
    return false
}
