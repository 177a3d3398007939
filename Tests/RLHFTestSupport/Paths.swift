// Where the tests find the repository: its root, the test resources of any test target by path, and the real
// models under models/ (placed by scripts/fetch-models, run by `make test`).

import Foundation
import XCTest

/// The repository root (three levels above this file, Tests/RLHFTestSupport/Paths.swift).
public let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The path of `relative` under `Tests/<target>/Resources/` in the source tree: for a test that reads the
/// resources of another test target (a test's own are also in `Bundle.module`).
public func testResourcePath(_ target: String, _ relative: String) -> String {
    repoRoot + "/Tests/\(target)/Resources/" + relative
}

/// The path of a real model file or folder under models/; its absence fails the test (the models are part of
/// the test setup) and throws.
public func realModelPath(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let path = repoRoot + "/models/" + relative
    guard FileManager.default.fileExists(atPath: path) else {
        XCTFail("\(path) is missing: run `make test` or scripts/fetch-models", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }
    return path
}
