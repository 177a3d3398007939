// The replay loop of the fuzz regression tests (`FuzzRegressionTests` in each test target): the committed
// inputs under `Tests/<target>/Resources/fuzz-regressions/<reader>/`, fed one by one to what the harness
// feeds, each to be read or rejected with an error that names the file. Hand-made hostile inputs are
// `hand-*` (Fuzz/make_nasty_inputs.py); the others are what the fuzzers found, minimised.

import Foundation
import XCTest

/// Calls `body` with the path of every file of `Tests/<target>/Resources/fuzz-regressions/<reader>/`, in name
/// order; fails the test when there are none.
public func forEachFuzzRegressionInput(
    _ reader: String, target: String, file: StaticString = #filePath, line: UInt = #line,
    _ body: (_ path: String) throws -> Void
) rethrows {
    let folder = testResourcePath(target, "fuzz-regressions/" + reader)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    XCTAssertFalse(names.isEmpty, "no regression inputs in \(folder)", file: file, line: line)
    for name in names.sorted() { try body(folder + "/" + name) }
}

/// Whether a regression input is hand-made (`hand-*`): each aims at a guard, so it must be rejected.
public func isHandMadeFuzzInput(_ path: String) -> Bool {
    (path as NSString).lastPathComponent.hasPrefix("hand-")
}

/// Runs `body` on one regression input and returns whether it threw. A thrown error that `isExpected`
/// accepts (the readers' own error types) must name the file: its text starts with `name` (default `path`),
/// or with `mentioning` contains it; any other error fails the test.
@discardableResult
public func assertReadOrRejected(
    _ path: String, naming name: String? = nil, mentioning: Bool = false, expecting isExpected: (any Error) -> Bool,
    _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line
) -> Bool {
    do {
        try body()
        return false
    } catch {
        let text = "\(error)"
        let name = name ?? path
        if isExpected(error) {
            XCTAssertTrue(
                mentioning ? text.contains(name) : text.hasPrefix(name), "the message does not name \(path): \(text)",
                file: file, line: line)
        } else {
            XCTFail("\(path): unexpected error \(type(of: error)): \(text)", file: file, line: line)
        }
        return true
    }
}
