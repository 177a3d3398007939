// Elementwise comparison of floating-point arrays with a tolerance, the one helper behind every "within
// tolerance" check of the test targets (a Double reference, PyTorch's or TRL's recorded values).

import XCTest

/// At most this many element failures are reported per compared array (the count is always reported).
private let maxReports = 4

/// Asserts that `a` and `b` have the same count and match elementwise with
/// `|a − b| ≤ abs + rel·max(|b|, relativeFloor)`: `abs` and `rel` alone give numpy's `isclose` form
/// `abs + rel·|b|`; `relativeFloor: 1` makes `rel` absolute for `|b| < 1`. Two NaNs match, as do two equal
/// infinities. Reports the first few failures, each naming `what`, the element index and both values (`aName`,
/// `bName`), then how many failed. Returns whether all matched.
@discardableResult
public func assertClose<T: BinaryFloatingPoint>(
    _ a: [T], _ b: [T], abs: T = 0, rel: T = 0, relativeFloor: T = 0, _ what: String,
    aName: String = "ours", bName: String = "reference", file: StaticString = #filePath, line: UInt = #line
) -> Bool {
    guard a.count == b.count else {
        XCTFail("\(what): \(a.count) values vs \(b.count) in the \(bName)", file: file, line: line)
        return false
    }
    var bad = 0
    for i in 0..<a.count {
        let scale = relativeFloor > 0 ? Swift.max(b[i].magnitude, relativeFloor) : b[i].magnitude
        let ok = (a[i] - b[i]).magnitude <= abs + rel * scale || (a[i].isNaN && b[i].isNaN) || (a[i].isInfinite && a[i] == b[i])
        if !ok {
            if bad < maxReports {
                XCTFail(
                    "\(what): element \(i): \(aName) \(a[i]) vs \(bName) \(b[i]) (|diff| \((a[i] - b[i]).magnitude))",
                    file: file, line: line)
            }
            bad += 1
        }
    }
    if bad > maxReports { XCTFail("\(what): \(bad) elements out of tolerance in all", file: file, line: line) }
    return bad == 0
}

/// `assertClose` on ragged rows: the row lengths must agree, then the elements as above (indexed in row-major
/// order).
@discardableResult
public func assertClose<T: BinaryFloatingPoint>(
    _ a: [[T]], _ b: [[T]], abs: T = 0, rel: T = 0, relativeFloor: T = 0, _ what: String,
    aName: String = "ours", bName: String = "reference", file: StaticString = #filePath, line: UInt = #line
) -> Bool {
    guard a.map(\.count) == b.map(\.count) else {
        XCTFail("\(what): row lengths \(a.map(\.count)) vs \(b.map(\.count)) in the \(bName)", file: file, line: line)
        return false
    }
    return assertClose(
        a.flatMap { $0 }, b.flatMap { $0 }, abs: abs, rel: rel, relativeFloor: relativeFloor, what,
        aName: aName, bName: bName, file: file, line: line)
}
