// Training-progress logging: CRC-32C, TensorBoard event files (read back, and byte-compared with a golden from
// the tensorboard package: scripts/goldens/tensorboard_goldens.py), metrics.jsonl, the progress bar's text,
// and TrainingLogger end to end.

import Foundation
@testable import RLHFLogging
import XCTest
import RLHFTestSupport
@testable import RLHFTraining

// MARK: - Helpers

private func bytes(ofFile path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

private func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var iterator = hex.utf8.makeIterator()
    while let hi = iterator.next(), let lo = iterator.next() {
        out.append(UInt8(String(decoding: [hi, lo], as: UTF8.self), radix: 16) ?? 0)
    }
    return out
}

private func littleEndian<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, as: T.Type) -> T {
    bytes.reversed().reduce(T(0)) { $0 << 8 | T($1) }
}

/// A bit-at-a-time CRC-32C, the definition the table-driven one must agree with.
private func referenceCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

/// Splits an event file into its records' data, checking the framing and both masked CRCs.
private func readRecords(_ file: [UInt8], line: UInt = #line) -> [[UInt8]] {
    var records: [[UInt8]] = []
    var offset = 0
    while offset < file.count {
        guard file.count - offset >= 12 else { XCTFail("truncated header at \(offset)", line: line); break }
        let header = Array(file[offset..<offset + 8])
        let length = Int(littleEndian(file[offset..<offset + 8], as: UInt64.self))
        XCTAssertEqual(
            littleEndian(file[offset + 8..<offset + 12], as: UInt32.self), maskedCRC32C(header),
            "length CRC at \(offset)", line: line)
        guard file.count - offset >= 16 + length else { XCTFail("truncated record at \(offset)", line: line); break }
        let data = Array(file[offset + 12..<offset + 12 + length])
        XCTAssertEqual(
            littleEndian(file[offset + 12 + length..<offset + 16 + length], as: UInt32.self),
            maskedCRC32C(data), "data CRC at \(offset)", line: line)
        records.append(data)
        offset += 16 + length
    }
    return records
}

/// One decoded protobuf field: a varint, fixed32/fixed64 bits, or length-delimited bytes.
private struct Field {
    var number: Int
    var varint: UInt64 = 0
    var bytes: [UInt8] = []
}

/// Decodes a protobuf message into its fields, in wire order.
private func decodeFields(_ data: [UInt8]) throws -> [Field] {
    struct Malformed: Error {}
    var fields: [Field] = []
    var i = 0
    func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < data.count, shift < 64 else { throw Malformed() }
            let byte = data[i]
            i += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
    while i < data.count {
        let key = try varint()
        var field = Field(number: Int(key >> 3))
        switch key & 7 {
        case 0: field.varint = try varint()
        case 1, 5:
            let width = key & 7 == 1 ? 8 : 4
            guard data.count - i >= width else { throw Malformed() }
            field.varint = littleEndian(data[i..<i + width], as: UInt64.self)
            i += width
        case 2:
            let length = Int(try varint())
            guard length >= 0, data.count - i >= length else { throw Malformed() }
            field.bytes = Array(data[i..<i + length])
            i += length
        default: throw Malformed()
        }
        fields.append(field)
    }
    return fields
}

/// The decoded content of an `Event` we write.
private struct DecodedEvent: Equatable {
    var wallTime = 0.0
    var step = 0
    var fileVersion: String?
    var scalars: [String: Float] = [:]
    var texts: [String: String] = [:]
    var textPluginTags: [String] = []
    var sessionStart = false

    init(_ data: [UInt8]) throws {
        for f in try decodeFields(data) {
            switch f.number {
            case 1: wallTime = Double(bitPattern: f.varint)
            case 2: step = Int(Int64(bitPattern: f.varint))
            case 3: fileVersion = String(decoding: f.bytes, as: UTF8.self)
            case 5:
                for value in try decodeFields(f.bytes) where value.number == 1 {
                    try decodeValue(value.bytes)
                }
            case 7: sessionStart = try decodeFields(f.bytes).contains { $0.number == 1 && $0.varint == 1 }
            default: break
            }
        }
    }

