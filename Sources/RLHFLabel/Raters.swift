// Raters and their tokens. A token is 32 random bytes from the system's generator (getrandom), written as
// 64 hex digits; the database keeps only its SHA-256. A sign-in token works once: signing in clears it
// and makes a session token, which the browser keeps in an HttpOnly cookie.

import Crypto
import Foundation
import GRDB

/// A new random token (64 hex digits).
public func makeToken() -> String {
    var g = SystemRandomNumberGenerator()
    return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
}

/// The SHA-256 of a token, as the database stores it (64 hex digits).
public func tokenHash(_ token: String) -> String {
    SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
}

/// Whether two strings are equal, in a time that does not depend on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}

/// A signed-in rater.
public struct Rater: Sendable, Equatable {
    /// Row id.
    public var id: Int64
    /// The name given to `add-rater`.
    public var name: String
}

extension LabelDatabase {
    /// Adds the rater `name` (or, when the name exists, replaces its unused sign-in token and ends its
    /// sessions) and returns the one-time sign-in token.
    ///
    /// - Throws: `LabelError.badArgument` for an empty name or one longer than 100 characters.
    public func addRater(name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 100 else {
            throw LabelError.badArgument(name: "NAME", reason: "a rater's name must have 1 to 100 characters")
        }
        let token = makeToken()
        try write { db in
            if let id = try Int64.fetchOne(db, sql: "SELECT id FROM rater WHERE name = ?", arguments: [trimmed]) {
                try db.execute(sql: "UPDATE rater SET signin_hash = ? WHERE id = ?", arguments: [tokenHash(token), id])
                try db.execute(sql: "DELETE FROM session WHERE rater_id = ?", arguments: [id])
            } else {
                try db.execute(
                    sql: "INSERT INTO rater (name, signin_hash, created_at) VALUES (?, ?, ?)", arguments: [trimmed, tokenHash(token), now()])
            }
        }
        return token
    }

    /// Uses a sign-in token: clears it and returns a new session token with its rater, or nil when the
    /// token is unknown or used.
    public func signIn(token: String) async throws -> (session: String, rater: Rater)? {
        let hash = tokenHash(token), session = makeToken()
        return try await asyncWrite { db -> (String, Rater)? in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, name FROM rater WHERE signin_hash = ?", arguments: [hash]) else { return nil }
            let rater = Rater(id: row["id"], name: row["name"])
            try db.execute(sql: "UPDATE rater SET signin_hash = NULL WHERE id = ?", arguments: [rater.id])
            try db.execute(
                sql: "INSERT INTO session (hash, rater_id, created_at) VALUES (?, ?, ?)", arguments: [tokenHash(session), rater.id, now()])
            return (session, rater)
        }
    }

    /// The rater of a session token, or nil.
    public func rater(session: String) async throws -> Rater? {
        let hash = tokenHash(session)
        return try await asyncRead { db in
            try Row.fetchOne(
                db, sql: "SELECT rater.id, rater.name FROM session JOIN rater ON rater.id = session.rater_id WHERE session.hash = ?",
                arguments: [hash]
            ).map { Rater(id: $0["id"], name: $0["name"]) }
        }
    }
}
