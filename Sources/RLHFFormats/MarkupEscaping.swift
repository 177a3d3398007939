// Text into HTML or XML (the labelling server's pages, the SVG charts of a run's metrics): one escaper for both.

/// `s` with `& < > " '` replaced by entities, safe inside an element or a quoted attribute.
public func escapeHTML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
