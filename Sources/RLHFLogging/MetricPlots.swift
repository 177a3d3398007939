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

/// Series (step, value) per metric key from a metrics.jsonl file (lines without `step` or with other
/// prefixes are skipped; later lines for a step replace earlier ones, as after a resume).
public func readMetricSeries(path: String, keys: Set<String>) throws -> [String: [(step: Int, value: Double)]] {
    var byKey: [String: [Int: Double]] = [:]
    for record in try readJSONLines(path: path) {
        guard case .success(let v) = record.value, let step = v["step"]?.doubleValue else { continue }
        for k in keys { if let x = v[k]?.doubleValue, x.isFinite { byKey[k, default: [:]][Int(step)] = x } }
    }
    return byKey.mapValues { $0.sorted { $0.key < $1.key }.map { (step: $0.key, value: $0.value) } }
}

/// Writes the panels as a grid of line charts (two per row) to `svgPath`.
public func writeMetricPlots(metricsPath: String, panels: [PlotPanel], title: String, to svgPath: String) throws {
    let series = try readMetricSeries(path: metricsPath, keys: Set(panels.flatMap(\.keys)))
    let (w, h, pad) = (420.0, 260.0, 46.0)
    let columns = 2, rows = (panels.count + 1) / 2
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w) * columns)" height="\(Int(h) * rows + 30)" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="20" font-size="14">\(escapeXML(title))</text>\n
        """
    for (n, panel) in panels.enumerated() {
        let ox = Double(n % columns) * w, oy = 30 + Double(n / columns) * h
        let points = panel.keys.flatMap { series[$0] ?? [] }
        svg += "<g transform=\"translate(\(ox),\(oy))\">\n<text x=\"\(pad)\" y=\"14\" font-size=\"12\">\(escapeXML(panel.title))</text>\n"
        let (x0, x1, y0, y1) = (pad, w - 12, h - 28, 24.0)
        svg += "<rect x=\"\(x0)\" y=\"\(y1)\" width=\"\(x1 - x0)\" height=\"\(y0 - y1)\" fill=\"none\" stroke=\"#999\"/>\n"
        guard let minStep = points.map(\.step).min(), let maxStep = points.map(\.step).max(),
            var lo = points.map(\.value).min(), var hi = points.map(\.value).max()
        else {
            svg += "<text x=\"\(pad + 10)\" y=\"\(h / 2)\">no data</text>\n</g>\n"
            continue
        }
        if hi - lo < 1e-12 { lo -= 1; hi += 1 }
        func px(_ s: Int) -> Double { x0 + (x1 - x0) * (maxStep == minStep ? 0.5 : Double(s - minStep) / Double(maxStep - minStep)) }
        func py(_ v: Double) -> Double { y0 - (y0 - y1) * (v - lo) / (hi - lo) }
        for (label, v) in [(hi, hi), (lo, lo)] {
            svg += "<text x=\"\(x0 - 4)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(format(label))</text>\n"
        }
        svg += "<text x=\"\(x0)\" y=\"\(y0 + 14)\">\(minStep)</text><text x=\"\(x1)\" y=\"\(y0 + 14)\" text-anchor=\"end\">step \(maxStep)</text>\n"
        for (i, key) in panel.keys.enumerated() {
            guard let s = series[key], !s.isEmpty else { continue }
            let color = colors[i % colors.count]
            let path = s.map { "\(String(format: "%.1f", px($0.step))),\(String(format: "%.1f", py($0.value)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>\n"
            if s.count == 1 { svg += "<circle cx=\"\(px(s[0].step))\" cy=\"\(py(s[0].value))\" r=\"2.5\" fill=\"\(color)\"/>\n" }
            svg += "<text x=\"\(x1 - 4)\" y=\"\(y1 + 14 + 13 * Double(i))\" text-anchor=\"end\" fill=\"\(color)\">\(escapeXML(key))</text>\n"
        }
        svg += "</g>\n"
    }
    svg += "</svg>\n"
    try AtomicFileWriter.write(to: svgPath) { try $0.write(Array(svg.utf8)) }
}

private func format(_ v: Double) -> String {
    abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? String(format: "%.2e", v) : String(format: "%.3g", v)
}

private func escapeXML(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
}
