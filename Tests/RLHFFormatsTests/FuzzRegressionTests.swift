// Replays the fuzz regression inputs of the safetensors and GGUF readers (Resources/fuzz-regressions/<reader>/,
// fed as the fuzz harnesses feed them): the inputs a fuzzer found that crashed a reader, minimised, and
// hand-made hostile ones (`hand-*`, from Fuzz/make_nasty_inputs.py). Each must be parsed or rejected with a
// FormatError naming the file; a trap would end the test process. Every hand-made input aims at a guard, so
// it must be rejected: by the reader, or when its tensors are read as weights.

import Foundation
import XCTest
@testable import RLHFFormats

/// The files of `Tests/<target>/Resources/fuzz-regressions/<reader>/`, sorted; fails when there are none.
func fuzzRegressionInputs(_ reader: String, target: String = "RLHFFormatsTests",
                          file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
    let folder = repoRoot + "/Tests/\(target)/Resources/fuzz-regressions/" + reader
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    XCTAssertFalse(names.isEmpty, "no regression inputs in \(folder)", file: file, line: line)
    return names.sorted().map { folder + "/" + $0 }
}

final class FuzzRegressionTests: XCTestCase {
    /// Runs `body` on one input: true when it threw a FormatError naming `path` (anything else thrown fails).
    private func rejected(_ path: String, _ body: () throws -> Void, line: UInt = #line) -> Bool {
        do {
            try body()
            return false
        } catch let error as FormatError {
            XCTAssertTrue(error.description.hasPrefix(path + ":"), "message does not name the file: \(error)", line: line)
            return true
        } catch {
            XCTFail("\(path): expected a FormatError, got \(error)", line: line)
            return true
        }
    }

    func testSafetensorsInputs() throws {
        for path in try fuzzRegressionInputs("safetensors") {
            var refused = false
            let opened = !rejected(path) {
                let file = try SafetensorsFile(path: path)
                for name in file.tensorNames {
                    refused = rejected(path) { _ = try file.tensor(name) } || refused
                    _ = rejected(path) { _ = try file.tensor(name, allowingIntegers: true) }
                    try file.withRawBytes(name) { raw in _ = raw.reduce(0 as UInt8, &+) }
                }
            }
            if (path as NSString).lastPathComponent.hasPrefix("hand-") {
                XCTAssertTrue(!opened || refused, "\(path): a hand-made hostile input was accepted")
            }
        }
    }

    func testGGUFInputs() throws {
        for path in try fuzzRegressionInputs("gguf") {
            var refused = false
            let opened = !rejected(path) {
                let file = try GGUFFile(path: path)
                for info in file.tensorInfos {
                    refused = rejected(path) { _ = try file.tensor(info.name) } || refused
                    try file.withRawBytes(info.name) { raw in _ = raw.reduce(0 as UInt8, &+) }
                }
            }
            if (path as NSString).lastPathComponent.hasPrefix("hand-") {
                XCTAssertTrue(!opened || refused, "\(path): a hand-made hostile input was accepted")
            }
        }
    }
}
