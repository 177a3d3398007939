// Tokenizer files must be regular files: a FIFO in place of tokenizer.json (or tokenizer_config.json,
// chat_template.jinja) is refused at once; reading it would wait for a writer forever.

import Foundation
import XCTest
@testable import RLHFTokenizers

final class FileKindTests: XCTestCase {
    func testTokenizerFileThatIsAFIFOIsRefusedAtOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-fifo-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/tokenizer.json"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) {  // wakes a reader that would wait on the FIFO
            let fd = open(path, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        let start = Date()
        assertTokenizerError([path, "FIFO", "not a regular file"]) { _ = try Tokenizer.load(tokenizerJSON: path) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "the loader waited on the FIFO")
    }

    func testConfigBesideTheTokenizerThatIsAFIFOIsRefused() throws {
        let path = try Fixtures.writeTemp(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}"#)
        let config = (path as NSString).deletingLastPathComponent + "/tokenizer_config.json"
        XCTAssertEqual(mkfifo(config, 0o600), 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
            let fd = open(config, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        assertTokenizerError([config, "FIFO"]) { _ = try Tokenizer.load(tokenizerJSON: path) }
    }
}