    private mutating func decodeValue(_ data: [UInt8]) throws {
        let fields = try decodeFields(data)
        let tag = fields.first { $0.number == 1 }.map { String(decoding: $0.bytes, as: UTF8.self) } ?? ""
        if let simple = fields.first(where: { $0.number == 2 }) {
            scalars[tag] = Float(bitPattern: UInt32(simple.varint))
        }
        if let tensor = fields.first(where: { $0.number == 8 }) {
            let t = try decodeFields(tensor.bytes)
            XCTAssertEqual(t.first { $0.number == 1 }?.varint, 7, "dtype DT_STRING")
            XCTAssertEqual(t.first { $0.number == 2 }?.bytes, [], "scalar shape")
            texts[tag] = t.first { $0.number == 8 }.map { String(decoding: $0.bytes, as: UTF8.self) }
        }
        if let metadata = fields.first(where: { $0.number == 9 }),
            let pluginData = try decodeFields(metadata.bytes).first(where: { $0.number == 1 }),
            let name = try decodeFields(pluginData.bytes).first(where: { $0.number == 1 }),
            String(decoding: name.bytes, as: UTF8.self) == "text"
        {
            textPluginTags.append(tag)
        }
    }
}

private func eventFiles(in directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains("tfevents") }.sorted()
        .map { (directory as NSString).appendingPathComponent($0) }
}

// MARK: - CRC-32C

