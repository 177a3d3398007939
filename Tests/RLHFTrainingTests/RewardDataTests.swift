// The Bradley-Terry loss and its metrics, every preference-data format and every malformed-line case,
// and training configs from YAML and flags.

import Foundation
@testable import RLHFData
import XCTest
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers
@testable import RLHFTraining

final class RewardLossTests: XCTestCase {
    func testLossMatchesTheFormulaWithMarginAndCentring() {
        let rc: [Float] = [1.5, -0.25, 0.75], rr: [Float] = [0.5, 0.5, 1.0], margins: [Float] = [0.25, 0, -0.5]
        func softplus(_ x: Double) -> Double { x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)) }
        var want = 0.0, centre = 0.0
        for i in 0..<3 {
            want += softplus(-(Double(rc[i]) - Double(rr[i]) - Double(margins[i]))) / 3
            centre += pow(Double(rc[i] + rr[i]), 2) / 3
        }
        XCTAssertEqual(Double(bradleyTerryLoss(chosen: Tensor(rc), rejected: Tensor(rr), margins: margins).item), want, accuracy: 1e-6)
        XCTAssertEqual(
            Double(bradleyTerryLoss(chosen: Tensor(rc), rejected: Tensor(rr), margins: margins, centerCoefficient: 0.01).item),
            want + 0.01 * centre, accuracy: 1e-6)
        // no margin: −log σ(r_c − r_r)
        XCTAssertEqual(bradleyTerryLoss(chosen: Tensor([2]), rejected: Tensor([0])).item, Float(softplus(-2)), accuracy: 1e-6)
    }

    func testLossGradientMatchesFiniteDifferences() {
        let rcValues: [Float] = [0.3, -1.2, 2.0, 0.1], rrValues: [Float] = [0.9, -0.4, 1.1, 0.1]
        let margins: [Float] = [0, 0.5, -0.25, 1]
        let rc = Tensor(rcValues).requiringGrad(), rr = Tensor(rrValues).requiringGrad()
        bradleyTerryLoss(chosen: rc, rejected: rr, margins: margins, centerCoefficient: 0.05).backward()
        func loss(_ c: [Float], _ r: [Float]) -> Double {
            var total = 0.0
            for i in 0..<4 {
                let d = Double(c[i]) - Double(r[i]) - Double(margins[i])
                total += (d > 0 ? log1p(exp(-d)) : -d + log1p(exp(d))) / 4 + 0.05 * pow(Double(c[i]) + Double(r[i]), 2) / 4
            }
            return total
        }
        let h: Float = 1e-3
        for i in 0..<4 {
            var cp = rcValues, cm = rcValues; cp[i] += h; cm[i] -= h
            var rp = rrValues, rm = rrValues; rp[i] += h; rm[i] -= h
            XCTAssertEqual(Double(rc.grad!.scalars[i]), (loss(cp, rrValues) - loss(cm, rrValues)) / Double(2 * h), accuracy: 1e-4)
            XCTAssertEqual(Double(rr.grad!.scalars[i]), (loss(rcValues, rp) - loss(rcValues, rm)) / Double(2 * h), accuracy: 1e-4)
        }
    }

    func testMetrics() {
        let m = rewardMetrics(chosen: [1, 0, 3], rejected: [0, 2, 1])
        XCTAssertEqual(m["accuracy"]!, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m["margin"]!, (1 - 2 + 2) / 3.0, accuracy: 1e-12)
        XCTAssertEqual(m["min_reward"], 0)
        XCTAssertEqual(m["max_reward"], 3)
        XCTAssertEqual(m["mean_reward"]!, 7.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(rewardMetrics(chosen: [1], rejected: [1])["accuracy"], 0, "a tie is not a win")
    }
}

