// A TensorBoard event-file writer: scalars, markdown text (the text plugin) and session-start markers, as
// TFRecord-framed `tensorboard.Event` protobufs. `tensorboard --logdir` reads the file directly.
//
// Framing, per record (tensorboard/summary/writer/record_writer.py):
//   u64 LE length | u32 LE masked_crc32c(the 8 length bytes) | data | u32 LE masked_crc32c(data)
// Messages (tensorboard/compat/proto/{event,summary,tensor,tensor_shape}.proto), fields we write:
//   Event       { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3;
//                 Summary summary = 5; SessionLog session_log = 7; } }
//   Summary     { repeated Value value = 1; }
//   Value       { string tag = 1; oneof value { float simple_value = 2; TensorProto tensor = 8; }
//                 SummaryMetadata metadata = 9; }
//   SummaryMetadata { PluginData plugin_data = 1 { string plugin_name = 1; bytes content = 2; } }
//   TensorProto { DataType dtype = 1 (DT_STRING = 7); TensorShapeProto tensor_shape = 2; repeated bytes string_val = 8; }
//   SessionLog  { SessionStatus status = 1 (START = 1); }
// Fields go out by increasing number and proto3 defaults are omitted outside oneofs (step 0, wall time 0),
// exactly as TensorBoard's own writer does, so the bytes match it (scripts/goldens/tensorboard_goldens.py).

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one TensorBoard event file (`events.out.tfevents.<unix seconds>.<host>.<pid>.swift-rlhf`) in a log
/// directory.
///
/// Records are buffered by stdio; call ``flush()`` at checkpoints (readers tolerate a truncated last record,
/// so a crash loses only the unflushed tail). ``close()`` flushes and closes; it is idempotent and also runs
/// when the writer is deinitialised.
///
/// Not `Sendable`: the writer owns a `FILE *` and is meant to be used by one trainer loop.
public final class TensorBoardWriter {
    /// The directory the event file is in.
    public let logDirectory: String
    /// The event file's path.
    public let path: String
    private var file: UnsafeMutablePointer<FILE>?

    /// Creates `logDirectory` (with intermediate directories) and a new event file in it, whose first record
    /// is `Event{wall_time: now, file_version: "brain.Event:2"}`, flushed at once.
    ///
    /// - Throws: ``TrainingLogError`` naming the directory or file that could not be created or written.
    public convenience init(logDirectory: String) throws {
        try self.init(logDirectory: logDirectory, startWallTime: nil)
    }

