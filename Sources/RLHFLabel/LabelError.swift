// What can go wrong in a labelling project: its database, its input files, and the requests of its raters.

import Foundation

/// An error of `rlhf label`, naming the database, file, line or request that caused it.
public enum LabelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The database at `path` cannot be opened or used.
    case database(path: String, reason: String)
    /// The database at `path` has no project yet (`rlhf label init` makes one).
    case noProject(path: String)
    /// `init` was given settings that differ from those the database was made with.
    case settingsDiffer(path: String, key: String, stored: String, given: String)
    /// A prompt file's line that cannot be used.
    case badPrompt(path: String, line: Int, reason: String)
    /// A model, adapter or argument that cannot be used.
    case badArgument(name: String, reason: String)
    /// A request that cannot be served (`status` is the HTTP status it gets).
    case request(status: Int, reason: String)

    public var description: String {
        switch self {
        case let .database(path, reason): return "\(path): \(reason)"
        case let .noProject(path): return "\(path): no labelling project in this database (run `rlhf label init` first)"
        case let .settingsDiffer(path, key, stored, given):
            return "\(path): the project was made with \(key) \(stored), not \(given); use another --db or the same settings"
        case let .badPrompt(path, line, reason): return "\(path):\(line): \(reason)"
        case let .badArgument(name, reason): return "\(name): \(reason)"
        case let .request(status, reason): return "HTTP \(status): \(reason)"
        }
    }
}
