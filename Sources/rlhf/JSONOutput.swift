// Numbers in `--json` output: JSON has no NaN or ±∞, so such values print as `null` and a warning goes to
// stderr; the output stays valid JSON whatever the model computes.

import Foundation

/// `x` as a JSON number, or `null` when it is NaN or ±∞.
func jsonNumber(_ x: Double) -> String {
    x.isFinite ? "\(x)" : "null"
}

/// The values as JSON-serialisable elements, NaN and ±∞ as `NSNull`, and how many there were.
func jsonArray(_ xs: [Double]) -> (values: [Any], nonFinite: Int) {
    var bad = 0
    let values: [Any] = xs.map { x in
        if x.isFinite { return x }
        bad += 1
        return NSNull()
    }
    return (values, bad)
}

/// Warns on stderr that `count` non-finite values of `what` were written as `null`.
func warnNonFinite(_ count: Int, _ what: String) {
    guard count > 0 else { return }
    FileHandle.standardError.write(
        Data("warning: \(count) \(what) not finite (NaN or ±inf), written as null; the model's weights may be broken\n".utf8))
}
