// The labelling project's SQLite database (through GRDB): its schema, opened in WAL mode with full
// synchronous commits, so that a label acknowledged to a rater is on disk before the answer leaves.
//
//   project     one row: where the prompts and the responses came from
//   prompt      one per usable prompt line: the prompt as the file gave it (JSON) and as shown
//   pair        two responses to a prompt (A and B: two samples of one model, or model A's and model B's),
//               with `taken`: how many of its slots are held (see LabelQueue.swift)
//   rater       a name, and the SHA-256 of the one-time sign-in token while it is unused
//   session     the SHA-256 of a signed-in browser's session token
//   assignment  a pair shown to a rater, with the side A is shown on (stored, so a reload shows the same),
//               whether it is `open` (no live label) and whether it `holds` a slot of its pair
//   label       a rater's choice on an assignment; undo marks it undone (kept for the record); a request id
//               that is unique makes a repeated request (a retry after a lost answer) a no-op

import Foundation
import GRDB

/// An open labelling database.
public final class LabelDatabase: Sendable {
    /// The database file.
    public let path: String
    /// GRDB's pool: one writer, concurrent readers (WAL).
    public let pool: DatabasePool

    /// Opens the database at `path` (creating it when missing, if `create`) and brings its schema up to date.
    ///
    /// - Throws: `LabelError.database` naming the path; `.noProject` when it is missing and not to be created.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        if !create && !FileManager.default.fileExists(atPath: path) { throw LabelError.noProject(path: path) }
        var config = Configuration()
        config.busyMode = .timeout(30)   // another process (`add-rater` beside `serve`) may hold the write lock
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")   // a commit is on disk, not only in the WAL's page cache
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw LabelError.database(path: path, reason: "\(error)")
        }
    }

    /// Runs `body` in a write transaction, turning GRDB's errors into `LabelError.database`.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch let e as LabelError { throw e } catch {
            throw LabelError.database(path: path, reason: "\(error)")
        }
    }

    /// Runs `body` on a read-only snapshot, turning GRDB's errors into `LabelError.database`.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let e as LabelError { throw e } catch {
            throw LabelError.database(path: path, reason: "\(error)")
        }
    }

    /// `write` for async callers (the server): the transaction runs off the caller's thread.
    public func asyncWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.write(body) } catch let e as LabelError { throw e } catch {
            throw LabelError.database(path: path, reason: "\(error)")
        }
    }

    /// `read` for async callers (the server).
    public func asyncRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let e as LabelError { throw e } catch {
            throw LabelError.database(path: path, reason: "\(error)")
        }
    }

    /// The journal mode SQLite reports ("wal").
    public func journalMode() throws -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// The schema, one migration per version.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE project (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        prompts_file TEXT NOT NULL,
                        prompts_sha256 TEXT NOT NULL,
                        model_a TEXT NOT NULL,
                        adapter_a TEXT,
                        model_b TEXT,
                        adapter_b TEXT,
                        temperature REAL NOT NULL,
                        max_new_tokens INTEGER NOT NULL,
                        seed INTEGER NOT NULL,
                        created_at REAL NOT NULL);
                    CREATE TABLE prompt (
                        id INTEGER PRIMARY KEY,
                        line INTEGER NOT NULL UNIQUE,
                        prompt_json TEXT NOT NULL,
                        text TEXT NOT NULL);
                    CREATE TABLE pair (
                        id INTEGER PRIMARY KEY,
                        prompt_id INTEGER NOT NULL UNIQUE REFERENCES prompt(id),
                        response_a TEXT NOT NULL,
                        response_b TEXT NOT NULL,
                        stopped_a INTEGER NOT NULL,
                        stopped_b INTEGER NOT NULL,
                        order_key INTEGER NOT NULL,
                        created_at REAL NOT NULL,
                        taken INTEGER NOT NULL DEFAULT 0);
                    CREATE TABLE rater (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        signin_hash TEXT UNIQUE,
                        created_at REAL NOT NULL);
                    CREATE TABLE session (
                        hash TEXT PRIMARY KEY,
                        rater_id INTEGER NOT NULL REFERENCES rater(id),
                        created_at REAL NOT NULL);
                    CREATE TABLE assignment (
                        id INTEGER PRIMARY KEY,
                        pair_id INTEGER NOT NULL REFERENCES pair(id),
                        rater_id INTEGER NOT NULL REFERENCES rater(id),
                        a_on_left INTEGER NOT NULL,
                        opened_at REAL NOT NULL,
                        open INTEGER NOT NULL DEFAULT 1,
                        holds INTEGER NOT NULL DEFAULT 1,
                        UNIQUE (pair_id, rater_id));
                    CREATE TABLE label (
                        id INTEGER PRIMARY KEY,
                        assignment_id INTEGER NOT NULL REFERENCES assignment(id),
                        pair_id INTEGER NOT NULL REFERENCES pair(id),
                        rater_id INTEGER NOT NULL REFERENCES rater(id),
                        choice TEXT NOT NULL CHECK (choice IN ('left', 'right', 'tie', 'both_bad', 'skip')),
                        outcome TEXT NOT NULL CHECK (outcome IN ('a', 'b', 'tie', 'both_bad', 'skip')),
                        comment TEXT NOT NULL DEFAULT '',
                        request_id TEXT NOT NULL UNIQUE,
                        created_at REAL NOT NULL,
                        undone_at REAL);
                    CREATE UNIQUE INDEX label_live ON label(assignment_id) WHERE undone_at IS NULL;
                    CREATE INDEX label_rater ON label(rater_id, undone_at);   -- a rater's live labels, newest (largest id) last
                    CREATE INDEX label_pair ON label(pair_id);
                    CREATE INDEX assignment_rater ON assignment(rater_id, open);
                    CREATE INDEX assignment_claims ON assignment(opened_at) WHERE open = 1 AND holds = 1;
                    CREATE INDEX pair_free ON pair(taken DESC, order_key);
                    """)
        }
        return m
    }
}

/// Seconds since 1970, as the tables store times.
func now() -> Double { Date().timeIntervalSince1970 }
