// metrics.jsonl: one JSON object per logged step, `{"step": N, <keys sorted>}`, flushed line by line so that a
// crash loses nothing already logged. A resumed run first drops the lines after its checkpoint's step, so the
// log of an interrupted-and-resumed run has each step once.

import Foundation
import RLHFFormats
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON Lines log of training metrics.
///
/// Each ``write(step:metrics:strings:)`` writes and flushes one line
/// `{"step": 12, "accuracy": 0.875, "loss": 0.412, "phase": "train"}`: `step` first, then the metrics and
/// strings with their keys sorted. Doubles are written with Swift's shortest round-tripping form; NaN and
/// ±infinity (which JSON lacks) as the strings `"nan"`, `"inf"`, `"-inf"`.
///
/// Not `Sendable`: the log owns a `FILE *` and is meant to be used by one trainer loop.
public final class MetricsLog {
    /// The log's path.
    public let path: String
    private var file: UnsafeMutablePointer<FILE>?

    /// Opens the log at `path`.
    ///
    /// - Parameters:
    ///   - path: the `.jsonl` file; its directory must exist.
    ///   - resumingAfter: `nil` starts a fresh log (an existing file is truncated). A step `s` keeps the
    ///     existing lines whose `"step"` is ≤ `s` (and drops later ones, and lines that do not parse, such as a
    ///     line cut short by a crash), rewriting the file atomically (temporary file + rename), then appends.
    ///     A missing file is created.
    /// - Throws: ``TrainingLogError`` naming the file that could not be read, written or replaced.
    public init(path: String, resumingAfter step: Int? = nil) throws {
        self.path = path
        if let step {
            try Self.truncate(path: path, keepingThrough: step)
            file = try Self.open(path, mode: "a")
        } else {
            file = try Self.open(path, mode: "w")
        }
    }

    deinit {
        try? close()
    }

    /// Writes and flushes one line: `{"step": step, <metrics and strings, keys sorted>}`.
    ///
    /// - Throws: ``TrainingLogError/invalidKey(path:key:reason:)`` when a key is `step` or appears in both
    ///   `metrics` and `strings`; ``TrainingLogError/writeFailed(path:reason:)``;
    ///   ``TrainingLogError/writeAfterClose(path:)``.
    public func write(step: Int, metrics: [String: Double], strings: [String: String] = [:]) throws {
        guard let file else { throw TrainingLogError.writeAfterClose(path: path) }
        let line = try Self.line(step: step, metrics: metrics, strings: strings, path: path)
        let bytes = Array(line.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if written != bytes.count || fflush(file) != 0 {
            throw TrainingLogError.writeFailed(path: path, reason: errnoDescription())
        }
    }

    /// Closes the file. Calling it again does nothing.
    ///
    /// - Throws: ``TrainingLogError/closeFailed(path:reason:)``.
    public func close() throws {
        guard let file else { return }
        self.file = nil
        if fclose(file) != 0 {
            throw TrainingLogError.closeFailed(path: path, reason: errnoDescription())
        }
    }

    // MARK: - Formatting

    /// One JSONL line, newline included.
    static func line(step: Int, metrics: [String: Double], strings: [String: String], path: String) throws -> String {
        var fields: [(key: String, value: String)] = []
        fields.reserveCapacity(metrics.count + strings.count)
        for (key, value) in metrics {
            fields.append((key, jsonNumber(value)))
        }
        for (key, value) in strings {
            if metrics[key] != nil {
                throw TrainingLogError.invalidKey(path: path, key: key, reason: "given both as a metric and as a string")
            }
            fields.append((key, jsonString(value)))
        }
        if metrics["step"] != nil || strings["step"] != nil {
            throw TrainingLogError.invalidKey(path: path, key: "step", reason: "reserved for the step number")
        }
        fields.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var out = "{\"step\": \(step)"
        for field in fields {
            out += ", \(jsonString(field.key)): \(field.value)"
        }
        out += "}\n"
        return out
    }

    /// A double as JSON: Swift's shortest round-tripping `description` (`0.1`, `3.0`, `1e-05`, `-0.0`), or the
    /// strings `"nan"`, `"inf"`, `"-inf"` for non-finite values.
    static func jsonNumber(_ value: Double) -> String {
        if value.isNaN { return "\"nan\"" }
        if value.isInfinite { return value < 0 ? "\"-inf\"" : "\"inf\"" }
        return value.description
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as `\n`, `\t`, … or `\u00XX`.
    static func jsonString(_ s: String) -> String { jsonQuoted(s) }

    // MARK: - Files

    private static func open(_ path: String, mode: String) throws -> UnsafeMutablePointer<FILE> {
        guard let file = fopen(path, mode) else {
            throw TrainingLogError.cannotOpen(path: path, reason: errnoDescription())
        }
        return file
    }

    /// The `"step"` of a JSONL line, or `nil` when the line is not a JSON object with an integer step.
    static func step(ofLine line: Substring) -> Int? {
        guard let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let number = object["step"] as? NSNumber
        else { return nil }
        let value = number.doubleValue
        guard value.isFinite, value == value.rounded(), abs(value) < 9e15 else { return nil }
        return Int(value)
    }

    /// Rewrites `path` with only its lines whose step is ≤ `step` (temporary file + rename).
    private static func truncate(path: String, keepingThrough step: Int) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TrainingLogError.readFailed(path: path, reason: error.localizedDescription)
        }
        let text = String(decoding: data, as: UTF8.self)
        var kept = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let lineStep = Self.step(ofLine: line), lineStep <= step {
                kept += line + "\n"
            }
        }
        let temporary = path + ".tmp-\(getpid())"
        let file = try open(temporary, mode: "w")
        let bytes = Array(kept.utf8)
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let ok = written == bytes.count && fflush(file) == 0 && fsync(fileno(file)) == 0
        let reason = errnoDescription()
        let closed = fclose(file) == 0
        guard ok, closed else {
            unlink(temporary)
            throw TrainingLogError.writeFailed(path: temporary, reason: ok ? errnoDescription() : reason)
        }
        if rename(temporary, path) != 0 {
            let reason = errnoDescription()
            unlink(temporary)
            throw TrainingLogError.renameFailed(from: temporary, path: path, reason: reason)
        }
    }
}
