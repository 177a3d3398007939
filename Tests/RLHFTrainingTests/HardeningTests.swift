// What a run does with bad numbers and bad checkpoints: non-finite steps are skipped and then stop the
// run, no checkpoint holds non-finite weights, a resume refuses a checkpoint that does not fit, saves cut
// short by a crash are cleaned up or completed, and settings out of bounds are errors naming the key.

import Foundation
@testable import RLHFData
import XCTest
import RLHFFormats
import RLHFModels
import RLHFNN
import RLHFOptim
import RLHFTensor
import RLHFTestSupport
@testable import RLHFTraining

final class HardeningTests: XCTestCase {
    private func rewardConfig(_ backbone: String, _ data: String, out: String) -> RewardConfig {
        var c = RewardConfig()
        c.model = backbone; c.trainFile = data; c.outputDir = out
        c.perDeviceTrainBatchSize = 2; c.maxSteps = 2; c.saveSteps = 0; c.learningRate = 1e-3
        c.progress = false; c.seed = 5
        return c
    }

    // MARK: the non-finite guard

    func testTheGuardSkipsNonFiniteStepsAndStopsAfterTheLimitInARow() {
        var g = NonFiniteGuard(limit: 3)
        XCTAssertTrue(g.admit(step: 1, loss: 0.5, gradNorm: 1))
        XCTAssertFalse(g.admit(step: 2, loss: .nan, gradNorm: 1))
        XCTAssertFalse(g.admit(step: 3, loss: 0.5, gradNorm: .infinity))
        XCTAssertTrue(g.admit(step: 4, loss: 0.5, gradNorm: 2), "a finite step ends the streak")
        XCTAssertNoThrow(try g.check())
        for s in 5...6 { XCTAssertFalse(g.admit(step: s, loss: -.infinity, gradNorm: .nan)) }
        XCTAssertNoThrow(try g.check(), "two in a row are below the limit")
        XCTAssertFalse(g.admit(step: 7, loss: .nan, gradNorm: .nan))
        XCTAssertThrowsError(try g.check()) { e in
            guard case .nonFinite(let step, _)? = e as? TrainingError else { return XCTFail("\(e)") }
            XCTAssertEqual(step, 7)
        }
        XCTAssertEqual(g.skipped, 5)
        var z = NonFiniteGuard(limit: 2)
        XCTAssertTrue(z.admit(step: 1, loss: 10.8, gradNorm: 0))
        XCTAssertTrue(z.admit(step: 2, loss: 0, gradNorm: 0), "a zero loss may have a zero gradient")
        XCTAssertTrue(z.admit(step: 3, loss: 10.8, gradNorm: 0))
        XCTAssertNoThrow(try z.check())
        XCTAssertTrue(z.admit(step: 4, loss: 10.8, gradNorm: 0))
        XCTAssertThrowsError(try z.check())
    }

    func testFinitenessIsCheckedInEveryElement() {
        for n in [1, 15, 16, 17, 100] {
            let t = Tensor(Array(repeating: 1.5, count: n), shape: [n])
            XCTAssertTrue(isAllFinite(t))
            for bad in [Float.nan, .infinity, -.infinity] {
                for i in Set([0, n / 2, n - 1]) {
                    var v = Array(repeating: Float(1.5), count: n)
                    v[i] = bad
                    XCTAssertFalse(isAllFinite(Tensor(v, shape: [n])), "n \(n), \(bad) at \(i)")
                }
            }
        }
    }

    /// A learning rate of 1e10 breaks the reward model within a few steps: the run stops with an error
    /// naming the step, and every checkpoint it wrote holds finite weights.
    func testAnAbsurdLearningRateStopsTheRunAndLeavesNoBrokenCheckpoint() throws {
        let backbone = try makeTinyBertFolder()
        let work = try temporaryFolder("rm-nan")
        let data = try writeLines(arithmeticPairs(), work, "pairs.jsonl")
        var c = rewardConfig(backbone, data, out: work + "/out")
        c.learningRate = 1e10; c.maxSteps = 30; c.saveSteps = 1; c.maxGradNorm = 0
        var lines: [String] = []
        let trainer = try RewardTrainer(config: c, report: { lines.append($0) })
        XCTAssertThrowsError(try trainer.train()) { e in
            guard case .nonFinite(let step, let reason)? = e as? TrainingError else { return XCTFail("\(e)") }
            XCTAssertLessThan(step, 30, reason)
        }
        let saved = try FileManager.default.contentsOfDirectory(atPath: work + "/out").filter { $0.hasPrefix("checkpoint-") }
        XCTAssertFalse(saved.contains("checkpoint-30"), "the run did not finish")
        for name in saved {
            let file = try SafetensorsFile(path: work + "/out/\(name)/model.safetensors")
            for key in file.tensorNames { XCTAssertTrue(isAllFinite(try file.tensor(key)), "\(name)/\(key)") }
        }
    }

