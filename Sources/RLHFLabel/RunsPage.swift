// The runs view (`/runs`, admin only): the training runs under an output folder (every folder holding a
// metrics.jsonl), and for one run its metric curves as charts (score, KL, losses, accuracy, response
// length, learning rate: the keys present, grouped by name), its first and last sample tables per tag
// (samples.jsonl), its report (a pipeline stage's completed.json, or report.txt of `rlhf ppo`, `dpo`,
// `grpo`, `rloo`: PPO's has held-out answers before and after), its config (config.yaml) and its newest
// checkpoint's trainer_state.json. A run is named by its path relative to the folder and looked up in the
// listing, so a request cannot name a file outside it; every text from the files is escaped.

import Foundation
import RLHFFormats
import RLHFLogging
import RLHFTraining

/// The runs under `root`: relative paths of folders holding a metrics.jsonl, at most four levels down, sorted.
func findRuns(root: String) -> [String] {
    let fm = FileManager.default
    var found: [String] = []
    func visit(_ relative: String, depth: Int) {
        let dir = relative.isEmpty ? root : root + "/" + relative
        if fm.fileExists(atPath: dir + "/metrics.jsonl") { found.append(relative.isEmpty ? "." : relative) }
        guard depth < 4, let names = try? fm.contentsOfDirectory(atPath: dir) else { return }
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasPrefix("checkpoint-") && name != "runs" {
            var isDir: ObjCBool = false
            let child = relative.isEmpty ? name : relative + "/" + name
            if fm.fileExists(atPath: root + "/" + child, isDirectory: &isDir), isDir.boolValue { visit(child, depth: depth + 1) }
        }
    }
    visit("", depth: 0)
    return found
}

/// The chart panels of the keys present: (title, keys), empty groups left out.
func runPanels(_ keys: Set<String>) -> [PlotPanel] {
    let groups: [(String, (String) -> Bool)] = [
        (
            "score / reward",
            { k in (k.contains("score") || k.contains("reward") || k.hasPrefix("rewards/")) && !k.contains("accurac") && !k.contains("std") }
        ),
        ("KL to the reference", { k in k.contains("kl") && !k.contains("coef") && !k.contains("approx") }),
        ("losses", { k in k == "loss" || k.hasPrefix("loss/") || k.hasSuffix("/loss") || k.hasSuffix("_loss") }),
        ("accuracy", { k in k.contains("accura") }),
        ("response length", { k in k.contains("length") && !k.contains("clipped") }),
        ("learning rate", { k in k == "lr" || k == "learning_rate" })
    ]
    return groups.compactMap { title, match in
        let ks = keys.filter(match).sorted { ($0.hasPrefix("eval/") ? 1 : 0, $0) < ($1.hasPrefix("eval/") ? 1 : 0, $1) }
        return ks.isEmpty ? nil : PlotPanel(title, Array(ks.prefix(4)))
    }
}

/// The listing page.
func runsIndexHTML(root: String, runs: [String]) -> String {
    var body = "<header><h1>Training runs</h1><nav><a href=\"/admin\">status</a><a href=\"/runs\">runs</a></nav></header>\n"
    body += "<p class=\"muted\">under <code>\(escapeHTML(root))</code></p>\n"
    if runs.isEmpty { return page(title: "rlhf: runs", body: body + "<p>No runs (no folder with a metrics.jsonl).</p>") }
    body += "<table id=\"runs\"><tr><th>run</th><th>steps logged</th><th>last change</th></tr>\n"
    let formatter = ISO8601DateFormatter()
    for run in runs {
        let metrics = root + "/" + run + "/metrics.jsonl"
        let steps = ((try? readJSONLines(path: metrics)) ?? []).compactMap { r -> Int? in
            guard case .success(let v) = r.value else { return nil }
            return v["step"]?.doubleValue.flatMap(metricStep)
        }
        let modified =
            (try? FileManager.default.attributesOfItem(atPath: metrics)[.modificationDate] as? Date).map { formatter.string(from: $0) } ?? ""
        let link =
            "/runs/view?run="
            + (run.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))) ?? "")
        body += "<tr><td><a href=\"\(escapeHTML(link))\">\(escapeHTML(run))</a></td><td class=\"num\">\(Set(steps).count)</td>"
        body += "<td>\(escapeHTML(modified))</td></tr>\n"
    }
    return page(title: "rlhf: runs", body: body + "</table>")
}

