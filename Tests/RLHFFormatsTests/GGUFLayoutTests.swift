// GGUF data-section layout: the tensors must tile it as a writer lays them out (first at 0, each at the
// previous end rounded up to the alignment, the file ending within the alignment after the last), so that
// a tensor whose type or shape was changed to a smaller one, leaving bytes no tensor accounts for, is an
// error naming the tensor and the offset instead of a silently different model.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFFormats

final class GGUFLayoutTests: TemporaryDirectoryTestCase {
    /// Two F32 tensors: `a` [64] (256 bytes) at 0 and `b` [64] at 256, with explicit offsets.
    private func twoTensors() -> GGUFBuilder {
        var g = GGUFBuilder()
        g.kvString("general.architecture", "llama")
        var data: [UInt8] = []
        for i in 0..<64 { data.f32(Float(i)) }
        g.tensors = [
            .init(name: "a", dims: [64], type: 0, data: data, offset: 0),
            .init(name: "b", dims: [64], type: 0, data: data, offset: 256)
        ]
        return g
    }

    private func assertRejected(_ g: GGUFBuilder, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(g.build().bytes, "layout-\(UUID().uuidString).gguf")
        let error = assertFormatError(try GGUFFile(path: path), path: path, file: file, line: line)
        for f in fragments {
            XCTAssertTrue(error?.description.contains(f) ?? false, "message lacks '\(f)': \(error?.description ?? "")", file: file, line: line)
        }
    }

    func testWellLaidOutFileLoads() throws {
        let path = try write(twoTensors().build().bytes, "good.gguf")
        let f = try GGUFFile(path: path)
        XCTAssertEqual(try f.tensor("b").scalars, (0..<64).map(Float.init))
        // padding up to the alignment after the last tensor is what writers leave
        let padded = try write(twoTensors().build().bytes + [UInt8](repeating: 0, count: 31), "padded.gguf")
        XCTAssertEqual(try GGUFFile(path: padded).tensorInfos.count, 2)
    }

    func testTensorRetypedToASmallerTypeLeavesAGap() throws {
        var g = twoTensors()
        g.tensors[0].type = 1   // F16: 128 bytes, but b still starts at 256
        let dataOffset = g.build().dataOffset
        try assertRejected(
            g, "offset \(dataOffset + 256)", "tensor 'b' starts at offset 256 of the data section",
            "tensor 'a' ends at 128", "128 bytes are unaccounted for")
        g = twoTensors()
        g.tensors[0].dims = [32]   // a shape that says half the bytes gives the same gap
        try assertRejected(g, "tensor 'b'", "tensor 'a' ends at 128")
    }

    func testLastTensorRetypedLeavesTrailingBytes() throws {
        var g = twoTensors()
        g.tensors[1].type = 1   // F16: b ends at 384, the file at 512
        let dataOffset = g.build().dataOffset
        try assertRejected(g, "offset \(dataOffset + 384)", "128 bytes follow the data of the last tensor 'b'", "alignment padding")
    }

    func testFirstTensorMustStartTheDataSection() throws {
        var g = twoTensors()
        g.tensors[0].offset = 512
        g.tensors[1].offset = 768
        try assertRejected(g, "tensor 'a' starts at offset 512", "the data section starts at 0", "512 bytes are unaccounted for")
    }

    func testOverlapNamesBothTensors() throws {
        var g = twoTensors()
        g.tensors[1].offset = 128
        try assertRejected(g, "data of tensor 'b' (offset 128) overlaps tensor 'a'")
    }

    func testBytesAfterTheHeaderOfAFileWithoutTensors() throws {
        var g = GGUFBuilder()
        g.kvString("general.architecture", "llama")
        let path = try write(g.build().bytes, "empty.gguf")
        XCTAssertEqual(try GGUFFile(path: path).tensorInfos.count, 0)
        let padded = try write(g.build().bytes + [UInt8](repeating: 7, count: 64), "junk.gguf")
        assertFormatError(try GGUFFile(path: padded), path: padded, "64 bytes of data follow the header, but the file has no tensors")
    }

    func testZeroSizedTensorsShareAnOffset() throws {
        var g = twoTensors()
        g.tensors.insert(.init(name: "empty", dims: [0], type: 0, data: [], offset: 256), at: 1)
        let path = try write(g.build().bytes, "zero.gguf")
        XCTAssertEqual(try GGUFFile(path: path).tensor("empty").shape, [0])
    }

    func testIntegerTensorsAreNotWeights() throws {
        var g = twoTensors()
        g.tensors[1].type = 26   // I32: the same bytes read as integers
        let path = try write(g.build().bytes, "i32.gguf")
        let f = try GGUFFile(path: path)
        assertFormatError(try f.tensor("b"), path: path, "tensor 'b'", "i32 is an integer type")
        XCTAssertEqual(try f.tensor("b", allowingIntegers: true).scalars.prefix(2), [0, Float(Int32(bitPattern: Float(1).bitPattern))])
    }
}