/// The plain ChatML template (SmolLM2's without the default system message).
func chatML() throws -> ChatTemplate {
    try ChatTemplate(
        template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
            + "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
}

final class PreferenceDataTests: XCTestCase {
    private func load(_ lines: [String], template: ChatTemplate? = nil, skip: Bool = false) throws -> PreferenceDataset {
        let dir = try temporaryFolder("prefs")
        return try PreferenceDataset(path: try writeLines(lines, dir, "data.jsonl"), chatTemplate: template, skipBadLines: skip)
    }

    func testEveryFormat() throws {
        let template = try chatML()
        let d = try load(
            [
                #"{"prompt": "Q?", "chosen": " yes", "rejected": " no", "margin": 0.5}"#,
                #"{"chosen": "Sky is blue.", "rejected": "Sky is green."}"#,
                "",
                #"{"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "Go away."}]}"#,
                #"{"text_a": "A good", "text_b": "B bad", "label": 1}"#,
                #"{"text_a": "A bad", "text_b": "B good", "label": false}"#
            ], template: template)
        XCTAssertEqual(d.pairs.count, 5)
        XCTAssertEqual(d.pairs[0], PreferencePair(prompt: "Q?", chosen: " yes", rejected: " no", margin: 0.5, line: 1))
        XCTAssertEqual(d.pairs[1], PreferencePair(prompt: nil, chosen: "Sky is blue.", rejected: "Sky is green.", line: 2))
        XCTAssertEqual(d.pairs[2].chosen, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n")
        XCTAssertEqual(d.pairs[2].rejected, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nGo away.<|im_end|>\n")
        XCTAssertEqual(d.pairs[2].line, 4)
        XCTAssertEqual(d.pairs[3], PreferencePair(prompt: nil, chosen: "A good", rejected: "B bad", line: 5))
        XCTAssertEqual(d.pairs[4], PreferencePair(prompt: nil, chosen: "B good", rejected: "A bad", line: 6))
    }

    func testEveryMalformedLineNamesFileLineAndField() throws {
        let cases: [(String, String)] = [
            (#"{"chosen": "a", "rejected": "b""#, "not valid JSON at column 32: unexpected end of input"),
            (#"["chosen", "rejected"]"#, "expected a JSON object, found an array"),
            (#"{"rejected": "b"}"#, "field 'chosen': missing"),
            (#"{"chosen": "a"}"#, "field 'rejected': missing"),
            (#"{"chosen": 3, "rejected": "b"}"#, "field 'chosen': expected a string or a list of messages, found a number"),
            (#"{"chosen": "a", "rejected": null}"#, "field 'rejected': expected a string like 'chosen', found null"),
            (#"{"prompt": 1, "chosen": "a", "rejected": "b"}"#, "field 'prompt': expected a string"),
            (#"{"chosen": "", "rejected": "b"}"#, "field 'chosen': is empty"),
            (#"{"chosen": "a", "rejected": "b", "margin": "big"}"#, "field 'margin': expected a finite number"),
            (#"{"text_a": "a", "text_b": "b", "label": 2}"#, "field 'label': expected 1, 0, true or false"),
            (#"{"text_a": "a", "label": 1}"#, "field 'text_b': missing"),
            (#"{"text_a": "a", "text_b": "b"}"#, "field 'label': missing"),
            (
                #"{"chosen": [{"role": "assistant", "content": "x"}], "rejected": [{"role": "assistant", "content": "y"}]}"#,
                "conversational data needs a model with a chat template"
            )
        ]
        for (line, expected) in cases {
            XCTAssertThrowsError(try load([#"{"chosen": "ok", "rejected": "fine"}"#, line])) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("data.jsonl:2"), "\(text) should name the file and line 2")
                XCTAssertTrue(text.contains(expected), "\(text) should say \(expected)")
            }
        }
        let template = try chatML()
        XCTAssertThrowsError(try load([#"{"chosen": [{"content": "x"}], "rejected": [{"role": "a", "content": "y"}]}"#], template: template)) {
            XCTAssertTrue("\($0)".contains("data.jsonl:1: field 'chosen[0].role'"), "\($0)")
        }
    }

    func testSkipBadLinesReportsAndKeepsTheRest() throws {
        let d = try load(
            [#"{"chosen": "a", "rejected": "b"}"#, "{oops", #"{"chosen": 1, "rejected": "b"}"#, #"{"chosen": "c", "rejected": "d"}"#], skip: true)
        XCTAssertEqual(d.pairs.map(\.line), [1, 4])
        XCTAssertEqual(d.skipped.count, 2)
        XCTAssertTrue("\(d.skipped[0])".contains("data.jsonl:2"))
        XCTAssertTrue("\(d.skipped[1])".contains("data.jsonl:3: field 'chosen'"))
        XCTAssertThrowsError(try load(["{oops"], skip: true)) { XCTAssertTrue("\($0)".contains("no usable preference pairs")) }
        XCTAssertThrowsError(try load([""])) { XCTAssertTrue("\($0)".contains("no preference pairs")) }
    }
}

final class TrainingConfigTests: XCTestCase {
    private func yaml(_ text: String) throws -> String {
        let dir = try temporaryFolder("cfg")
        let path = dir + "/rm.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testYAMLThenFlagsOverride() throws {
        let path = try yaml(
            "model: models/minilm\ntrain_file: t.jsonl\nlearning_rate: 2e-5\nmax_steps: 100\ncenter_rewards_coefficient: 0.01\neval_file: null\nhead: cls\n"
        )
        let c = try RewardConfig.load(path: path, overrides: ["--learning-rate", "3e-5", "--max-steps=7", "--truncate", "true", "--skip-bad-lines"])
        XCTAssertTrue(c.skipBadLines, "a bare boolean flag means true")
        XCTAssertFalse(try RewardConfig.load(path: path, overrides: ["--progress", "--truncate", "false"]).truncate)
        XCTAssertEqual(c.model, "models/minilm")
        XCTAssertEqual(c.learningRate, 3e-5)
        XCTAssertEqual(c.maxSteps, 7)
        XCTAssertEqual(c.centerRewardsCoefficient, 0.01)
        XCTAssertNil(c.evalFile)
        XCTAssertEqual(c.head, .cls)
        XCTAssertTrue(c.truncate)
        XCTAssertEqual(c.perDeviceTrainBatchSize, 8, "defaults stay")
    }

    func testErrorsNameFileLineAndKey() throws {
        let cases: [(String, String)] = [
            ("model: m\ntrain_file: t\nlerning_rate: 1e-4\n", "rm.yaml:3: unknown key 'lerning_rate'; did you mean 'learning_rate'?"),
            ("model: m\ntrain_file: t\nmax_steps: many\n", "rm.yaml:3: key 'max_steps': expected an integer, found 'many'"),
            ("model: m\ntrain_file: t\nhead: mean\n", "rm.yaml:3: key 'head': expected one of hf, cls"),
            ("model: m\nmodel: n\ntrain_file: t\n", "duplicated key(s): 'model'"),
            ("model: m\ntrain_file: [a, b]\n", "rm.yaml:2: key 'train_file': expected a single value"),
            ("model: m\n", "required key 'train_file' is missing"),
            ("model: m\ntrain_file: t\nlearning_rate: -1\n", "learning_rate: must be a finite number ≥ 0"),
            ("model: m\ntrain_file: t\n  bad indent: [\n", "invalid YAML"),
            ("- a\n- b\n", "expected a mapping")
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try RewardConfig.load(path: try yaml(text))) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) should contain \(expected)")
            }
        }
        XCTAssertThrowsError(try RewardConfig.load(path: try yaml("model: m\ntrain_file: t\n"), overrides: ["--learning-rat", "1"])) {
            XCTAssertTrue("\($0)".contains("unknown option '--learning-rat'; did you mean '--learning-rate'?"), "\($0)")
        }
        XCTAssertThrowsError(try RewardConfig.load(path: nil, overrides: ["--model", "m", "--train-file"])) {
            XCTAssertTrue("\($0)".contains("--train-file: needs a value"), "\($0)")
        }
        XCTAssertThrowsError(try RewardConfig.load(path: "/nonexistent/rm.yaml")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/rm.yaml: cannot read"), "\($0)")
        }
    }

    func testEveryFieldHasAFlagInTheHelp() {
        for f in RewardConfig.fields { XCTAssertTrue(RewardConfig.fieldHelp.contains(f.flag + " "), f.flag) }
        XCTAssertEqual(Set(RewardConfig.fields.map(\.key)).count, RewardConfig.fields.count)
    }
}
