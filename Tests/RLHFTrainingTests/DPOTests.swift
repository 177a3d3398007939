// DPO data and training on SmolLM2 (the real GGUF) and the tiny GPT-2: TRL's formats and tokenization
// (explicit and implicit prompts, conversational lines, EOS, the common-prefix split), lengths and the
// pairs TRL drops, bad lines with file and line; the loss at the start (policy = reference), the summed
// log-probs against a forward of each row alone, RPO's NLL, IPO, ORPO without a reference; bit-exact resume
// with LoRA and with a full fine-tune whose reference was precomputed.

import Foundation
@testable import RLHFData
import XCTest
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTestSupport
import RLHFTokenizers
@testable import RLHFTraining

final class DPOTests: XCTestCase {
    private func data(_ lines: [String]) throws -> String {
        try writeLines(lines, try temporaryFolder("dpo"), "pairs.jsonl")
    }
    private func smolTokenizer() throws -> Tokenizer {
        guard FileManager.default.fileExists(atPath: smolPath) else { throw XCTSkip("\(smolPath) missing: run scripts/fetch-models") }
        return try XCTUnwrap(try loadPretrained(path: smolPath).tokenizer)
    }
    private let pairs = [
        #"{"prompt": "What is the capital of Kenya?", "chosen": " Nairobi.", "rejected": " Paris, I think."}"#,
        #"{"prompt": "Name a primary colour.", "chosen": " Red is one.", "rejected": " Green, maybe?"}"#,
        #"{"prompt": "What is 2 plus 3?", "chosen": " It is 5.", "rejected": " It is 6."}"#,
        #"{"prompt": "Say hi.", "chosen": " Hi there!", "rejected": " No."}"#
    ]

    // MARK: Data

