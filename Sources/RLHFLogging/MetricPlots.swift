// Line charts of a run's metrics against step, as one SVG file (no dependencies): one panel per chart,
// each with one or more series read from metrics.jsonl.

import Foundation
import RLHFFormats

/// One panel: a title and the metric keys drawn in it.
public struct PlotPanel: Sendable {
    /// The heading drawn above the panel.
    public var title: String
    /// The metrics.jsonl keys drawn as series in this panel, one line each.
    public var keys: [String]
    /// A panel titled `title` with one series per key in `keys`.
    public init(_ title: String, _ keys: [String]) { self.title = title; self.keys = keys }
}

/// Series (step, value) per metric key from a metrics.jsonl file, for `keys` or (nil) every numeric key
/// (lines without a usable `step` are skipped; later lines for a step replace earlier ones, as after a resume).
public func readMetricSeries(path: String, keys: Set<String>? = nil) throws -> [String: [(step: Int, value: Double)]] {
    var byKey: [String: [Int: Double]] = [:]
    for record in try readJSONLines(path: path) {
        guard case .success(let v) = record.value, let step = v["step"]?.doubleValue.flatMap(metricStep) else { continue }
        for e in v.objectEntries ?? [] where e.key != "step" && keys?.contains(e.key) ?? true {
            if let x = e.value.doubleValue, x.isFinite { byKey[e.key, default: [:]][step] = x }
        }
    }
    return byKey.mapValues { $0.sorted { $0.key < $1.key }.map { (step: $0.key, value: $0.value) } }
}

/// A logged step as an integer: a whole number of magnitude under 10^15, else nil (a line with another
/// `step`, say 1e400 or 2.5, is passed over rather than trapping the conversion).
public func metricStep(_ x: Double) -> Int? {
    guard x.isFinite, abs(x) < 1e15, x == x.rounded() else { return nil }
    return Int(x)
}

/// Writes the panels as a grid of line charts (two per row) to `svgPath`.
public func writeMetricPlots(metricsPath: String, panels: [PlotPanel], title: String, to svgPath: String) throws {
    let series = try readMetricSeries(path: metricsPath, keys: Set(panels.flatMap(\.keys)))
    let svg = metricPlotsSVG(series: series, panels: panels, title: title)
    try AtomicFileWriter.write(to: svgPath) { try $0.write(Array(svg.utf8)) }
}

/// The panels as a grid of line charts (`columns` per row) in one SVG document: each panel has a step axis
/// and a value axis with round tick labels and grid lines, and a legend naming its series.
public func metricPlotsSVG(
    series: [String: [(step: Int, value: Double)]], panels: [PlotPanel], title: String, columns: Int = 2
) -> String {
    let (w, h, pad) = (420.0, 260.0, 52.0)
    let columns = max(1, columns), rows = (panels.count + columns - 1) / columns
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(w) * columns) \(Int(h) * rows + 30)" width="\(Int(w) * columns)" \
        height="\(Int(h) * rows + 30)" font-family="sans-serif" font-size="11" role="img">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="20" font-size="14">\(escapeHTML(title))</text>\n
        """
    for (n, panel) in panels.enumerated() {
        let ox = Double(n % columns) * w, oy = 30 + Double(n / columns) * h
        let points = panel.keys.flatMap { series[$0] ?? [] }
        svg += "<g transform=\"translate(\(ox),\(oy))\">\n<text x=\"\(pad)\" y=\"14\" font-size=\"12\">\(escapeHTML(panel.title))</text>\n"
        let (x0, x1, y0, y1) = (pad, w - 12, h - 30, 24.0)
        svg += "<rect x=\"\(x0)\" y=\"\(y1)\" width=\"\(x1 - x0)\" height=\"\(y0 - y1)\" fill=\"none\" stroke=\"#999\"/>\n"
        guard let minStep = points.map(\.step).min(), let maxStep = points.map(\.step).max(),
            var lo = points.map(\.value).min(), var hi = points.map(\.value).max()
        else {
            svg += "<text x=\"\(pad + 10)\" y=\"\(h / 2)\">no data</text>\n</g>\n"
            continue
        }
        if hi - lo < 1e-12 { lo -= 1; hi += 1 }
        let yTicks = niceTicks(lo, hi)
        lo = min(lo, yTicks.first ?? lo); hi = max(hi, yTicks.last ?? hi)
        let xTicks =
            maxStep == minStep
            ? [Double(minStep)]
            : niceTicks(Double(minStep), Double(maxStep)).filter { $0 >= Double(minStep) && $0 <= Double(maxStep) && $0 == $0.rounded() }
        func px(_ s: Double) -> Double { x0 + (x1 - x0) * (maxStep == minStep ? 0.5 : (s - Double(minStep)) / Double(maxStep - minStep)) }
        func py(_ v: Double) -> Double { y0 - (y0 - y1) * (v - lo) / (hi - lo) }
        let label = tickFormatter(yTicks)
        for v in yTicks {
            let y = String(format: "%.1f", py(v))
            svg += "<line x1=\"\(x0)\" x2=\"\(x1)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(x0 - 4)\" y=\"\(String(format: "%.1f", py(v) + 4))\" text-anchor=\"end\">\(label(v))</text>\n"
        }
        for s in xTicks {
            let x = String(format: "%.1f", px(s))
            svg += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(y0)\" y2=\"\(y0 + 4)\" stroke=\"#999\"/>"
            svg += "<text x=\"\(x)\" y=\"\(y0 + 15)\" text-anchor=\"middle\">\(Int(s))</text>\n"
        }
        svg += "<text x=\"\((x0 + x1) / 2)\" y=\"\(y0 + 27)\" text-anchor=\"middle\" fill=\"#555\">step</text>\n"
        for (i, key) in panel.keys.enumerated() {
            guard let s = series[key], !s.isEmpty else { continue }
            let color = colors[i % colors.count]
            let path = s.map { "\(String(format: "%.1f", px(Double($0.step)))),\(String(format: "%.1f", py($0.value)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            if s.count == 1 { svg += "<circle cx=\"\(px(Double(s[0].step)))\" cy=\"\(py(s[0].value))\" r=\"2.5\" fill=\"\(color)\"/>\n" }
            svg += "<text x=\"\(x1 - 4)\" y=\"\(y1 + 14 + 13 * Double(i))\" text-anchor=\"end\" fill=\"\(color)\">\(escapeHTML(key))</text>\n"
        }
        svg += "</g>\n"
    }
    svg += "</svg>\n"
    return svg
}

/// About five round tick values (steps of 1, 2 or 5 × 10^k) covering [lo, hi].
func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite, (hi - lo).isFinite else { return [lo] }
    let raw = (hi - lo) / Double(max(1, count - 1))
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    let first = (lo / step).rounded(.down) * step, last = (hi / step).rounded(.up) * step
    return stride(from: first, through: last + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
}

/// A formatter that writes evenly spaced ticks with as many digits as their spacing needs (so that no two
/// read the same): fixed decimals, or an exponent for very small or large values.
func tickFormatter(_ ticks: [Double]) -> (Double) -> String {
    let step = ticks.count > 1 ? abs(ticks[1] - ticks[0]) : max(abs(ticks.first ?? 1), 1)
    let largest = ticks.map(abs).max() ?? 0
    let decimals = max(0, Int((-log10(step)).rounded(.up)))
    if decimals <= 6 && largest < 1e6 { return { String(format: "%.\(decimals)f", $0) } }
    let digits = max(1, Int(log10(max(largest, step) / step).rounded(.up)))
    return { $0 == 0 ? "0" : String(format: "%.\(digits)e", $0) }
}