final class CRC32CLoggingTests: XCTestCase {
    func testKnownVectors() {
        // "123456789" is the standard check value; the 32-byte ones are RFC 3720 (iSCSI) B.4.
        XCTAssertEqual(crc32c(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(crc32c([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(crc32c([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(crc32c((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(crc32c([UInt8]()), 0)
    }

    func testMaskedValuesMatchTensorBoard() {
        // tensorboard.compat.tensorflow_stub.pywrap_tensorflow.masked_crc32c of the same inputs.
        XCTAssertEqual(maskedCRC32C(Array("123456789".utf8)), 0xC78A_B0E5)
        XCTAssertEqual(maskedCRC32C([UInt8](repeating: 0, count: 32)), 0x0FD7_FFFA)
        XCTAssertEqual(maskedCRC32C([UInt8](repeating: 0xFF, count: 32)), 0xF909_B029)
        XCTAssertEqual(maskedCRC32C((0..<32).map { UInt8($0) }), 0x951F_7892)
        XCTAssertEqual(maskedCRC32C([UInt8]()), 0xA282_EAD8)
    }

    /// Slicing-by-8 against the bit-at-a-time definition, over every length 0…40 and unaligned starts.
    func testSlicingMatchesBitwiseDefinition() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<5 {
            for length in 0...40 {
                let slice = Array(data[start..<start + length])
                XCTAssertEqual(crc32c(slice), referenceCRC32C(slice), "start \(start) length \(length)")
                let viaRaw = data.withUnsafeBytes { crc32c(UnsafeRawBufferPointer(rebasing: $0[start..<start + length])) }
                XCTAssertEqual(viaRaw, referenceCRC32C(slice), "unaligned raw start \(start) length \(length)")
            }
        }
    }
}

// MARK: - TensorBoard

final class TensorBoardLoggingTests: XCTestCase {
    func testFileNameAndFirstRecord() throws {
        let root = try temporaryFolder("tb-name")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/a/b/runs"   // intermediates are created
        let writer = try TensorBoardWriter(logDirectory: directory)
        let name = (writer.path as NSString).lastPathComponent
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertTrue(name.hasPrefix("events.out.tfevents."), name)
        XCTAssertTrue(name.hasSuffix(".\(getpid()).swift-rlhf"), name)
        XCTAssertEqual(parts[3].count, 10, name)
        XCTAssertNotNil(Int(parts[3]), name)
        // The first record is on disk before anything else is written or flushed.
        let records = readRecords(try bytes(ofFile: writer.path))
        XCTAssertEqual(records.count, 1)
        let first = try DecodedEvent(records[0])
        XCTAssertEqual(first.fileVersion, "brain.Event:2")
        XCTAssertEqual(first.wallTime, Date().timeIntervalSince1970, accuracy: 60)
        XCTAssertEqual(Int(parts[3]), Int(first.wallTime))
        // A second writer in the same second does not clobber the first file.
        let second = try TensorBoardWriter(logDirectory: directory)
        XCTAssertNotEqual(second.path, writer.path)
        XCTAssertEqual(try eventFiles(in: directory).count, 2)
    }

    func testScalarsAndTextReadBack() throws {
        let directory = try temporaryFolder("tb-read")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = try TensorBoardWriter(logDirectory: directory)
        try writer.addScalar("train/loss", 0.25, step: 7, wallTime: 1234.5)
        try writer.addScalar("train/zero", 0, step: 8)
        try writer.addScalar("train/nan", .nan, step: 9)
        try writer.addScalar("train/neg", -3.5, step: -1)
        try writer.addText("samples", "| a | b |\n|---|---|\n| é | → |", step: 9)
        try writer.close()
        try writer.close()   // idempotent
        XCTAssertThrowsError(try writer.addScalar("x", 1, step: 1)) {
            XCTAssertEqual($0 as? TrainingLogError, .writeAfterClose(path: writer.path))
        }
        let events = try readRecords(try bytes(ofFile: writer.path)).map(DecodedEvent.init)
        XCTAssertEqual(events.count, 6)
        XCTAssertEqual(events[1].wallTime, 1234.5)
        XCTAssertEqual(events[1].step, 7)
        XCTAssertEqual(events[1].scalars, ["train/loss": 0.25])
        XCTAssertEqual(events[2].step, 8)
        XCTAssertEqual(events[2].scalars, ["train/zero": 0])   // simple_value is in a oneof: written even when 0
        XCTAssertTrue(events[3].scalars["train/nan"]?.isNaN ?? false)
        XCTAssertEqual(events[4].step, -1)
        XCTAssertEqual(events[4].scalars, ["train/neg": -3.5])
        XCTAssertEqual(events[5].texts, ["samples": "| a | b |\n|---|---|\n| é | → |"])
        XCTAssertEqual(events[5].textPluginTags, ["samples"])
    }

    /// Our bytes equal those tensorboard's own protobuf classes, text plugin and RecordWriter produce for the
    /// same events (`tensorboardGoldenJSON` at the end of this file, from scripts/goldens/tensorboard_goldens.py).
    func testMatchesTensorBoardGoldenBytes() throws {
        let golden = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(tensorboardGoldenJSON.utf8)) as? [String: Any])
        let scalars = try XCTUnwrap(golden["scalars"] as? [[String: Any]])
        let text = try XCTUnwrap(golden["text"] as? [String: Any])
        let session = try XCTUnwrap(golden["session_start"] as? [String: Any])
        let recordsHex = try XCTUnwrap(golden["records_hex"] as? [String])
        let fileHex = try XCTUnwrap(golden["file_hex"] as? String)

        // RLHF_TB_CHECK_DIR keeps the file for `tensorboard_goldens.py --check DIR`.
        let keep = ProcessInfo.processInfo.environment["RLHF_TB_CHECK_DIR"]
        let directory = try keep ?? temporaryFolder("tb-golden")
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let writer = try TensorBoardWriter(
            logDirectory: directory,
            startWallTime: try XCTUnwrap(golden["start_wall_time"] as? Double))
        for s in scalars {
            try writer.addScalar(
                try XCTUnwrap(s["tag"] as? String), try XCTUnwrap(s["value"] as? Double),
                step: try XCTUnwrap(s["step"] as? Int), wallTime: try XCTUnwrap(s["wall_time"] as? Double))
        }
        try writer.addText(
            try XCTUnwrap(text["tag"] as? String), try XCTUnwrap(text["markdown"] as? String),
            step: try XCTUnwrap(text["step"] as? Int), wallTime: try XCTUnwrap(text["wall_time"] as? Double))
        try writer.addSessionStart(
            step: try XCTUnwrap(session["step"] as? Int),
            wallTime: try XCTUnwrap(session["wall_time"] as? Double))
        try writer.close()

        let ours = try bytes(ofFile: writer.path)
        let records = readRecords(ours)
        XCTAssertEqual(records.count, recordsHex.count)
        for (i, (record, hex)) in zip(records, recordsHex).enumerated() {
            XCTAssertEqual(record, hexBytes(hex), "record \(i)")
        }
        XCTAssertEqual(ours, hexBytes(fileHex), "whole file")
        let decoded = try records.map(DecodedEvent.init)
        XCTAssertEqual(decoded[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(decoded[1].scalars["train/loss"], Float(0.6931471805599453))
        XCTAssertEqual(decoded[3].texts["samples"], text["markdown"] as? String)
        XCTAssertTrue(decoded[4].sessionStart)
    }

    func testUncreatableDirectoryNamesThePath() throws {
        let root = try temporaryFolder("tb-error")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let blocker = root + "/file"
        XCTAssertTrue(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        XCTAssertThrowsError(try TensorBoardWriter(logDirectory: blocker + "/runs")) { error in
            guard case .cannotCreateDirectory(let path, _)? = error as? TrainingLogError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, blocker + "/runs")
            XCTAssertTrue("\(error)".hasPrefix(blocker + "/runs: cannot create directory"), "\(error)")
        }
    }
}

// MARK: - metrics.jsonl

final class MetricsLoggingTests: XCTestCase {
    private func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testLineFormatSortedKeysAndNonFinite() throws {
        let directory = try temporaryFolder("jsonl-format")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/metrics.jsonl"
        let log = try MetricsLog(path: path)
        try log.write(
            step: 3, metrics: ["loss": 0.412, "accuracy": 0.875, "eval/loss": 1e-5, "b": 3],
            strings: ["phase": "tr\"ain\n"])
        try log.write(step: 4, metrics: ["nan": .nan, "inf": .infinity, "ninf": -.infinity, "zero": -0.0])
        // Flushed per line: readable before close.
        XCTAssertEqual(
            try lines(path),
            [
                #"{"step": 3, "accuracy": 0.875, "b": 3.0, "eval/loss": 1e-05, "loss": 0.412, "phase": "tr\"ain\n"}"#,
                #"{"step": 4, "inf": "inf", "nan": "nan", "ninf": "-inf", "zero": -0.0}"#
            ])
        for line in try lines(path) {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(line.utf8)), line)
        }
        // The shortest round-tripping form. (Not checked through JSONSerialization: swift-corelibs-foundation
        // parses 0.30000000000000004 as 0.3000000000000001; Python's json and Swift's Double(String) are exact.)
        let x = 0.1 + 0.2
        try log.write(step: 5, metrics: ["x": x])
        XCTAssertEqual(try lines(path)[2], #"{"step": 5, "x": 0.30000000000000004}"#)
        XCTAssertEqual(Double(MetricsLog.jsonNumber(x)), x)
        XCTAssertEqual(Double(MetricsLog.jsonNumber(1e-300 / 3)), 1e-300 / 3)
        try log.close()
        try log.close()
        XCTAssertThrowsError(try log.write(step: 6, metrics: [:]))
    }

    func testRejectsDuplicateAndReservedKeys() throws {
        let directory = try temporaryFolder("jsonl-keys")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try MetricsLog(path: directory + "/m.jsonl")
        XCTAssertThrowsError(try log.write(step: 1, metrics: ["a": 1], strings: ["a": "x"])) {
            XCTAssertEqual(
                $0 as? TrainingLogError,
                .invalidKey(path: directory + "/m.jsonl", key: "a", reason: "given both as a metric and as a string"))
        }
        XCTAssertThrowsError(try log.write(step: 1, metrics: ["step": 1]))
        XCTAssertEqual(MetricsLog.jsonString("\u{01}é"), "\"\\u0001é\"")
    }

    func testFreshRunTruncatesAndResumeDropsLaterSteps() throws {
        let directory = try temporaryFolder("jsonl-resume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/metrics.jsonl"
        do {
            let log = try MetricsLog(path: path)
            for step in 1...5 { try log.write(step: step, metrics: ["loss": Double(step)]) }
            try log.write(step: 2, metrics: ["eval/loss": 9], strings: [:])
        }
        // A line cut short by a crash.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"step": 6, "lo"#.utf8))
        try handle.close()

        let resumed = try MetricsLog(path: path, resumingAfter: 3)
        XCTAssertEqual(
            try lines(path),
            [
                #"{"step": 1, "loss": 1.0}"#, #"{"step": 2, "loss": 2.0}"#, #"{"step": 3, "loss": 3.0}"#,
                #"{"step": 2, "eval/loss": 9.0}"#
            ])
        try resumed.write(step: 4, metrics: ["loss": 40])
        try resumed.close()
        XCTAssertEqual(try lines(path).last, #"{"step": 4, "loss": 40.0}"#)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: directory), ["metrics.jsonl"],
            "no temporary file left")

        // Resuming a run that never logged creates the file; a fresh run truncates.
        _ = try MetricsLog(path: directory + "/new.jsonl", resumingAfter: 10)
        XCTAssertEqual(try lines(directory + "/new.jsonl"), [])
        _ = try MetricsLog(path: path)
        XCTAssertEqual(try lines(path), [])
    }

    func testOpenFailureNamesThePath() {
        XCTAssertThrowsError(try MetricsLog(path: "/nonexistent-dir-swift-rlhf/metrics.jsonl")) { error in
            XCTAssertEqual((error as? TrainingLogError)?.path, "/nonexistent-dir-swift-rlhf/metrics.jsonl")
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
    }
}

// MARK: - Progress bar

final class ProgressBarLoggingTests: XCTestCase {
    func testBarCells() {
        XCTAssertEqual(ProgressBar.bar(fraction: 0.37, width: 10), "███▋      ")
        XCTAssertEqual(ProgressBar.bar(fraction: 0, width: 10), "          ")
        XCTAssertEqual(ProgressBar.bar(fraction: 1, width: 10), "██████████")
        XCTAssertEqual(ProgressBar.bar(fraction: 1.7, width: 4), "████")
        XCTAssertEqual(ProgressBar.bar(fraction: 0.5, width: 3), "█▌ ")
    }

    func testDurationAndRate() {
        XCTAssertEqual(ProgressBar.duration(12.9), "00:12")
        XCTAssertEqual(ProgressBar.duration(20.0), "00:20")
        XCTAssertEqual(ProgressBar.duration(3599), "59:59")
        XCTAssertEqual(ProgressBar.duration(3723), "1:02:03")
        XCTAssertEqual(ProgressBar.duration(.infinity), "?")
        XCTAssertEqual(ProgressBar.rateText(3.0534), "3.05 it/s")
        XCTAssertEqual(ProgressBar.rateText(0.4), "2.50 s/it")
        XCTAssertEqual(ProgressBar.rateText(1), "1.00 it/s")
        XCTAssertEqual(ProgressBar.rateText(nil), "? it/s")
        XCTAssertEqual(ProgressBar.number(0.41234), "0.4123")
        XCTAssertEqual(ProgressBar.number(1.5e-5), "1.5e-05")
        XCTAssertEqual(ProgressBar.number(.nan), "nan")
    }

    func testRenderLikeTqdm() {
        XCTAssertEqual(
            ProgressBar.render(
                description: "reward", completed: 37, total: 100, initial: 0, elapsed: 12.13,
                metrics: [("loss", 0.412), ("accuracy", 0.875)]),
            "reward  37%|███▋      | 37/100 [00:12<00:20, 3.05 it/s] loss=0.412 accuracy=0.875")
        // Before any step: unknown rate and ETA.
        XCTAssertEqual(
            ProgressBar.render(
                description: "sft", completed: 0, total: 10, initial: 0, elapsed: 0,
                metrics: []),
            "sft   0%|          | 0/10 [00:00<?, ? it/s]")
        // Slow steps show seconds per step.
        XCTAssertEqual(
            ProgressBar.render(
                description: "ppo", completed: 2, total: 4, initial: 0, elapsed: 10,
                metrics: []),
            "ppo  50%|█████     | 2/4 [00:10<00:10, 5.00 s/it]")
        // Total 0 is complete; completed past total shows a full bar and the real count.
        XCTAssertEqual(
            ProgressBar.render(
                description: "x", completed: 0, total: 0, initial: 0, elapsed: 1,
                metrics: []),
            "x 100%|██████████| 0/0 [00:01<?, ? it/s]")
        XCTAssertEqual(
            ProgressBar.render(
                description: "x", completed: 12, total: 10, initial: 0, elapsed: 6,
                metrics: []),
            "x 100%|██████████| 12/10 [00:06<00:00, 2.00 it/s]")
    }

    /// A resumed run shows its real position; the rate counts only the steps since the resume.
    func testResumedRateCountsOnlyNewWork() {
        XCTAssertEqual(
            ProgressBar.render(
                description: "rm", completed: 60, total: 100, initial: 50, elapsed: 5,
                metrics: []),
            "rm  60%|██████    | 60/100 [00:05<00:20, 2.00 it/s]")
    }

    private func captured(_ body: (UnsafeMutablePointer<FILE>) -> Void) throws -> String {
        let stream = try XCTUnwrap(tmpfile())
        defer { fclose(stream) }
        body(stream)
        fflush(stream)
        rewind(stream)
        var out: [UInt8] = []
        while case let c = fgetc(stream), c != EOF { out.append(UInt8(c)) }
        return String(decoding: out, as: UTF8.self)
    }

    func testPlainModePrintsEveryFivePercentAndAtTheEnd() throws {
        let output = try captured { stream in
            var bar = ProgressBar(
                total: 100, description: "t", initial: 0, stream: stream, isTerminal: false,
                startTime: 0)
            for step in 1...100 { bar.update(completed: step, metrics: [], now: Double(step) * 0.01) }
            bar.finish(now: 1)
            bar.finish(now: 2)
        }
        let lines = output.split(separator: "\n")
        XCTAssertEqual(lines.count, 21, output)   // steps 1, 6, 11, …, 96, then 100
        XCTAssertTrue(lines.first?.hasPrefix("t   1%|") ?? false, output)
        XCTAssertTrue(lines.last?.hasPrefix("t 100%|██████████| 100/100") ?? false, output)
        XCTAssertFalse(output.contains("\r"))
    }

    func testPlainModeTimeFallbackAndFinishPrintsUnseenEnd() throws {
        let output = try captured { stream in
            var bar = ProgressBar(
                total: 1000, description: "t", initial: 0, stream: stream, isTerminal: false,
                startTime: 0)
            bar.update(completed: 1, metrics: [], now: 1)
            bar.update(completed: 2, metrics: [], now: 5)   // < 5%, < 10 s: quiet
            bar.update(completed: 3, metrics: [], now: 11.5)   // 10 s since the last line
            bar.update(completed: 4, metrics: [("loss", 0.5)], now: 12)
            bar.finish(now: 13)   // the end state was not shown yet
        }
        let lines = output.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, output)
        XCTAssertTrue(lines[1].contains(" 3/1000 "), output)
        XCTAssertTrue(lines[2].contains(" 4/1000 ") && lines[2].hasSuffix("loss=0.5"), output)
    }

    func testTerminalModeRedrawsInPlaceAndMessagesGoAbove() throws {
        let output = try captured { stream in
            var bar = ProgressBar(
                total: 10, description: "t", initial: 0, stream: stream, isTerminal: true,
                startTime: 0)
            bar.update(completed: 1, metrics: [("loss", 12.5)], now: 0.5)
            bar.update(completed: 2, metrics: [], now: 0.55)   // within 0.1 s: not drawn
            bar.update(completed: 3, metrics: [("loss", 1)], now: 0.7)
            bar.printMessage("checkpoint saved", now: 0.8)
            bar.finish(now: 1)
        }
        XCTAssertFalse(output.contains(" 2/10 "), output)
        XCTAssertTrue(output.hasPrefix("\rt  10%|█         | 1/10 [00:00<00:04, 2.00 it/s] loss=12.5"), output)
        XCTAssertTrue(output.contains("\n"), output)
        // The shorter redraw blanks the longer line's tail; the message clears the line and the bar comes back.
        XCTAssertTrue(output.contains("loss=1   \r"), output)
        XCTAssertTrue(output.contains("\rcheckpoint saved\n\rt  30%"), output)
        XCTAssertTrue(output.hasSuffix(" 3/10 [00:01<00:02, 3.00 it/s] loss=1\n"), output)
    }
}

// MARK: - TrainingLogger

final class TrainingLoggerLoggingTests: XCTestCase {
    func testWritesJSONLAndTensorBoardAndResumes() throws {
        // RLHF_TB_CHECK_DIR keeps the run for `tensorboard_goldens.py --check DIR` (the session-start purge).
        let keep = ProcessInfo.processInfo.environment["RLHF_TB_CHECK_DIR"].map { $0 + "/logger" }
        if let keep { try? FileManager.default.removeItem(atPath: keep) }
        let out = try keep ?? temporaryFolder("logger") + "/run"
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: (out as NSString).deletingLastPathComponent) } }
        do {
            let logger = try TrainingLogger(
                outputDirectory: out, totalSteps: 10, description: "reward",
                progress: false)
            for step in 1...4 {
                try logger.log(step: step, metrics: ["loss": 1 / Double(step), "accuracy": 0.5])
                logger.advance(to: step, metrics: [("loss", 1 / Double(step))])
            }
            try logger.log(step: 4, metrics: ["loss": 0.7], prefix: "eval/")
            try logger.text(tag: "samples", step: 4, markdown: "| p | c |\n|---|---|\n| 1 | 2 |")
            try logger.close()
            try logger.close()
        }
        let jsonl = out + "/metrics.jsonl"
        var lines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(lines[0], #"{"step": 1, "accuracy": 0.5, "loss": 1.0}"#)
        XCTAssertEqual(lines[4], #"{"step": 4, "eval/loss": 0.7}"#)
        let files = try eventFiles(in: out + "/runs")
        XCTAssertEqual(files.count, 1)
        let events = try readRecords(try bytes(ofFile: files[0])).map(DecodedEvent.init)
        XCTAssertEqual(events.count, 1 + 8 + 1 + 1)
        XCTAssertEqual(events[1].scalars, ["train/accuracy": 0.5])
        XCTAssertEqual(events[2].scalars, ["train/loss": 1])
        XCTAssertEqual(events[9].scalars, ["eval/loss": 0.7])
        XCTAssertEqual(events[9].step, 4)
        XCTAssertEqual(events[10].textPluginTags, ["samples"])

        // Resume after step 2: JSONL keeps steps ≤ 2, a new event file starts with a session start at 3.
        let resumed = try TrainingLogger(
            outputDirectory: out, totalSteps: 10, description: "reward",
            resumingAfter: 2, progress: false)
        try resumed.log(step: 3, metrics: ["loss": 0.3])
        try resumed.close()
        lines = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(
            lines.map { String($0.prefix(11)) },
            [#"{"step": 1,"#, #"{"step": 2,"#, #"{"step": 3,"#])
        let resumedFiles = try eventFiles(in: out + "/runs")
        XCTAssertEqual(resumedFiles.count, 2)
        let newFile = try XCTUnwrap(resumedFiles.first { $0 != files[0] })
        let resumedEvents = try readRecords(try bytes(ofFile: newFile)).map(DecodedEvent.init)
        XCTAssertEqual(resumedEvents.count, 3)
        XCTAssertTrue(resumedEvents[1].sessionStart)
        XCTAssertEqual(resumedEvents[1].step, 3)
        XCTAssertEqual(resumedEvents[2].scalars, ["train/loss": 0.3])
    }
}

// MARK: - Golden

// Written by scripts/goldens/tensorboard_goldens.py (tensorboard's protobufs, text plugin and RecordWriter);
// regenerate rather than edit.
// BEGIN tensorboard_golden
private let tensorboardGoldenJSON = #"""
    {
     "generator": "scripts/goldens/tensorboard_goldens.py",
     "tensorboard_version": "2.21.0",
     "start_wall_time": 1718000000.125,
     "scalars": [
      {
       "tag": "train/loss",
       "value": 0.6931471805599453,
       "step": 0,
       "wall_time": 1718000001.5
      },
      {
       "tag": "eval/accuracy",
       "value": 0.875,
       "step": 3,
       "wall_time": 1718000002.25
      }
     ],
     "text": {
      "tag": "samples",
      "markdown": "| prompt | completion | reward |\n|---|---|---|\n| Café? | Oui — très bien → | 1.25 |",
      "step": 3,
      "wall_time": 1718000003.0
     },
     "session_start": {
      "step": 4,
      "wall_time": 1718000004.75
     },
     "records_hex": [
      "0900000860a699d9411a0d627261696e2e4576656e743a32",
      "0900006060a699d9412a130a110a0a747261696e2f6c6f7373151872313f",
      "0900009060a699d94110032a160a140a0d6576616c2f6163637572616379150000603f",
      "090000c060a699d94110032a760a740a0773616d706c6573425f0807120042597c2070726f6d7074207c20636f6d706c6574696f6e207c20726577617264207c0a7c2d2d2d7c2d2d2d7c2d2d2d7c0a7c20436166c3a93f207c204f756920e28094207472c3a873206269656e20e28692207c20312e3235207c4a080a060a0474657874",
      "0900003061a699d94110043a020801"
     ],
     "file_hex": "1800000000000000a37f4b220900000860a699d9411a0d627261696e2e4576656e743a32fdd1ccfd1e00000000000000d9dc12320900006060a699d9412a130a110a0a747261696e2f6c6f7373151872313fe4982c182300000000000000b09f77430900009060a699d94110032a160a140a0d6576616c2f6163637572616379150000603f7eecae0d8300000000000000b3b191e9090000c060a699d94110032a760a740a0773616d706c6573425f0807120042597c2070726f6d7074207c20636f6d706c6574696f6e207c20726577617264207c0a7c2d2d2d7c2d2d2d7c2d2d2d7c0a7c20436166c3a93f207c204f756920e28094207472c3a873206269656e20e28692207c20312e3235207c4a080a060a0474657874ce792e5e0f000000000000006d532b090900003061a699d94110043a0208011fe5920a"
    }
    """#
// END tensorboard_golden

/// The round ticks of the charts (`metricPlotsSVG`) and the config a run leaves beside its metrics.
final class ChartTicksAndRunConfigTests: XCTestCase {
    private func ticks(_ lo: Double, _ hi: Double) -> [Double] { niceTicks(lo, hi).map { ($0 * 1e9).rounded() / 1e9 } }

    func testNiceTicksAreRoundAndCoverTheRange() {
        XCTAssertEqual(ticks(0, 40), [0, 10, 20, 30, 40])
        XCTAssertEqual(ticks(0.1, 4), [0, 1, 2, 3, 4])
        XCTAssertEqual(ticks(-0.3, 0.2), [-0.4, -0.2, 0, 0.2])
        XCTAssertEqual(ticks(1, 1), [1])
        XCTAssertEqual(niceTicks(-1e308, 1e308), [-1e308], "a span past the largest Double: one tick, no endless stride")
        XCTAssertEqual(metricStep(40), 40)
        for bad in [2.5, 1e400, -1e19, .nan] { XCTAssertNil(metricStep(bad)) }
    }

    func testTickLabelsAreDistinctAndShort() {
        for (lo, hi, want) in [
            (0.69305, 0.69321, ["0.69305", "0.69310", "0.69315", "0.69320", "0.69325"]),
            (0.0, 40.0, ["0", "10", "20", "30", "40"]), (-0.3, 0.2, ["-0.4", "-0.2", "0.0", "0.2"]),
            (2e-7, 1e-6, ["2.0e-07", "4.0e-07", "6.0e-07", "8.0e-07", "1.0e-06"])
        ] {
            let t = niceTicks(lo, hi)
            XCTAssertEqual(t.map(tickFormatter(t)), want, "\(lo)...\(hi)")
        }
    }

    func testConfigYAMLLoadsBackToTheSameConfig() throws {
        var c = DPOConfig()
        c.model = "models/smollm2 \"quoted\""
        c.trainFile = "t.jsonl"
        c.evalFile = nil
        c.beta = 0.25
        c.run.learningRate = 5e-7
        c.lora.loraR = 8
        let dir = try temporaryFolder("config-yaml", removedAfter: self)
        try c.yamlText.write(toFile: dir + "/config.yaml", atomically: true, encoding: .utf8)
        let back = try DPOConfig.load(path: dir + "/config.yaml")
        XCTAssertEqual(back.yamlText, c.yamlText)
        XCTAssertEqual(back.model, c.model)
        XCTAssertEqual(back.beta, 0.25)
        XCTAssertEqual(back.run.learningRate, 5e-7)
        XCTAssertNil(back.evalFile)
    }
}