    /// As ``init(logDirectory:)``, with the first record's wall time given (tests compare bytes with a golden).
    init(logDirectory: String, startWallTime: Double?) throws {
        self.logDirectory = logDirectory
        do {
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        } catch {
            throw TrainingLogError.cannotCreateDirectory(path: logDirectory, reason: "\(error.localizedDescription)")
        }
        let wallTime = startWallTime ?? Self.now()
        let base = "events.out.tfevents.\(Self.tenDigitSeconds(wallTime)).\(Self.hostName()).\(getpid()).swift-rlhf"
        // O_EXCL: two writers started in the same second by one process (a resumed run, tests) get
        // `….swift-rlhf.1`, `.2`, … instead of truncating each other; names still sort in creation order.
        var attempt = 0
        while true {
            let name = attempt == 0 ? base : "\(base).\(attempt)"
            let candidate = (logDirectory as NSString).appendingPathComponent(name)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                guard let stream = fdopen(fd, "wb") else {
                    let reason = errnoDescription()
                    closeDescriptor(fd)
                    throw TrainingLogError.cannotOpen(path: candidate, reason: reason)
                }
                path = candidate
                file = stream
                break
            }
            let code = errno
            guard code == EEXIST, attempt < 1000 else {
                throw TrainingLogError.cannotOpen(path: candidate, reason: errnoDescription(code))
            }
            attempt += 1
        }
        var event = ProtobufWriter()
        Self.eventHeader(&event, wallTime: wallTime, step: 0)
        event.string(3, "brain.Event:2")
        try writeRecord(event.bytes)
        try flush()
    }

    deinit {
        try? close()
    }

    /// Appends a scalar (`Summary.Value{tag, simple_value}`; the value is stored as a 32-bit float, as
    /// TensorBoard's own writers do). `wallTime` defaults to now (seconds since 1970).
    ///
    /// - Throws: ``TrainingLogError/writeFailed(path:reason:)`` or ``TrainingLogError/writeAfterClose(path:)``.
    public func addScalar(_ tag: String, _ value: Double, step: Int, wallTime: Double? = nil) throws {
        var event = ProtobufWriter()
        Self.eventHeader(&event, wallTime: wallTime ?? Self.now(), step: step)
        event.message(5) { summary in
            summary.message(1) { v in
                if !tag.isEmpty { v.string(1, tag) }
                v.float(2, Float(value))   // in a oneof: written even when 0
            }
        }
        try writeRecord(event.bytes)
    }

    /// Appends a markdown text summary for TensorBoard's text plugin (tables of samples render as tables):
    /// `Summary.Value{tag, tensor: TensorProto{DT_STRING, shape [], string_val [markdown]},
    /// metadata: {plugin_data: {plugin_name: "text"}}}`, as `tensorboard.plugins.text.summary_v2.text_pb` writes it.
    ///
    /// - Throws: ``TrainingLogError/writeFailed(path:reason:)`` or ``TrainingLogError/writeAfterClose(path:)``.
    public func addText(_ tag: String, _ markdown: String, step: Int, wallTime: Double? = nil) throws {
        var event = ProtobufWriter()
        Self.eventHeader(&event, wallTime: wallTime ?? Self.now(), step: step)
        event.message(5) { summary in
            summary.message(1) { v in
                if !tag.isEmpty { v.string(1, tag) }
                v.message(8) { tensor in
                    tensor.uint64(1, 7)   // dtype: DT_STRING
                    tensor.message(2) { _ in }   // tensor_shape: [] (a scalar), present but empty
                    tensor.string(8, markdown)   // string_val[0]
                }
                v.message(9) { metadata in
                    metadata.message(1) { pluginData in
                        pluginData.string(1, "text")   // content: TextPluginData{version: 0} encodes to nothing
                    }
                }
            }
        }
        try writeRecord(event.bytes)
    }

    /// Appends `Event{step, session_log: {status: START}}`. TensorBoard then discards the events of this
    /// run that have a step ≥ `step` and were written before it, so that a run resumed from a checkpoint at
    /// step `step - 1` shows no stale points from the interrupted run.
    ///
    /// - Throws: ``TrainingLogError/writeFailed(path:reason:)`` or ``TrainingLogError/writeAfterClose(path:)``.
    public func addSessionStart(step: Int, wallTime: Double? = nil) throws {
        var event = ProtobufWriter()
        Self.eventHeader(&event, wallTime: wallTime ?? Self.now(), step: step)
        event.message(7) { sessionLog in
            sessionLog.uint64(1, 1)   // status: START
        }
        try writeRecord(event.bytes)
    }

    /// Writes buffered records to the file.
    ///
    /// - Throws: ``TrainingLogError/writeFailed(path:reason:)`` or ``TrainingLogError/writeAfterClose(path:)``.
    public func flush() throws {
        guard let file else { throw TrainingLogError.writeAfterClose(path: path) }
        if fflush(file) != 0 {
            throw TrainingLogError.writeFailed(path: path, reason: errnoDescription())
        }
    }

    /// Flushes and closes the file. Calling it again does nothing.
    ///
    /// - Throws: ``TrainingLogError/closeFailed(path:reason:)`` when the buffered tail could not be written.
    public func close() throws {
        guard let file else { return }
        self.file = nil
        let flushed = fflush(file) == 0
        let flushErrno = errno
        let closed = fclose(file) == 0
        if !flushed || !closed {
            throw TrainingLogError.closeFailed(path: path, reason: errnoDescription(flushed ? errno : flushErrno))
        }
    }

    // MARK: - Encoding

    /// `wall_time = 1` and `step = 2`, each omitted at its proto3 default (0).
    static func eventHeader(_ event: inout ProtobufWriter, wallTime: Double, step: Int) {
        if wallTime.bitPattern != 0 { event.double(1, wallTime) }
        if step != 0 { event.int64(2, Int64(step)) }
    }

    /// One TFRecord: length, masked CRC of the length, data, masked CRC of the data.
    static func framedRecord(_ data: [UInt8]) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(data.count + 16)
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { record.append(contentsOf: $0) }
        let lengthCRC = record.withUnsafeBytes { maskedCRC32C($0) }
        withUnsafeBytes(of: lengthCRC.littleEndian) { record.append(contentsOf: $0) }
        record.append(contentsOf: data)
        withUnsafeBytes(of: maskedCRC32C(data).littleEndian) { record.append(contentsOf: $0) }
        return record
    }

    private func writeRecord(_ data: [UInt8]) throws {
        guard let file else { throw TrainingLogError.writeAfterClose(path: path) }
        let record = Self.framedRecord(data)
        let written = record.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if written != record.count {
            throw TrainingLogError.writeFailed(path: path, reason: errnoDescription())
        }
    }

    // MARK: - File name

    static func now() -> Double {
        Date().timeIntervalSince1970
    }

    /// `%010d` of the whole seconds, as TensorBoard's own writer names its files.
    static func tenDigitSeconds(_ wallTime: Double) -> String {
        let seconds = wallTime.isFinite ? max(0, Int64(wallTime.rounded(.down))) : 0
        let digits = String(seconds)
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "/", with: "_")
        return name.isEmpty ? "localhost" : name
    }
}

/// `close(2)` (inside the class, `close` names the method).
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
