// The server's pages: escaping of every text from the data, no inline script anywhere, and the runs view
// (its listing, charts with tick labels, sample tables, config) on a run folder made here.

import Foundation
import RLHFFormats
import RLHFTestSupport
import XCTest

@testable import RLHFLabel

final class LabelPagesTests: TemporaryDirectoryTestCase {
    let attack = "<script>window.__pwned = 1</script><img src=x onerror=alert(1)> \"quoted\" & 'single'"

    func testTheServerBindsToLoopbackUnlessToldOtherwise() {
        let settings = LabelServerSettings()
        XCTAssertEqual(settings.host, "127.0.0.1")
        XCTAssertEqual(settings.adminToken.count, 64)
        XCTAssertNotEqual(settings.adminToken, LabelServerSettings().adminToken, "a random admin token each time")
    }

    func testEscapeHTML() {
        XCTAssertEqual(
            escapeHTML(attack),
            "&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &#39;single&#39;")
        XCTAssertEqual(escapeHTML("plain ü 😀"), "plain ü 😀")
    }

    func testLabelPageHasNoInlineScriptAndTheStateIsJSON() throws {
        XCTAssertFalse(labelPageHTML.contains("<script>"), "the page's one script is /static/label.js")
        XCTAssertTrue(labelPageHTML.contains("<script src=\"/static/label.js\"></script>"))
        XCTAssertTrue(labelPageScript.contains("textContent"))
        XCTAssertFalse(labelPageScript.contains("innerHTML"))
        let json = stateJSON(
            RaterState(
                rater: attack, pair: ShownPair(assignment: 7, prompt: attack, left: "l\n", right: "r\u{1}"), done: 1, assigned: 2, lastLabel: nil))
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let pair = try XCTUnwrap(parsed?["pair"] as? [String: Any])
        XCTAssertEqual(pair["prompt"] as? String, attack)
        XCTAssertEqual(pair["right"] as? String, "r\u{1}")
        XCTAssertTrue(parsed?["last_label"] is NSNull)
    }

    func testAdminPageEscapesNamesAndSettings() {
        let f = labelFigures(
            [LabelRecord(pair: 1, rater: 1, raterName: attack, choice: "left", outcome: "a", createdAt: 0)], pairs: 3, comparesModels: true, now: 10)
        let html = adminPageHTML(f, settings: LabelProjectSettings(promptsFile: attack, modelA: attack, modelB: "b<b>"), overlap: 2)
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertTrue(html.contains(escapeHTML(attack)))
        XCTAssertTrue(html.contains("b&lt;b&gt;"))
        XCTAssertTrue(html.contains("id=\"winrate\""))
        let json = figuresJSON(f)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    func testRunsViewListsRunsAndDrawsTheirMetrics() throws {
        let run = tmp + "/pipeline/ppo"
        try FileManager.default.createDirectory(atPath: run + "/checkpoint-2", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tmp + "/not-a-run", withIntermediateDirectories: true)
        // the last three lines have steps that are no usable integer: passed over, not a trap
        let metrics =
            (1...40).map {
                "{\"step\": \($0), \"objective/scores\": \(Double($0) / 10), \"objective/kl\": \(Double($0) / 100), \"loss/policy_avg\": 0.5}"
            } + [
                "{\"step\": 1e400, \"loss/policy_avg\": 1e308}", "{\"step\": -1e19, \"loss/policy_avg\": -1e308}",
                "{\"step\": 2.5, \"loss/policy_avg\": 3}"
            ]
        try (metrics.joined(separator: "\n") + "\n").write(toFile: run + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let table = "| prompt | response | score |\n|---|---|---|\n| \(attack) | a \\| b | 1.0 |"
        let samples = ["1", "40", "1e30"].map { "{\"step\": \($0), \"tag\": \"samples\", \"markdown\": \(jsonLiteral(table))}" }
        try (samples.joined(separator: "\n") + "\n").write(toFile: run + "/samples.jsonl", atomically: true, encoding: .utf8)
        try "learning_rate: 1e-05\nmodel: \"<b>m</b>\"\n".write(toFile: run + "/config.yaml", atomically: true, encoding: .utf8)
        try "{\"globalStep\": 2}".write(toFile: run + "/checkpoint-2/trainer_state.json", atomically: true, encoding: .utf8)
        try "PPO: trained 40 steps\n  before: <i>x</i>\n".write(toFile: run + "/report.txt", atomically: true, encoding: .utf8)

        XCTAssertEqual(findRuns(root: tmp), ["pipeline/ppo"])
        let index = runsIndexHTML(root: tmp, runs: findRuns(root: tmp))
        XCTAssertTrue(index.contains("/runs/view?run=pipeline/ppo"), index)
        XCTAssertTrue(index.contains("<td class=\"num\">40</td>"))

        let html = runPageHTML(root: tmp, run: "pipeline/ppo")
        XCTAssertTrue(html.contains("<svg"))
        for title in ["score / reward", "KL to the reference", "losses"] { XCTAssertTrue(html.contains(title), title) }
        XCTAssertFalse(html.contains("accuracy</text>"), "no panel without keys")
        // round tick labels on both axes
        for tick in [">0<", ">1<", ">2<", ">3<", ">4<", ">10<", ">20<", ">30<", ">40<", ">step<"] { XCTAssertTrue(html.contains(tick), tick) }
        XCTAssertTrue(html.contains("samples: first table (step 1)"))
        XCTAssertTrue(html.contains("samples: last table (step 40)"))
        XCTAssertTrue(html.contains("<td>a | b</td>"))
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertTrue(html.contains("model: &quot;&lt;b&gt;m&lt;/b&gt;&quot;"))
        XCTAssertTrue(html.contains("checkpoint-2/trainer_state.json"))
        XCTAssertTrue(html.contains("PPO: trained 40 steps\n  before: &lt;i&gt;x&lt;/i&gt;"))
    }
}