/// One run's page (`run` is one of `findRuns(root:)`).
func runPageHTML(root: String, run: String) -> String {
    let dir = root + "/" + run
    var body = "<header><h1>Run \(escapeHTML(run))</h1><nav><a href=\"/admin\">status</a><a href=\"/runs\">runs</a></nav></header>\n"
    // charts
    let series = (try? readMetricSeries(path: dir + "/metrics.jsonl")) ?? [:]
    let panels = runPanels(Set(series.keys))
    if !panels.isEmpty {
        body += "<h2>Metrics</h2><div id=\"charts\">" + metricPlotsSVG(series: series, panels: panels, title: run) + "</div>\n"
    } else {
        body += "<p>No metrics to draw.</p>\n"
    }
    // sample tables: the first and the last step of each tag
    var samples: [String: [Int: String]] = [:]
    for r in (try? readJSONLines(path: dir + "/samples.jsonl")) ?? [] {
        guard case .success(let v) = r.value, let step = v["step"]?.doubleValue.flatMap(metricStep), let tag = v["tag"]?.stringValue,
            let md = v["markdown"]?.stringValue
        else { continue }
        samples[tag, default: [:]][step] = md
    }
    for (tag, bySteps) in samples.sorted(by: { $0.key < $1.key }) {
        let steps = bySteps.keys.sorted()
        for (label, step) in steps.count > 1 ? [("first", steps[0]), ("last", steps[steps.count - 1])] : [("only", steps[0])] {
            body += "<h2>\(escapeHTML(tag)): \(label) table (step \(step))</h2>\n" + markdownTableHTML(bySteps[step] ?? "")
        }
    }
    // the report: a pipeline stage's (completed.json) or a training command's (report.txt), with before/after answers
    if let data = try? readRegularFileIfPresent(path: dir + "/completed.json"), let record = try? JSONDecoder().decode(StageRecord.self, from: data) {
        body += "<h2>Report</h2><div class=\"text\" id=\"report\">\(escapeHTML(record.lines.joined(separator: "\n")))</div>\n"
    } else if let data = try? readRegularFileIfPresent(path: dir + "/report.txt") {
        body += "<h2>Report</h2><div class=\"text\" id=\"report\">\(escapeHTML(String(decoding: data, as: UTF8.self)))</div>\n"
    }
    if let data = try? readRegularFileIfPresent(path: dir + "/config.yaml") {
        body += "<h2>Config</h2><div class=\"text\" id=\"config\">\(escapeHTML(String(decoding: data, as: UTF8.self)))</div>\n"
    } else {
        body += "<h2>Config</h2><p class=\"muted\">No config.yaml (written by runs of this version on).</p>\n"
    }
    let checkpoints = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
        .compactMap { $0.hasPrefix("checkpoint-") ? Int($0.dropFirst("checkpoint-".count)) : nil }.sorted()
    if let last = checkpoints.last, let data = try? readRegularFileIfPresent(path: dir + "/checkpoint-\(last)/trainer_state.json") {
        body += "<h2>checkpoint-\(last)/trainer_state.json</h2><div class=\"text\">\(escapeHTML(String(decoding: data, as: UTF8.self)))</div>\n"
    }
    return page(title: "rlhf: run \(run)", body: body)
}

/// A markdown table (`| a | b |` lines; `\|` inside a cell) as an HTML table with escaped cells; other lines
/// as a text block.
func markdownTableHTML(_ markdown: String) -> String {
    var html = "<table>", other: [String] = [], header = true
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
        let t = line.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("|") else { other.append(line); continue }
        let cells = t.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.replacingOccurrences(of: "\u{1}", with: "|").trimmingCharacters(in: .whitespaces) }
        if cells.allSatisfy({ $0.allSatisfy { $0 == "-" || $0 == ":" } && !$0.isEmpty }) { continue }
        let tag = header ? "th" : "td"
        html += "<tr>" + cells.map { "<\(tag)>\(escapeHTML($0))</\(tag)>" }.joined() + "</tr>"
        header = false
    }
    html += "</table>"
    let rest = other.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    return html + (rest.isEmpty ? "" : "<div class=\"text\">\(escapeHTML(rest))</div>")
}
