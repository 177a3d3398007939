// The admin's status page: the project's progress, labels per rater and their rate, position bias,
// agreement between raters (percent and Cohen's kappa) and, with two models, model B's win rate with its
// 95% interval. Every name and setting from the database is escaped.

import Foundation
import RLHFFormats

/// The status page of `figures` for the project of `settings`.
func adminPageHTML(_ f: LabelFigures, settings: LabelProjectSettings, overlap: Int) -> String {
    func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
    func interval(_ p: Proportion?) -> String {
        guard let p else { return "–" }
        return "\(pct(p.value)) <span class=\"muted\">[\(pct(p.low)), \(pct(p.high))], n = \(p.count)</span>"
    }
    var body = "<header><h1>Labelling status</h1><nav><a href=\"/admin\">status</a><a href=\"/runs\">runs</a></nav></header>\n"
    let models =
        settings.modelB.map { "model A <code>\(escapeHTML(settings.modelA))</code> vs model B <code>\(escapeHTML($0))</code>" }
        ?? "two samples of <code>\(escapeHTML(settings.modelA))</code>"
    body += "<p>\(models) on <code>\(escapeHTML(settings.promptsFile))</code>; overlap \(overlap) rater(s) per pair.</p>\n"
    let target = f.pairs * overlap
    body += "<p id=\"totals\">\(f.labels) labels on \(f.labelledPairs) of \(f.pairs) pairs"
    body += target > 0 ? " (\(pct(Double(f.filledSlots(overlap: overlap)) / Double(target))) of the \(target) wanted)" : ""
    let outcomes = ["a", "b", "tie", "both_bad", "skip"].map { "\($0) \(f.outcomes[$0] ?? 0)" }.joined(separator: ", ")
    body += "; outcomes: \(escapeHTML(outcomes)).</p>\n"
    if let w = f.winRateB {
        body += "<h2>Model B's win rate</h2><p id=\"winrate\">\(interval(w)) "
        body += "<span class=\"muted\">(per pair, a tie ½, 95% Wilson interval over pairs)</span></p>\n"
    }
    body +=
        "<h2>Raters</h2><table id=\"raters\"><tr><th>rater</th><th>labels</th><th>skips</th><th>last hour</th><th>per hour</th><th>left chosen</th></tr>\n"
    for r in f.raters {
        body += "<tr><td>\(escapeHTML(r.name))</td><td class=\"num\">\(r.labels)</td><td class=\"num\">\(r.skips)</td>"
        body += "<td class=\"num\">\(r.lastHour)</td><td class=\"num\">\(r.perHour.map { String(format: "%.0f", $0) } ?? "–")</td>"
        body += "<td>\(interval(r.left))</td></tr>\n"
    }
    body += "</table>\n"
    body += "<h2>Position bias</h2><p id=\"bias\">share of “left” among left/right choices: \(interval(f.positionBias))"
    if let b = f.positionBias, b.low > 0.5 || b.high < 0.5 { body += " <strong>— the interval excludes 50%</strong>" }
    body += "</p>\n<h2>Agreement on shared pairs</h2>\n"
    if f.agreement.isEmpty {
        body += "<p class=\"muted\">No pair has two raters yet (serve with --overlap 2 or more).</p>\n"
    } else {
        body += "<table id=\"agreement\"><tr><th>raters</th><th>comparisons</th><th>agreement</th><th>Cohen's κ</th></tr>\n"
        for a in f.agreement {
            body += "<tr><td>\(escapeHTML(a.raters))</td><td class=\"num\">\(a.comparisons)</td><td class=\"num\">\(pct(a.agreement))</td>"
            body += "<td class=\"num\">\(a.kappa.map { String(format: "%.3f", $0) } ?? "–")</td></tr>\n"
        }
        body += "</table>\n"
    }
    body += "<p class=\"muted\">Outcomes compared: A better, B better, tie, both bad (skips left out).</p>"
    return page(title: "rlhf label: status", body: body)
}

/// The figures as JSON, for scripts.
func figuresJSON(_ f: LabelFigures) -> String {
    func prop(_ p: Proportion?) -> String {
        guard let p else { return "null" }
        return "{\"value\": \(p.value), \"low\": \(p.low), \"high\": \(p.high), \"count\": \(p.count)}"
    }
    func num(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
    let raters = f.raters.map {
        "{\"name\": \(jsonQuoted($0.name)), \"labels\": \($0.labels), \"skips\": \($0.skips), \"last_hour\": \($0.lastHour), "
            + "\"per_hour\": \(num($0.perHour)), \"left\": \(prop($0.left))}"
    }
    let agreement = f.agreement.map {
        "{\"raters\": \(jsonQuoted($0.raters)), \"comparisons\": \($0.comparisons), \"agreement\": \($0.agreement), \"kappa\": \(num($0.kappa))}"
    }
    let outcomes = f.outcomes.sorted { $0.key < $1.key }.map { "\(jsonQuoted($0.key)): \($0.value)" }
    return
        "{\"pairs\": \(f.pairs), \"labels\": \(f.labels), \"labelled_pairs\": \(f.labelledPairs), \"raters\": [\(raters.joined(separator: ", "))], "
        + "\"position_bias\": \(prop(f.positionBias)), \"agreement\": [\(agreement.joined(separator: ", "))], "
        + "\"win_rate_b\": \(prop(f.winRateB)), \"outcomes\": {\(outcomes.joined(separator: ", "))}}"
}