    func testDataIsTokenizedAsTRLDoes() throws {
        let tok = try smolTokenizer()
        let eos = try XCTUnwrap(tok.eosToken)
        let user = #"{"role": "user", "content": "Hi"}"#
        let d = try DPODataset(
            path: try data([
                #"{"prompt": "Q: 2+2?", "chosen": " A: 4", "rejected": " A: 5"}"#,
                #"{"chosen": "Q: 2+2? A: 4", "rejected": "Q: 2+2? A: 5"}"#,
                #"{"prompt": [\#(user)], "chosen": [{"role": "assistant", "content": "Hello!"}], "rejected": [{"role": "assistant", "content": "Go away."}]}"#,
                #"{"chosen": [\#(user), {"role": "assistant", "content": "Hello!"}], "rejected": [\#(user), {"role": "assistant", "content": "Go away."}]}"#
            ]), tokenizer: tok, lengths: DPOLengths(maxLength: 512))
        XCTAssertEqual(d.examples.map(\.line), [1, 2, 3, 4])
        // explicit prompt: prompt and prompt + completion + EOS text tokenized whole, split where they part
        let e = d.examples[0]
        XCTAssertEqual(e.chosen.ids, tok.encode("Q: 2+2? A: 4" + eos))
        XCTAssertEqual(e.rejected.ids, tok.encode("Q: 2+2? A: 5" + eos))
        let prompt = tok.encode("Q: 2+2?")
        XCTAssertEqual(e.chosen.completionStart, prompt.count, "the completion starts after the prompt's tokens")
        XCTAssertEqual(Array(e.chosen.ids.prefix(e.chosen.completionStart)), prompt)
        XCTAssertEqual(e.chosen.ids.last, tok.eosTokenId, "EOS ends each completion")
        // implicit prompt: TRL's extract_prompt leaves the space before the split to the completions
        XCTAssertTrue(DPODataset.extractPrompt("Q: 2+2? A: 4", "Q: 2+2? A: 5") == ("Q: 2+2? A:", " 4", " 5"))
        XCTAssertTrue(DPODataset.extractPrompt("héllo wörld", "héllo there") == ("héllo", " wörld", " there"))
        XCTAssertEqual(d.examples[1].chosen.ids, tok.encode("Q: 2+2? A: 4" + eos))
        XCTAssertEqual(d.examples[1].chosen.completionStart, tok.encode("Q: 2+2? A:").count)
        // conversational: the prompt rendered with the generation prompt, prompt + answer without; explicit = implicit
        let template = try tok.requireChatTemplate()
        let head = tok.encode(try template.render([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true), addSpecialTokens: false)
        let full = tok.encode(
            try template.render(
                [ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello!")], addGenerationPrompt: false),
            addSpecialTokens: false)
        XCTAssertEqual(d.examples[2].chosen.ids, full)
        XCTAssertEqual(d.examples[2].chosen.completionStart, head.count)
        XCTAssertEqual(d.examples[2].chosen, d.examples[3].chosen)
        XCTAssertEqual(d.examples[2].rejected, d.examples[3].rejected)
    }

    func testLengthsAndTheDroppedPairs() throws {
        let tok = try smolTokenizer()
        let long = #"{"prompt": "One two three four five six seven eight nine ten.", "chosen": " Yes.", "rejected": " No."}"#
        let same = #"{"prompt": "Hi?", "chosen": " Same.", "rejected": " Same."}"#
        let sameImplicit = #"{"chosen": "Same text.", "rejected": "Same text."}"#
        let file = try data([pairs[0], long, same, pairs[1], sameImplicit])
        let all = try DPODataset(path: file, tokenizer: tok, lengths: DPOLengths(maxLength: nil))
        XCTAssertEqual(all.identical, [3, 5], "chosen equal to rejected: dropped with their lines")
        let promptLength = all.examples[1].chosen.completionStart
        XCTAssertGreaterThan(promptLength, 8)
        // keep_start: a prompt that fills max_length is dropped (TRL filters it), the other rows keep their start
        let m = promptLength
        let start = try DPODataset(path: file, tokenizer: tok, lengths: DPOLengths(maxLength: m))
        XCTAssertEqual(start.promptTooLong, [2])
        XCTAssertEqual(start.examples.map(\.line), [1, 4])
        for (cut, whole) in zip(start.examples, [all.examples[0], all.examples[2]]) {
            XCTAssertEqual(cut.chosen.ids, Array(whole.chosen.ids.prefix(m)))
            XCTAssertEqual(cut.chosen.completionStart, whole.chosen.completionStart)
        }
        XCTAssertGreaterThan(start.truncatedRows, 0)
        // keep_end keeps the row's end; the completion start moves with the cut
        let end = try DPODataset(path: file, tokenizer: tok, lengths: DPOLengths(maxLength: m, truncationMode: .keepEnd))
        XCTAssertEqual(end.examples.map(\.line), [1, 2, 4], "keep_end drops no long prompt")
        let w = all.examples[1].chosen
        XCTAssertEqual(end.examples[1].chosen.ids, Array(w.ids.suffix(m)))
        XCTAssertEqual(end.examples[1].chosen.completionStart, w.completionStart - (w.ids.count - m))
        // max_prompt_length keeps the prompt's last tokens
        let short = try DPODataset(path: file, tokenizer: tok, lengths: DPOLengths(maxLength: nil, maxPromptLength: 3))
        XCTAssertEqual(short.examples[1].chosen.completionStart, 3)
        XCTAssertEqual(short.examples[1].chosen.ids, Array(w.ids[(w.completionStart - 3)...]))
        // nothing usable: one error that says why
        XCTAssertThrowsError(try DPODataset(path: try data([same, long]), tokenizer: tok, lengths: DPOLengths(maxLength: 4))) {
            let text = "\($0)"
            XCTAssertTrue(
                text.contains("pairs.jsonl: no usable preference pairs") && text.contains("1 prompts fill max_length 4")
                    && text.contains("1 pairs have chosen equal to rejected"), text)
        }
    }

    func testMalformedLinesNameFileLineAndField() throws {
        let tok = try smolTokenizer()
        let cases: [(String, String)] = [
            (#"{"prompt": "a""#, "pairs.jsonl:2: not valid JSON"),
            (#"[1]"#, "pairs.jsonl:2: expected a JSON object"),
            (#"{"prompt": "a", "rejected": "b"}"#, "pairs.jsonl:2: field 'chosen': missing"),
            (#"{"prompt": "a", "chosen": "b"}"#, "pairs.jsonl:2: field 'rejected': missing"),
            (#"{"prompt": "a", "chosen": "b", "rejected": 3}"#, "pairs.jsonl:2: field 'rejected': expected a string like 'chosen'"),
            (#"{"prompt": 1, "chosen": "b", "rejected": "c"}"#, "pairs.jsonl:2: field 'prompt': expected a string"),
            (#"{"prompt": "a", "chosen": "", "rejected": "c"}"#, "pairs.jsonl:2: field 'chosen': is empty"),
            (#"{"prompt": "a", "chosen": "b", "rejected": ""}"#, "pairs.jsonl:2: field 'rejected': is empty"),
            (#"{"chosen": "Same start", "rejected": "Same start and more"}"#, "pairs.jsonl:2: field 'chosen': has nothing after the prompt"),
            (#"{"chosen": [{"role": "user"}], "rejected": []}"#, "pairs.jsonl:2: field 'chosen[0].content': missing"),
            (#"{"chosen": [{"role": "user", "content": "a"}], "rejected": "b"}"#, "pairs.jsonl:2: field 'rejected': expected a list of messages"),
            (#"{"chosen": 5, "rejected": 6}"#, "pairs.jsonl:2: field 'chosen': expected a string or a list of messages")
        ]
        for (line, expected) in cases {
            XCTAssertThrowsError(try DPODataset(path: try data([pairs[0], line]), tokenizer: tok, lengths: DPOLengths(maxLength: 64))) {
                XCTAssertTrue("\($0)".contains(expected), "\($0) should contain \(expected)")
            }
        }
        let skipped = try DPODataset(
            path: try data([pairs[0], "{oops", pairs[1]]), tokenizer: tok, lengths: DPOLengths(maxLength: 64), skipBadLines: true)
        XCTAssertEqual(skipped.examples.map(\.line), [1, 3])
        XCTAssertEqual(skipped.skipped.count, 1)
    }

    // MARK: Loss

    private func config(_ file: String, out: String) -> DPOConfig {
        var c = DPOConfig()
        c.model = smolPath; c.trainFile = file; c.outputDir = out
        c.perDeviceTrainBatchSize = 2; c.maxSteps = 4; c.learningRate = 1e-3; c.saveSteps = 0
        c.loraR = 4; c.loraAlpha = 8; c.loraTargets = "q_proj,v_proj"; c.progress = false; c.seed = 3
        return c
    }

    /// Σ log p of each completion token, from a forward of the row alone (no padding, logits everywhere).
    private func rowLogProb(_ model: CausalLanguageModel, _ s: DPOSequence) -> Double {
        withNoGrad {
            let h = model.hiddenStates(ids: s.ids, batch: 1, attentionMask: nil, positions: nil, cache: nil)
            let logits = model.logits(fromHidden: h).reshaped([s.ids.count, model.vocabularySize])
            let lp = logSoftmax(logits).scalars
            let v = model.vocabularySize
            return (max(1, s.completionStart)..<s.ids.count).reduce(0.0) { $0 + Double(lp[($1 - 1) * v + s.ids[$1]]) }
        }
    }

    /// The shared-prompt forward (each pair's prompt once, completions through a differentiable shared-prefix
    /// cache) against whole rows: the same log-probs and the same gradients, on SmolLM2 with LoRA (rotary
    /// positions) and on the tiny GPT-2 (learned positions), with prompts and completions of different lengths.
    func testSharedPromptForwardEqualsWholeRows() throws {
        func compare(_ model: CausalLanguageModel, _ batch: [DPOExample], _ parameters: [(key: String, parameter: Parameter)], _ what: String) {
            let sequences = batch.map(\.chosen) + batch.map(\.rejected)
            func run(_ shared: Bool) -> (values: [Float], grads: [[Float]]) {
                for p in parameters { p.parameter.zeroGrad() }
                let (h, targets, rowOf) =
                    shared
                    ? sharedPromptHidden(model, sequences, pairs: batch.count, padTokenId: 0) : rowHidden(model, sequences, padTokenId: 0)
                let logits = model.logits(fromHidden: h.reshaped([1, rowOf.count, h.shape[1]])).reshaped([rowOf.count, model.vocabularySize])
                let lp = selectiveLogSoftmax(logits, ids: targets)
                // a loss that weighs each row differently, so that both rows' paths into the prompt count
                (lp * Tensor(rowOf.map { Float($0 + 1) }, shape: [rowOf.count])).sum().backward()
                return (lp.scalars, parameters.map { $0.parameter.grad?.scalars ?? [] })
            }
            let whole = run(false), shared = run(true)
            XCTAssertEqual(whole.values.count, shared.values.count, what)
            assertClose(shared.values.map(Double.init), whole.values.map(Double.init), abs: 1e-4, rel: 1e-4, "\(what): log-probs")
            for (i, (a, b)) in zip(shared.grads, whole.grads).enumerated() where !b.isEmpty {
                var norm = 0.0, diff = 0.0
                for (x, y) in zip(a, b) {
                    norm += Double(y) * Double(y)
                    diff += Double(x - y) * Double(x - y)
                }
                XCTAssertLessThanOrEqual(diff.squareRoot(), 1e-3 * max(norm.squareRoot(), 1e-6), "\(what): gradient of \(parameters[i].key)")
            }
        }
        _ = try smolTokenizer()
        let trainer = try DPOTrainer(config: config(try data(pairs), out: try temporaryFolder("dpo-shared")))
        _ = trainer.step()   // adapters off zero, so that the LoRA path counts in the values too
        compare(trainer.model, Array(trainer.trainExamples.prefix(3)), trainer.model.loraParameters(), "SmolLM2 + LoRA")

        let gpt2 = try loadPretrained(path: try makeTinyGPT2Folder()).architecture.causalLM!
        let batch = [
            DPOExample(chosen: DPOSequence(ids: [1, 2, 3, 4, 5], completionStart: 3), rejected: DPOSequence(ids: [1, 2, 3, 6], completionStart: 3)),
            DPOExample(
                chosen: DPOSequence(ids: [7, 8, 9], completionStart: 1), rejected: DPOSequence(ids: [7, 10, 11, 12, 13, 14], completionStart: 1))
        ]
        compare(gpt2, batch, gpt2.namedParameters().filter { $0.parameter.isTrainable }, "tiny GPT-2")
    }

    func testLossAtTheStartAndLogProbsOfEachRow() throws {
        _ = try smolTokenizer()
        let file = try data(pairs)
        var c = config(file, out: try temporaryFolder("dpo-start"))
        c.rpoAlpha = 0.5
        let trainer = try DPOTrainer(config: c)
        let batch = [trainer.trainExamples[0], trainer.trainExamples[3]]   // rows of different lengths: padding
        let r = withNoGrad { trainer.lossAndMetrics(batch) }
        // fresh adapters (B = 0): policy = reference, every implicit reward 0
        XCTAssertEqual(r.chosen, r.referenceChosen)
        XCTAssertEqual(r.rejected, r.referenceRejected)
        for (i, e) in batch.enumerated() {
            XCTAssertEqual(Double(r.chosen[i]), rowLogProb(trainer.model, e.chosen), accuracy: 2e-3 * abs(Double(r.chosen[i])))
            XCTAssertEqual(Double(r.rejected[i]), rowLogProb(trainer.model, e.rejected), accuracy: 2e-3 * abs(Double(r.rejected[i])))
        }
        // sigmoid: log 2, plus α × the mean NLL of the chosen tokens (RPO)
        let chosenTokens = batch.reduce(0) { $0 + $1.chosen.completionLength }
        let nll = -Double(r.chosen.reduce(0, +)) / Double(chosenTokens)
        XCTAssertEqual(Double(r.loss.item), log(2) + 0.5 * nll, accuracy: 1e-4)
        let m = trainer.metrics(of: [r])
        XCTAssertEqual(m["rewards/accuracies"], 0, "TRL counts chosen > rejected strictly")
        XCTAssertEqual(m["rewards/margins"], 0)
        XCTAssertEqual(m["logps/chosen"]!, Double(r.chosen.reduce(0, +)) / 2, accuracy: 1e-4)
        // IPO at the start: (0 − 1/(2β))²
        var ipo = config(file, out: try temporaryFolder("dpo-ipo"))
        ipo.lossType = .ipo; ipo.beta = 0.5
        let t = try DPOTrainer(config: ipo)
        XCTAssertEqual(Double(withNoGrad { t.lossAndMetrics(batch) }.loss.item), 1, accuracy: 1e-5)
    }

    func testLoRATrainingLearnsThePairsAndResumesBitExact() throws {
        _ = try smolTokenizer()
        let file = try data(pairs)
        let straight = try DPOTrainer(config: config(file, out: try temporaryFolder("dpo-a")))
        var a: [[String: Double]] = []
        for _ in 0..<4 { a.append(straight.step()) }
        for key in [
            "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
            "logits/chosen", "logits/rejected", "mean_token_accuracy", "num_tokens", "grad_norm", "learning_rate"
        ] {
            XCTAssertNotNil(a[3][key], key)
        }
        let after = straight.evaluate(straight.trainExamples)
        // measured: 0.69315 → 0.62186, accuracy 1.0; the same to 1e-6 with either OpenBLAS kernel set and 1 or 2 threads
        XCTAssertLessThan(after["loss"]!, log(2) - 0.05, "training lowers the loss on the pairs: \(after)")
        XCTAssertGreaterThan(after["rewards/accuracies"]!, 0.5)

        let out = try temporaryFolder("dpo-b")
        let first = try DPOTrainer(config: config(file, out: out))
        var b: [[String: Double]] = []
        for _ in 0..<2 { b.append(first.step()) }
        let ckpt = try first.saveCheckpoint()
        var c = config(file, out: out)
        c.resumeFrom = ckpt
        let resumed = try DPOTrainer(config: c)
        XCTAssertEqual(resumed.state.globalStep, 2)
        while resumed.state.globalStep < 4 { b.append(resumed.step()) }
        XCTAssertEqual(a.map { $0["loss"]!.bitPattern }, b.map { $0["loss"]!.bitPattern })
        XCTAssertEqual(a.map { $0["num_tokens"]! }, b.map { $0["num_tokens"]! })
        for ((k, p), (_, q)) in zip(straight.model.loraParameters(), resumed.model.loraParameters()) {
            XCTAssertEqual(p.value.scalars, q.value.scalars, k)
        }
    }

    func testFullFineTuneWithPrecomputedReferenceResumesBitExact() throws {
        let model = try makeTinyGPT2Folder()
        let file = try data([
            #"{"prompt": "w1 w2 w3", "chosen": " w4 w5", "rejected": " w6"}"#,
            #"{"prompt": "w7 w8", "chosen": " w9", "rejected": " w10 w11 w12"}"#,
            #"{"chosen": "w13 w14 w15", "rejected": "w13 w16"}"#,
            #"{"prompt": "w17", "chosen": " w18 w19", "rejected": " w20 w21"}"#
        ])
        func config(_ out: String) -> DPOConfig {
            var c = DPOConfig()
            c.model = model; c.trainFile = file; c.evalFile = file; c.outputDir = out
            c.perDeviceTrainBatchSize = 2; c.maxSteps = 4; c.learningRate = 1e-3; c.saveSteps = 0; c.progress = false
            c.precomputeRefLogProbs = true
            return c
        }
        let straight = try DPOTrainer(config: config(try temporaryFolder("dpo-full-a")))
        XCTAssertNil(straight.reference, "precomputed: no reference model is kept")
        let pre = try XCTUnwrap(straight.precomputed)
        XCTAssertEqual(pre.train.chosen.count, 4)
        // the precomputed values are the model's own log-probs before training
        let fresh = try loadPretrained(path: model).architecture.causalLM!
        for (i, e) in straight.trainExamples.enumerated() {
            XCTAssertEqual(Double(pre.train.chosen[i]), rowLogProb(fresh, e.chosen), accuracy: 1e-4 * max(1, abs(Double(pre.train.chosen[i]))))
        }
        var a: [Double] = []
        for _ in 0..<4 { a.append(straight.step()["loss"]!) }
        XCTAssertLessThan(straight.evaluate()["loss"]!, log(2))

        let out = try temporaryFolder("dpo-full-b")
        let first = try DPOTrainer(config: config(out))
        var b: [Double] = []
        for _ in 0..<2 { b.append(first.step()["loss"]!) }
        let ckpt = try first.saveCheckpoint()
        XCTAssertTrue(FileManager.default.fileExists(atPath: ckpt + "/reference_logps.json"))
        var c = config(out)
        c.resumeFrom = ckpt
        let resumed = try DPOTrainer(config: c)
        XCTAssertEqual(resumed.precomputed?.train, pre.train, "read back, not recomputed from the trained weights")
        while resumed.state.globalStep < 4 { b.append(resumed.step()["loss"]!) }
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "losses \(a) vs \(b)")
        // a checkpoint without the values cannot resume a precomputing run
        try FileManager.default.removeItem(atPath: ckpt + "/reference_logps.json")
        XCTAssertThrowsError(try DPOTrainer(config: c)) { XCTAssertTrue("\($0)".contains("no reference_logps.json"), "\($0)") }
    }

    func testORPOTrainsAFullModelWithoutAReference() throws {
        let model = try makeTinyGPT2Folder()
        let file = try data([
            #"{"prompt": "w1 w2 w3", "chosen": " w4 w5", "rejected": " w6"}"#,
            #"{"prompt": "w7 w8", "chosen": " w9", "rejected": " w10 w11 w12"}"#,
            #"{"prompt": "w17", "chosen": " w18 w19", "rejected": " w20 w21"}"#,
            #"{"prompt": "w22 w23", "chosen": " w24", "rejected": " w25 w26"}"#
        ])
        var c = DPOConfig()
        c.model = model; c.trainFile = file; c.evalFile = file; c.outputDir = try temporaryFolder("orpo")
        c.lossType = .orpo; c.beta = 0.5
        c.perDeviceTrainBatchSize = 4; c.maxSteps = 6; c.learningRate = 3e-3; c.saveSteps = 0; c.progress = false
        let trainer = try DPOTrainer(config: c)
        XCTAssertNil(trainer.reference, "ORPO loads no reference, even for a full fine-tune")
        XCTAssertNil(trainer.precomputed)
        // the loss of the batch from its own logged parts: NLL − β·mean log σ(log odds), rewards β × the means
        let r = withNoGrad { trainer.lossAndMetrics(trainer.trainExamples) }
        let m = trainer.metrics(of: [r])
        XCTAssertEqual(Double(r.loss.item), m["nll_loss"]! - 0.5 * m["log_odds_ratio"]!, accuracy: 1e-5)
        XCTAssertEqual(m["rewards/chosen"]!, 0.5 * m["logps/chosen"]!, accuracy: 1e-6)
        for (i, e) in trainer.trainExamples.enumerated() {
            let n = Double(e.chosen.ids.count - e.chosen.completionStart)
            XCTAssertEqual(Double(r.chosen[i]), rowLogProb(trainer.model, e.chosen) / n, accuracy: 1e-4, "per-token mean of row \(i)")
        }
        let before = trainer.evaluate()["loss"]!
        for _ in 0..<6 { _ = trainer.step() }
        // measured: 4.968 → 3.985, the same to 1e-6 with either OpenBLAS kernel set and 1 or 2 threads
        XCTAssertLessThan(trainer.evaluate()["loss"]!, before - 0.1)
    }

    func testConfigRefusesWhatTRLWouldIgnore() throws {
        var c = DPOConfig()
        c.model = "m"; c.trainFile = "t"
        c.labelSmoothing = 0.1
        XCTAssertEqual(c.validate()?.key, "label_smoothing", "sigmoid reads no label smoothing in TRL 1.16")
        c.lossType = .robust
        XCTAssertNil(c.validate())
        c.labelSmoothing = 0.5
        XCTAssertEqual(c.validate()?.key, "label_smoothing")
        c.labelSmoothing = 0; c.beta = 0
        XCTAssertEqual(c.validate()?.key, "beta")
        c.beta = 0.1; c.maxPromptLength = c.maxLength
        XCTAssertEqual(c.validate()?.key, "max_prompt_length")
        c.maxPromptLength = nil; c.lossType = .orpo; c.rpoAlpha = 1
        XCTAssertEqual(c.validate()?.key, "rpo_alpha", "ORPO has its own NLL term")
    }
}
