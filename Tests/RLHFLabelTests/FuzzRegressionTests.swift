// Replays the fuzz regression inputs of `rlhf label`'s readers (Resources/fuzz-regressions/label) as the
// fuzz-label harness feeds them: each file as a label request body, an undo request body and a prompt file.
// Each must decode or be rejected with a LabelError (a request's with status 400; a prompt file's naming the
// file); a trap would end the test process. Hand-made hostile inputs are `hand-*`.

import Foundation
import RLHFTestSupport
import XCTest

@testable import RLHFLabel

final class FuzzRegressionTests: XCTestCase {
    func testLabelInputsAreReadOrRejected() throws {
        var rejected = 0, files = 0
        try forEachFuzzRegressionInput("label", target: "RLHFLabelTests") { path in
            files += 1
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            for decode in [{ _ = try LabelRequest(json: text) }, { _ = try UndoRequest(json: text) }] {
                do { try decode() } catch LabelError.request(let status, _) {
                    XCTAssertEqual(status, 400, path)
                    rejected += 1
                }
            }
            assertReadOrRejected(path, expecting: { $0 is LabelError }) { _ = try readLabelPrompts(path: path) }
        }
        XCTAssertEqual(rejected, 2 * files, "every hand-made input is a bad request body")
    }
}
