// What kind of file a reader accepts. Model files (safetensors, GGUF, config.json, index files) must be
// regular files: a FIFO in their place is refused at once, never waited on. Data files (JSONL, YAML) are
// streams: a FIFO, a pipe (`--data <(…)`, /dev/fd/N) or standard input ("-", see CLITests) reads to its end.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFFormats

final class FileKindTests: TemporaryDirectoryTestCase {
    /// Runs `body`, asserting it throws within a second with a message naming `path` and "FIFO".
    private func assertRefusesFIFO<T>(_ path: String, _ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(path) && message.contains("FIFO"), message, file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "the reader waited on the FIFO", file: file, line: line)
    }

    func testModelFilesThatAreFIFOsAreRefusedAtOnce() throws {
        for name in ["model.safetensors", "model.gguf", "config.json"] { try makeFIFO(tmp + "/" + name) }
        assertRefusesFIFO(tmp + "/model.safetensors") { try SafetensorsFile(path: tmp + "/model.safetensors") }
        assertRefusesFIFO(tmp + "/model.safetensors") { try SafetensorsCheckpoint(directory: tmp) }
        assertRefusesFIFO(tmp + "/model.gguf") { try GGUFFile(path: tmp + "/model.gguf") }
        assertRefusesFIFO(tmp + "/config.json") { try readRegularFile(path: tmp + "/config.json") }
        struct Config: Decodable { var hiddenSize: Int }
        assertRefusesFIFO(tmp + "/config.json") { try decodeConfig(Config.self, from: tmp + "/config.json") }
    }

    func testDirectoriesAreNotModelFiles() throws {
        try FileManager.default.createDirectory(atPath: tmp + "/model.gguf", withIntermediateDirectories: false)
        assertFormatError(try GGUFFile(path: tmp + "/model.gguf"), path: tmp + "/model.gguf", "is a directory, not a regular file")
        assertFormatError(try readJSONLines(path: tmp), path: tmp, "cannot read")
    }

    func testJSONLinesReadFromAFIFO() throws {
        let path = tmp + "/data.jsonl"
        try makeFIFO(path, watchdogAfter: 30)
        feedFIFO(path, "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n")
        let records = try readJSONLines(path: path)
        XCTAssertEqual(records.map(\.line), [1, 3])
        XCTAssertEqual(try records.map { try $0.value.get()["text"]?.stringValue }, ["a", "b"])
    }

    /// `--data <(…)`: the shell passes /dev/fd/N, the read end of a pipe.
    func testJSONLinesReadFromAPipe() throws {
        let pipe = Pipe()
        let text = (1...3000).map { "{\"n\": \($0)}" }.joined(separator: "\n")   // more than a pipe buffer holds
        Thread.detachNewThread {
            pipe.fileHandleForWriting.write(Data(text.utf8))
            try? pipe.fileHandleForWriting.close()
        }
        let records = try readJSONLines(path: "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)")
        XCTAssertEqual(records.count, 3000)
        XCTAssertEqual(try records.last?.value.get()["n"]?.doubleValue, 3000)
    }

    func testMissingDataFileNamesThePath() throws {
        assertFormatError(try readJSONLines(path: tmp + "/none.jsonl"), path: tmp + "/none.jsonl", "cannot read the file", "No such file")
    }
}
