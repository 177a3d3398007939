// Data and config files are streams: a pipe (`--data <(…)`, /dev/fd/N) or a FIFO with a writer reads like a
// regular file (standard input, `--data -`, is tested at the command line in CLITests).

import Foundation
@testable import RLHFData
import XCTest
@testable import RLHFTraining

final class DataStreamTests: XCTestCase {
    /// `--data <(…)`: preference pairs from the read end of a pipe, as /dev/fd/N.
    func testPreferencePairsFromAPipe() throws {
        let pipe = Pipe()
        let lines = "{\"prompt\": \"2+2?\", \"chosen\": \"4\", \"rejected\": \"5\"}\n{\"chosen\": \"a\", \"rejected\": \"b\"}\n"
        Thread.detachNewThread {
            pipe.fileHandleForWriting.write(Data(lines.utf8))
            try? pipe.fileHandleForWriting.close()
        }
        let path = "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)"
        let data = try PreferenceDataset(path: path)
        XCTAssertEqual(data.pairs.map(\.chosen), ["4", "a"])
        XCTAssertEqual(data.pairs.map(\.line), [1, 2])
    }

    /// A FIFO with a writer is a stream too; a config file given as a pipe (`--config <(…)`) reads as well.
    func testPairsFromAFIFOAndAConfigFromAPipe() throws {
        let dir = NSTemporaryDirectory() + "rlhf-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/pairs.jsonl"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        Thread.detachNewThread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            let text = Array("{\"text_a\": \"yes\", \"text_b\": \"no\", \"label\": 0}\n".utf8)
            _ = text.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            close(fd)
        }
        XCTAssertEqual(try PreferenceDataset(path: fifo).pairs.map(\.chosen), ["no"])

        let pipe = Pipe()
        Thread.detachNewThread {
            pipe.fileHandleForWriting.write(Data("model: m\ntrain_file: t.jsonl\nlearning_rate: 0.5\n".utf8))
            try? pipe.fileHandleForWriting.close()
        }
        XCTAssertEqual(try RewardConfig.load(path: "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)").learningRate, 0.5)
    }
}