    /// β = 1e300 makes PPO's token rewards overflow at once: three skipped updates (of the first step's
    /// four PPO epochs), then an error.
    func testPPOWithAnInfiniteKLPenaltyStopsAfterTheLimit() throws {
        let c = LlamaConfig(vocabSize: 16, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 1, numAttentionHeads: 4, numKeyValueHeads: 2)
        var rng = RandomGenerator(seed: 1)
        // a reference other than the policy, so that the KL is not zero from the first step
        let policy = try LlamaForCausalLM(c, rng: &rng), reference = try LlamaForCausalLM(c, rng: &rng)
        for m in [policy, reference] {   // small embeddings: the tied output layer starts near uniform, sampling explores
            m.model.embedTokens.weight.assign(Tensor.normal([16, 32], std: 0.02, using: &rng))
        }
        var p = PPOConfig()
        p.outputDir = try temporaryFolder("ppo-nan"); p.responseLength = 4; p.stopToken = .none; p.perDeviceTrainBatchSize = 4
        p.klCoef = 1e300; p.maxSteps = 10; p.saveSteps = 0; p.progress = false
        let prompts = (0..<8).map { PPOPrompt(ids: [1 + $0 % 7, 2], text: "p\($0)", line: $0 + 1) }
        var lines: [String] = []
        let trainer = try PPOTrainer(
            config: p, policy: policy, reference: reference, valueHead: makeValueHead(hiddenSize: 32, rng: &rng),
            reward: TokenShareReward(token: 3), prompts: prompts, eosTokenId: nil, padTokenId: 0,
            report: { lines.append($0) })
        XCTAssertThrowsError(try trainer.train()) { e in
            XCTAssertEqual((e as? TrainingError).map { if case .nonFinite(let s, _) = $0 { return s } else { return -1 } }, 1, "\(e)")
        }
        XCTAssertEqual(lines.filter { $0.contains("not finite, step skipped") }.count, 3, lines.joined(separator: "\n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.outputDir + "/checkpoint-3"))
    }

    /// SFT at a learning rate of 1e10 overflows without a NaN: the logits become 0, the loss sits at
    /// ln(49152) with a zero gradient. The run stops instead of "training" on.
    func testSFTThatSaturatesWithAZeroGradientStops() throws {
        let work = try temporaryFolder("sft-saturated")
        let lines = (1...8).map { #"{"prompt": "What is \#($0) plus \#($0)?", "completion": " It is \#(2 * $0)."}"# }
        var s = SFTConfig()
        s.model = smolPath; s.trainFile = try writeLines(lines, work, "data.jsonl"); s.outputDir = work + "/out"
        s.maxLength = 32; s.loraR = 2; s.loraTargets = "q_proj,v_proj"; s.perDeviceTrainBatchSize = 2
        s.learningRate = 1e10; s.maxSteps = 20; s.saveSteps = 0; s.progress = false
        XCTAssertThrowsError(try SFTTrainer(config: s).train()) { e in
            guard case .nonFinite(let step, let reason)? = e as? TrainingError else { return XCTFail("\(e)") }
            XCTAssertLessThan(step, 20)
            XCTAssertTrue(reason.contains("exactly zero"), reason)
        }
    }

    // MARK: resume

    func testAResumeRefusesACheckpointThatDoesNotFitTheRun() throws {
        let backbone = try makeTinyBertFolder()
        let work = try temporaryFolder("rm-resume-checks")
        let data = try writeLines(arithmeticPairs(), work, "pairs.jsonl")
        let c = rewardConfig(backbone, data, out: work + "/out")
        let (_, ckpt) = try RewardTrainer(config: c).train()
        func refusal(_ change: (inout RewardConfig) -> Void) -> String {
            var r = c
            r.resumeFrom = ckpt
            r.maxSteps = 4
            change(&r)
            do { _ = try RewardTrainer(config: r); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal { _ in }, "accepted")
        XCTAssertTrue(refusal { $0.seed = 6 }.contains("trained with seed 5, the config says 6"))
        XCTAssertTrue(refusal { $0.perDeviceTrainBatchSize = 3 }.contains("it took 2 examples per step, the config takes 3"))
        XCTAssertTrue(refusal { $0.maxSteps = 1 }.contains("at step 2, past the run's last step 1"))
        let fewer = try writeLines(Array(arithmeticPairs().prefix(8)), work, "fewer.jsonl")
        XCTAssertTrue(refusal { $0.trainFile = fewer }.contains("trained on 10 examples, the training data now has 8"))
        // a hand-edited position
        let statePath = ckpt + "/trainer_state.json"
        let original = try String(contentsOfFile: statePath, encoding: .utf8)
        for (field, value) in [("globalStep", "-5"), ("epoch", "-1"), ("batchInEpoch", "1000000000")] {
            let edited = original.replacingOccurrences(of: #""\#(field)" : \d+"#, with: "\"\(field)\" : \(value)", options: .regularExpression)
            XCTAssertNotEqual(edited, original, field)
            try edited.write(toFile: statePath, atomically: true, encoding: .utf8)
            XCTAssertTrue(refusal { _ in }.contains("impossible position"), "\(field) \(value)")
        }
    }

    func testResumingFromAnotherTrainersCheckpointSaysWhatItIs() throws {
        let backbone = try makeTinyBertFolder()
        let work = try temporaryFolder("rm-for-sft")
        let data = try writeLines(arithmeticPairs(), work, "pairs.jsonl")
        let (_, ckpt) = try RewardTrainer(config: rewardConfig(backbone, data, out: work + "/out")).train()
        var s = SFTConfig()
        s.model = smolPath; s.trainFile = data; s.outputDir = work + "/sft"; s.loraR = 4; s.resumeFrom = ckpt; s.progress = false
        XCTAssertThrowsError(try SFTTrainer(config: s)) { e in
            XCTAssertTrue("\(e)".contains("it is a 'reward' checkpoint, not an SFT one"), "\(e)")
        }
    }

    // MARK: saves cut short

    /// The PID of a process that has exited.
    private func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func testSavesCutShortByADeadProcessAreRemovedOrCompleted() throws {
        let dir = try temporaryFolder("ckpt-recover")
        let fm = FileManager.default
        let pid = try deadPID()
        func folder(_ name: String, marker: String) throws {
            try fm.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: false)
            try marker.write(toFile: dir + "/\(name)/marker", atomically: true, encoding: .utf8)
        }
        func marker(_ name: String) -> String? { try? String(contentsOfFile: dir + "/\(name)/marker", encoding: .utf8) }
        try folder(".checkpoint-2.tmp-\(pid)", marker: "partial")   // died while writing
        try folder("checkpoint-4", marker: "new 4")   // died before removing the old one
        try folder(".checkpoint-4.old-\(pid)", marker: "old 4")
        try folder(".checkpoint-6.old-\(pid)", marker: "old 6")   // died between the two renames
        try folder(".checkpoint-6.tmp-\(pid)", marker: "new 6")
        try folder(".checkpoint-8.old-\(pid)", marker: "old 8")   // only the moved-aside one is left
        let me = ProcessInfo.processInfo.processIdentifier
        try folder(".checkpoint-10.tmp-\(me)", marker: "mine")   // a live writer's folder
        let lines = CheckpointFolder.recover(in: dir)
        XCTAssertEqual(lines.count, 5, lines.joined(separator: "\n"))
        XCTAssertEqual(
            Set(try fm.contentsOfDirectory(atPath: dir)),
            ["checkpoint-4", "checkpoint-6", "checkpoint-8", ".checkpoint-10.tmp-\(me)"])
        XCTAssertEqual(marker("checkpoint-4"), "new 4")
        XCTAssertEqual(marker("checkpoint-6"), "new 6", "the complete new folder goes into place")
        XCTAssertEqual(marker("checkpoint-8"), "old 8", "the last good checkpoint comes back")
    }

    func testAFIFOInPlaceOfACheckpointsStateIsRefusedNotWaitedOn() throws {
        let dir = try temporaryFolder("ckpt-fifo")
        XCTAssertEqual(mkfifo(dir + "/trainer_state.json", 0o600), 0)
        XCTAssertThrowsError(try TrainerState.load(from: dir)) { e in
            XCTAssertTrue("\(e)".contains(dir + "/trainer_state.json"), "\(e)")
            XCTAssertTrue("\(e)".contains("FIFO"), "\(e)")
        }
    }

    func testStandardInputIsNamedAsSuchInDataErrors() {
        XCTAssertEqual("\(DataError.badLine(path: "-", line: 3, field: "prompt", reason: "is empty"))", "<stdin>:3: field 'prompt': is empty")
        XCTAssertEqual("\(DataError.empty(path: "-", reason: "no pairs"))", "<stdin>: no pairs")
    }

    func testOptimizerStateIsTheSameBytesFromEveryProcess() throws {
        let dir = try temporaryFolder("optim-json")
        let p = Parameter(Tensor([1, 2], shape: [2]))
        let adam = AdamW(parameters: [p], learningRate: 0.1)
        try OptimizerState.save(adam, keys: ["w"], to: dir)
        XCTAssertEqual(try String(contentsOfFile: dir + "/optimizer.json", encoding: .utf8), #"{"keys":["w"],"steps":[0]}"#)
    }

    // MARK: settings

    func testSettingsOutOfBoundsAreErrorsNamingTheKey() throws {
        for (flag, value, key) in [
            ("--num-train-epochs", "1e300", "num_train_epochs"),
            (
                "--gradient-accumulation-steps", "4611686018427387904",
                "gradient_accumulation_steps"
            ), ("--learning-rate", "nan", "learning_rate"),
            ("--max-grad-norm", "nan", "max_grad_norm"), ("--per-device-train-batch-size", "100000000", "per_device_train_batch_size"),
            ("--max-nonfinite-steps", "0", "max_nonfinite_steps"), ("--lora-alpha", "inf", "lora_alpha")
        ] {
            XCTAssertThrowsError(
                try RewardConfig.load(path: nil, overrides: ["--model", "m", "--train-file", "t", flag, value]),
                "\(flag) \(value)"
            ) { e in XCTAssertTrue("\(e)".contains(key) || "\(e)".contains(flag), "\(e)") }
        }
        var p = PPOConfig()
        p.klCoef = .infinity
        XCTAssertEqual(p.validate()?.key, "kl_coef")
        p.klCoef = 0.05; p.numPPOEpochs = 1 << 40
        XCTAssertEqual(p.validate()?.key, "num_ppo_epochs")
    }

    func testAdapterSettingsAreCheckedAgainstTheModelBeforeAnythingIsAllocated() throws {
        let tiny = repoRoot + "/Tests/RLHFModelsTests/Resources/tiny-llama"
        let model = try loadPretrained(path: tiny).architecture.module
        XCTAssertThrowsError(
            try addTrainingAdapters(
                to: model, targets: ["q_proj"], rank: 1_000_000, alpha: 16, dropout: 0, seed: 1,
                modelPath: tiny)
        ) { e in
            XCTAssertEqual(
                e as? TrainingError,
                .badSetting(
                    key: "lora_r",
                    reason: "1000000 exceeds the width 48 of 'model.layers.0.self_attn.q_proj' "
                        + "(a rank above it adds parameters and no capacity)"))
        }
        XCTAssertThrowsError(try addTrainingAdapters(to: model, targets: ["foo_proj"], rank: 4, alpha: 16, dropout: 0, seed: 1, modelPath: tiny)) {
            e in
            XCTAssertTrue("\(e)".hasPrefix("lora_targets: \(tiny) has no layer named foo_proj; its projections are "), "\(e)")
            XCTAssertFalse("\(e)".contains("cannot resume"), "\(e)")
        }
        XCTAssertTrue(model.loraAdapters().isEmpty, "nothing was added")
    }

    /// A tokenizer that does not belong to the model (MiniLM's 30522 tokens on a Llama of 101) is an error
    /// naming the data line, not an index past the embedding table.
    func testATokenizerThatDoesNotBelongToTheModelIsAnError() throws {
        let work = try temporaryFolder("vocab-mismatch")
        let model = work + "/model"
        try FileManager.default.copyItem(atPath: repoRoot + "/Tests/RLHFModelsTests/Resources/tiny-llama", toPath: model)
        try? FileManager.default.removeItem(atPath: model + "/tokenizer.json")
        try FileManager.default.copyItem(atPath: repoRoot + "/models/minilm/tokenizer.json", toPath: model + "/tokenizer.json")
        let data = try writeLines(arithmeticPairs(), work, "pairs.jsonl")
        XCTAssertThrowsError(try RewardTrainer(config: rewardConfig(model, data, out: work + "/out"))) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(model): \(data):1 encodes to token id "), "\(e)")
            XCTAssertTrue("\(e)".hasSuffix("outside the model's vocabulary of 101 (vocab_size): the tokenizer does not belong to the model"), "\(e)")
        }
    }

    func testSFTWhereEveryCompletionIsTruncatedAwayIsAnError() throws {
        let work = try temporaryFolder("sft-truncated")
        let data = try writeLines(
            [#"{"prompt": "A long question about the capital cities of the world and their rivers?", "completion": " Paris."}"#],
            work, "data.jsonl")
        var s = SFTConfig()
        s.model = smolPath; s.trainFile = data; s.outputDir = work + "/out"; s.maxLength = 4; s.loraR = 4; s.progress = false
        XCTAssertThrowsError(try SFTTrainer(config: s)) { e in
            XCTAssertTrue("\(e)".hasPrefix("max_length: \(data): no example keeps a target token within max_length 4"), "\(e)")
        }
        s.model = repoRoot + "/models/minilm"
        XCTAssertThrowsError(try SFTTrainer(config: s)) { e in
            XCTAssertEqual("\(e)", "\(s.model): a bert model is not a decoder (SFT trains Llama or GPT-2 causal LMs)")
        }
    }
}
