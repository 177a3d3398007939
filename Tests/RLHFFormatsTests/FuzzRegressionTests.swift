// Replays the fuzz regression inputs of the safetensors and GGUF readers (Resources/fuzz-regressions/<reader>/,
// fed as the fuzz harnesses feed them): the inputs a fuzzer found that crashed a reader, minimised, and
// hand-made hostile ones (`hand-*`, from Fuzz/make_nasty_inputs.py). Each must be parsed or rejected with a
// FormatError naming the file; a trap would end the test process. Every hand-made input aims at a guard, so
// it must be rejected: by the reader, or when its tensors are read as weights.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFFormats

final class FuzzRegressionTests: XCTestCase {
    /// Runs `body` on one input: true when it threw a FormatError naming `path` (anything else thrown fails).
    private func rejected(_ path: String, _ body: () throws -> Void, line: UInt = #line) -> Bool {
        assertReadOrRejected(path, naming: path + ":", expecting: { $0 is FormatError }, body, line: line)
    }

    func testSafetensorsInputs() throws {
        forEachFuzzRegressionInput("safetensors", target: "RLHFFormatsTests") { path in
            var refused = false
            let opened = !rejected(path) {
                let file = try SafetensorsFile(path: path)
                for name in file.tensorNames {
                    refused = rejected(path) { _ = try file.tensor(name) } || refused
                    _ = rejected(path) { _ = try file.tensor(name, allowingIntegers: true) }
                    try file.withRawBytes(name) { raw in _ = raw.reduce(0 as UInt8, &+) }
                }
            }
            if isHandMadeFuzzInput(path) {
                XCTAssertTrue(!opened || refused, "\(path): a hand-made hostile input was accepted")
            }
        }
    }

    func testGGUFInputs() throws {
        forEachFuzzRegressionInput("gguf", target: "RLHFFormatsTests") { path in
            var refused = false
            let opened = !rejected(path) {
                let file = try GGUFFile(path: path)
                for info in file.tensorInfos {
                    refused = rejected(path) { _ = try file.tensor(info.name) } || refused
                    try file.withRawBytes(info.name) { raw in _ = raw.reduce(0 as UInt8, &+) }
                }
            }
            if isHandMadeFuzzInput(path) {
                XCTAssertTrue(!opened || refused, "\(path): a hand-made hostile input was accepted")
            }
        }
    }
}
