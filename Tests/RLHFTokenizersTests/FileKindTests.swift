// Tokenizer files must be regular files: a FIFO in place of tokenizer.json (or tokenizer_config.json,
// chat_template.jinja) is refused at once; reading it would wait for a writer forever.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFTokenizers

final class FileKindTests: XCTestCase {
    func testTokenizerFileThatIsAFIFOIsRefusedAtOnce() throws {
        let path = try temporaryFolder("fifo", removedAfter: self) + "/tokenizer.json"
        try makeFIFO(path)   // its watchdog wakes a reader that would wait on the FIFO
        let start = Date()
        assertTokenizerError([path, "FIFO", "not a regular file"]) { _ = try Tokenizer.load(tokenizerJSON: path) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "the loader waited on the FIFO")
    }

    func testConfigBesideTheTokenizerThatIsAFIFOIsRefused() throws {
        let path = try Fixtures.writeTemp(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}"#)
        let config = (path as NSString).deletingLastPathComponent + "/tokenizer_config.json"
        try makeFIFO(config)
        assertTokenizerError([config, "FIFO"]) { _ = try Tokenizer.load(tokenizerJSON: path) }
    }
}
