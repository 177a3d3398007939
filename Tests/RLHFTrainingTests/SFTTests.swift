// SFT on SmolLM2 (the real GGUF): completion-only masks, EOS learned although the pad token is EOS,
// and LoRA training that resumes bit for bit.

import Foundation
@testable import RLHFData
import XCTest
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers
@testable import RLHFTraining

let smolPath = repoRoot + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

final class SFTTests: XCTestCase {
    private func data(_ lines: [String]) throws -> String {
        try writeLines(lines, try temporaryFolder("sft"), "data.jsonl")
    }
    private let lines = [
        #"{"prompt": "What is the capital of Kenya?", "completion": " Nairobi."}"#,
        #"{"prompt": "Name a primary colour.", "completion": " Red is one."}"#,
        #"{"prompt": "What is 2 plus 3?", "completion": " It is 5."}"#,
        #"{"prompt": "Say hi.", "completion": " Hi there!"}"#,
        #"{"prompt": "Boiling point of water?", "completion": " 100 degrees Celsius at sea level."}"#
    ]

    private func config(_ file: String, out: String) -> SFTConfig {
        var c = SFTConfig()
        c.model = smolPath; c.trainFile = file; c.outputDir = out
        c.perDeviceTrainBatchSize = 2; c.maxSteps = 4; c.learningRate = 1e-3; c.saveSteps = 0
        c.loraR = 4; c.loraAlpha = 8; c.loraDropout = 0.1; c.loraTargets = "q_proj,v_proj"; c.progress = false; c.seed = 3
        return c
    }

