// What a model folder's files must be: weights in a floating-point dtype (F32 data relabelled I32 is an
// error naming the file and tensor, not integers loaded as weights), and config.json a regular file (a FIFO
// in its place is refused at once instead of blocking the load forever).

import Foundation
import XCTest
import RLHFFormats
import RLHFTestSupport
@testable import RLHFModels

final class ModelFileTests: TemporaryDirectoryTestCase {
    /// A copy of the tiny Llama folder whose first F32 tensor is relabelled `dtype` (same byte size); returns
    /// the relabelled tensor's name.
    private func relabelledCopy(_ dtype: String) throws -> String {
        let source = resourceFolder("tiny-llama")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: tmp + "/" + name)
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: tmp + "/model.safetensors")))
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        let field = Array("\"dtype\":\"F32\"".utf8)
        let at = try XCTUnwrap((8..<(8 + headerLength - field.count)).first { Array(bytes[$0..<($0 + field.count)]) == field })
        bytes.replaceSubrange((at + 9)..<(at + 12), with: Array(dtype.utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: tmp + "/model.safetensors"))
        // the tensor is the key whose object holds the field: the last quoted key before it ending in ":{"
        let before = header.prefix(at - 8)
        let keyEnd = try XCTUnwrap(before.range(of: "\":{", options: .backwards))
        let keyStart = try XCTUnwrap(before[..<keyEnd.lowerBound].range(of: "\"", options: .backwards))
        return String(before[keyStart.upperBound..<keyEnd.lowerBound])
    }

    func testF32WeightsRelabelledAsIntegersAreAnError() throws {
        for dtype in ["I32", "U32"] {
            try? FileManager.default.removeItem(atPath: tmp)
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            let name = try relabelledCopy(dtype)
            XCTAssertThrowsError(try loadPretrained(path: tmp)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix(tmp + "/model.safetensors: tensor '\(name)'"), text)
                XCTAssertTrue(text.contains("dtype \(dtype) is not a floating-point type"), text)
            }
        }
        // the untouched folder loads
        XCTAssertEqual(try loadPretrained(path: resourceFolder("tiny-llama")).architecture.name, "llama")
    }

    func testConfigThatIsAFIFOIsRefusedAtOnce() throws {
        try FileManager.default.copyItem(atPath: resourceFolder("tiny-llama") + "/model.safetensors", toPath: tmp + "/model.safetensors")
        let config = tmp + "/config.json"
        try makeFIFO(config)   // its watchdog wakes a loader that would wait on the FIFO
        let start = Date()
        XCTAssertThrowsError(try loadPretrained(path: tmp)) { error in
            XCTAssertTrue("\(error)".hasPrefix(config + ": is a FIFO (named pipe), not a regular file"), "\(error)")
        }
        XCTAssertThrowsError(try RewardModel.load(path: tmp)) { error in XCTAssertTrue("\(error)".contains("FIFO"), "\(error)") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "the loader waited on the FIFO")
    }

    func testGGUFThatIsAFIFOIsRefusedAtOnce() throws {
        let path = tmp + "/model.gguf"
        try makeFIFO(path)
        let start = Date()
        XCTAssertThrowsError(try loadPretrained(path: path)) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": is a FIFO (named pipe)"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "the loader waited on the FIFO")
    }
}