    func testMasksFollowTheFormats() throws {
        guard FileManager.default.fileExists(atPath: smolPath) else { return XCTFail("\(smolPath) missing: run scripts/fetch-models") }
        let tok = try XCTUnwrap(try loadPretrained(path: smolPath).tokenizer)
        let eos = try XCTUnwrap(tok.eosTokenId)
        let d = try SFTDataset(
            path: try data([
                #"{"prompt": "Q: 2+2?", "completion": " A: 4"}"#,
                #"{"text": "Plain text."}"#,
                #"{"prompt": [{"role": "user", "content": "Hi"}], "completion": [{"role": "assistant", "content": "Hello!"}]}"#,
                #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}"#
            ]), tokenizer: tok, maxLength: 512)
        let p = tok.encode("Q: 2+2?", addSpecialTokens: false).count
        XCTAssertEqual(Array(d.examples[0].lossMask.prefix(p)), Array(repeating: 0, count: p), "prompt tokens carry no loss")
        XCTAssertTrue(d.examples[0].lossMask.dropFirst(p).allSatisfy { $0 == 1 })
        XCTAssertEqual(d.examples[0].ids.last, eos, "EOS appended")
        XCTAssertTrue(d.examples[1].lossMask.allSatisfy { $0 == 1 })
        let chat = d.examples[2]
        let head = try tok.requireChatTemplate().render([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true)
        let headIds = tok.encode(head, addSpecialTokens: false)
        XCTAssertEqual(Array(chat.ids.prefix(headIds.count)), headIds)
        XCTAssertEqual(chat.lossMask.firstIndex(of: 1), headIds.count, "the loss starts after the generation prompt")
        XCTAssertEqual(chat.ids.last, eos)
        // assistant-only loss on messages: the same targets as the conversational prompt-completion line
        let a = try SFTDataset(
            path: try data([lines[0], #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}"#]),
            tokenizer: tok, maxLength: 512, assistantOnlyLoss: true
        ).examples[1]
        XCTAssertEqual(zip(a.ids, a.lossMask).filter { $0.1 == 1 }.map(\.0), zip(chat.ids, chat.lossMask).filter { $0.1 == 1 }.map(\.0))
        // truncation keeps the start and is counted
        let short = try SFTDataset(path: try data([lines[4]]), tokenizer: tok, maxLength: 6)
        XCTAssertEqual(short.truncated, 1)
        XCTAssertEqual(short.examples[0].ids.count, 6)
    }

    func testPromptTokensCarryNoLossAndEOSIsATargetWhenPadIsEOS() throws {
        let trainer = try SFTTrainer(config: config(try data(lines), out: try temporaryFolder("sft-mask")))
        let tok = trainer.tokenizer
        XCTAssertEqual(tok.padTokenId ?? tok.eosTokenId, tok.eosTokenId, "SmolLM2 pads with its EOS")
        let batch = [trainer.trainExamples[0], trainer.trainExamples[4]]   // different lengths: row 0 is padded with EOS
        let r = withNoGrad { trainer.lossAndMetrics(batch) }
        let expectedTargets = batch.map { $0.lossMask.dropFirst().filter { $0 == 1 }.count }.reduce(0, +)
        XCTAssertEqual(r.targets, expectedTargets, "each EOS is a target, no padding position is")
        // the loss is the mean cross-entropy over exactly those positions, computed from the full logits
        var total = 0.0, n = 0
        for e in batch {
            let logits = withNoGrad {
                trainer.model.logits(fromHidden: trainer.model.hiddenStates(ids: e.ids, batch: 1, attentionMask: nil, positions: nil, cache: nil))
            }
            let v = trainer.model.vocabularySize, all = logits.scalars
            for p in 0..<(e.ids.count - 1) where e.lossMask[p + 1] == 1 {
                let row = all[(p * v)..<((p + 1) * v)]
                let m = row.max()!
                let lse = Double(m) + log(row.reduce(0.0) { $0 + exp(Double($1 - m)) })
                total += lse - Double(row[row.startIndex + e.ids[p + 1]]); n += 1
            }
        }
        XCTAssertEqual(Double(r.loss.item), total / Double(n), accuracy: 1e-4)
    }

    func testLoRAResumeIsBitExactAndOnlyAdaptersLearn() throws {
        let file = try data(lines)
        let straight = try SFTTrainer(config: config(file, out: try temporaryFolder("sft-a")))
        let base = straight.model.namedParameters().map { $0.parameter.value.scalars.prefix(8) }
        let lossBefore = straight.evaluate(straight.trainExamples)["loss"]!
        var a: [Double] = []
        for _ in 0..<4 { a.append(straight.step()["loss"]!) }
        let lossAfter = straight.evaluate(straight.trainExamples)["loss"]!
        XCTAssertEqual(straight.model.namedParameters().map { $0.parameter.value.scalars.prefix(8) }, base, "the base is untouched")

        let out = try temporaryFolder("sft-b")
        let first = try SFTTrainer(config: config(file, out: out))
        var b: [Double] = []
        for _ in 0..<2 { b.append(first.step()["loss"]!) }
        let ckpt = try first.saveCheckpoint()
        var c = config(file, out: out)
        c.resumeFrom = ckpt
        let resumed = try SFTTrainer(config: c)
        XCTAssertEqual(resumed.state.globalStep, 2)
        while resumed.state.globalStep < 4 { b.append(resumed.step()["loss"]!) }
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "losses \(a) vs \(b)")
        for ((k, p), (_, q)) in zip(straight.model.loraParameters(), resumed.model.loraParameters()) {
            XCTAssertEqual(p.value.scalars, q.value.scalars, k)
        }
        // Training lowers the loss over the 5 examples (no dropout). Step 4's batch loss against step 1's
        // compares two different pairs of examples (batch losses range from 1.4 to 4.7 by content alone)
        // and was lower for only 4 of 6 seeds. The drop, measured over 6 seeds (config seed 3 + 10k,
        // k = 0…5: data order, adapter initialisation and dropout), min / mean / max, the same to 3 digits
        // with OPENBLAS_CORETYPE unset and =Haswell: 0.200 / 0.223 / 0.235 (from 2.730); untrained: 0.
        XCTAssertGreaterThan(lossBefore - lossAfter, 0.1, "training should lower the loss: \(lossBefore) → \(lossAfter)")
    }

    func testPackingKeepsEveryTokenAndItsMask() {
        let examples = [
            SFTExample(ids: [1, 2, 3], lossMask: [0, 1, 1], line: 1), SFTExample(ids: [4, 5], lossMask: [0, 1], line: 2),
            SFTExample(ids: [6, 7, 8, 9], lossMask: [0, 0, 1, 1], line: 3)
        ]
        let packed = SFTDataset.packed(examples, length: 4)
        XCTAssertEqual(packed.map(\.ids), [[1, 2, 3, 4], [5, 6, 7, 8], [9]])
        XCTAssertEqual(packed.map(\.lossMask), [[0, 1, 1, 0], [1, 0, 0, 1], [1]])
    }

    func testMalformedLinesNameFileLineAndField() throws {
        guard FileManager.default.fileExists(atPath: smolPath) else { return XCTFail("\(smolPath) missing: run scripts/fetch-models") }
        let tok = try XCTUnwrap(try loadPretrained(path: smolPath).tokenizer)
        let cases: [(String, String)] = [
            (#"{"prompt": "a""#, "data.jsonl:2: not valid JSON"),
            (#"[1, 2]"#, "data.jsonl:2: expected a JSON object"),
            (#"{"prompt": "a"}"#, "data.jsonl:2: field 'completion': missing"),
            (#"{"completion": "a"}"#, "data.jsonl:2: field 'text': missing"),
            (#"{"text": 5}"#, "data.jsonl:2: field 'text': expected a string"),
            (#"{"prompt": "a", "completion": 3}"#, "data.jsonl:2: field 'completion': expected a string like 'prompt'"),
            (#"{"prompt": [{"role": "user", "content": "a"}], "completion": "b"}"#, "data.jsonl:2: field 'completion': expected a list of messages"),
            (#"{"messages": [{"role": "user"}]}"#, "data.jsonl:2: field 'messages[0].content': missing or not a string"),
            (#"{"messages": []}"#, "data.jsonl:2: field 'messages': is empty")
        ]
        for (line, expected) in cases {
            XCTAssertThrowsError(try SFTDataset(path: try data([lines[0], line]), tokenizer: tok, maxLength: 64)) {
                XCTAssertTrue("\($0)".contains(expected), "\($0) should contain \(expected)")
            }
        }
        let skipped = try SFTDataset(path: try data([lines[0], "{oops", lines[1]]), tokenizer: tok, maxLength: 64, skipBadLines: true)
        XCTAssertEqual(skipped.examples.map(\.line), [1, 3])
        XCTAssertEqual(skipped.skipped.count, 1)
    }
}
