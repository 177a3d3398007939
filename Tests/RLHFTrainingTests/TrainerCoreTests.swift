// The training core on its own: the data cursor, one optimizer update with its gradient-reduction hook,
// the loop's logging/evaluation/checkpoint cadence and resume, all through a toy algorithm written the
// way a new trainer is (a loss, a checkpoint file, a config), and the typed options of the configs.

import Foundation
import XCTest
import RLHFLogging
import RLHFNN
import RLHFTensor
import RLHFTestSupport
@testable import RLHFTraining

/// A one-parameter "model" fitted to numbers: loss = mean over the micro-batch of (w − xᵢ)².
private final class MeanFit: TrainingAlgorithm {
    let data: [Float]
    let w = Parameter(Tensor([0], shape: [1]))
    let core: TrainerCore
    var evaluations = 0

    init(data: [Float], run: RunSettings) throws {
        self.data = data
        let resumed = try TrainerCore.prepare(run, kind: .sft, report: { _ in })
        core = try TrainerCore(
            run: run, kind: .sft, parameters: [("w", w)], exampleCount: data.count,
            totalSteps: run.totalSteps(batchesPerEpoch: run.batchesPerEpoch(count: data.count)),
            stepBatchSize: run.stepBatchSize, rng: RandomGenerator(seed: 1), resumed: resumed, report: { _ in })
        if let dir = run.resumeFrom {
            let saved = try String(contentsOfFile: dir + "/w.txt", encoding: .utf8)
            w.assign(Tensor([Float(saved)!], shape: [1]))
        }
    }

    func step() -> [String: Double] {
        core.supervisedStep { indices in
            let x = Tensor(indices.map { data[$0] }, shape: [indices.count])
            let d = w.value - x
            return (d * d).mean()
        }
    }

    var hasEvaluation: Bool { true }
    func evaluate() -> [String: Double] { evaluations += 1; return ["w": Double(w.value.item)] }
    var progressFigures: [(label: String, key: String)] { [("loss", "loss")] }

    func writeCheckpoint() throws -> String {
        try core.saveCheckpoint { dir in try "\(w.value.item)".write(toFile: dir + "/w.txt", atomically: true, encoding: .utf8) }
    }
}

final class TrainerCoreTests: XCTestCase {
    private func run(_ out: String, steps: Int = 7) -> RunSettings {
        var r = RunSettings(outputDir: out, learningRate: 0.1, loggingSteps: 2, saveSteps: 4)
        r.perDeviceTrainBatchSize = 2; r.gradientAccumulationSteps = 1; r.maxSteps = steps; r.evalSteps = 3
        r.lrSchedulerType = .constant; r.progress = false; r.seed = 3
        return r
    }

    func testTheCursorVisitsEveryExampleOncePerEpochInMicroBatches() throws {
        let fit = try MeanFit(data: [1, 2, 3, 4, 5], run: run(try temporaryFolder("core-cursor")))
        var seen: [[Int]] = []
        for _ in 0..<3 { seen.append(fit.core.nextMicroBatch()) }
        XCTAssertEqual(seen.map(\.count), [2, 2, 1], "an epoch's last micro-batch is short")
        XCTAssertEqual(seen.flatMap { $0 }.sorted(), [0, 1, 2, 3, 4])
        XCTAssertEqual(seen.flatMap { $0 }, epochOrder(count: 5, seed: 3, epoch: 0))
        XCTAssertEqual(fit.core.state.epoch, 1)
        XCTAssertEqual(fit.core.state.batchInEpoch, 0)
        XCTAssertEqual(fit.core.nextMicroBatch(), Array(epochOrder(count: 5, seed: 3, epoch: 1).prefix(2)))
        XCTAssertEqual(fit.core.epochProgress, 1 + 1.0 / 3, accuracy: 1e-12)
    }

    func testTheExampleCursorRunsAcrossEpochs() throws {
        var r = run(try temporaryFolder("core-examples"))
        r.maxSteps = 2
        let core = try TrainerCore(
            run: r, kind: .ppo, parameters: [("w", Parameter(Tensor([0], shape: [1])))], exampleCount: 3,
            cursorUnit: .example, totalSteps: 2, stepBatchSize: 2, rng: RandomGenerator(seed: 1), resumed: nil,
            report: { _ in })
        let first = core.nextExamples(2), second = core.nextExamples(2)
        XCTAssertEqual(first + [second[0]], epochOrder(count: 3, seed: 3, epoch: 0))
        XCTAssertEqual(second[1], epochOrder(count: 3, seed: 3, epoch: 1)[0])
        XCTAssertEqual(core.state.epoch, 1)
        XCTAssertEqual(core.state.batchInEpoch, 1)
    }

    /// The hook sees the gradients after every micro-batch's backward pass and before clipping: zeroing
    /// them there leaves a zero gradient norm and the weight unmoved, and the loss it returns is the one
    /// the step reports.
    func testTheGradientReductionHookRunsBetweenBackwardAndTheStep() throws {
        final class Zeroing: GradientReduction {
            var calls = 0, sawGradient = false
            func reduce(_ parameters: [Parameter], loss: Double) -> Double {
                calls += 1
                for p in parameters {
                    guard let g = p.grad else { continue }
                    sawGradient = sawGradient || g.scalars.contains { $0 != 0 }
                    for i in 0..<g.count { g.pointer[i] = 0 }
                }
                return loss + 100
            }
        }
        var r = run(try temporaryFolder("core-hook"))
        r.gradientAccumulationSteps = 2
        let fit = try MeanFit(data: [1, 2, 3, 4, 5], run: r)
        let hook = Zeroing()
        fit.core.gradientReduction = hook
        let m = fit.step()
        XCTAssertEqual(hook.calls, 1, "once per optimizer update, not per micro-batch")
        XCTAssertTrue(hook.sawGradient)
        XCTAssertEqual(m["grad_norm"], 0)
        XCTAssertGreaterThan(m["loss"]!, 100)
        XCTAssertEqual(fit.w.value.item, 0, "a zero gradient moves Adam's weight nowhere")
        fit.core.gradientReduction = nil
        XCTAssertGreaterThan(fit.step()["grad_norm"]!, 0)
        XCTAssertNotEqual(fit.w.value.item, 0)
    }

    /// The loop logs every `logging_steps` and at the end, evaluates every `eval_steps` and at the end,
    /// checkpoints every `save_steps` and at the end; a run resumed from the first checkpoint ends where
    /// the straight run ends, bit for bit.
    func testTheLoopKeepsItsCadenceAndResumesBitForBit() throws {
        let out = try temporaryFolder("core-loop")
        let straight = try MeanFit(data: [1, 2, 3, 4, 5], run: run(out + "/a"))
        let logger = try TrainingLogger(outputDirectory: out + "/a", totalSteps: 7, description: "toy", progress: false)
        let result = try straight.runLoop(logger: logger)
        try logger.close()
        XCTAssertEqual(result.checkpoint, out + "/a/checkpoint-7")
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: out + "/a").filter { $0.hasPrefix("checkpoint-") }.sorted(),
            ["checkpoint-4", "checkpoint-7"])
        XCTAssertEqual(straight.evaluations, 3, "at steps 3 and 6, and at the end")
        XCTAssertEqual(result.eval["w"], Double(straight.w.value.item))
        let lines = try String(contentsOfFile: out + "/a/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let steps = lines.compactMap { line -> Int? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["loss"] != nil else { return nil }
            return o["step"] as? Int
        }
        XCTAssertEqual(steps, [2, 4, 6, 7])
        XCTAssertGreaterThan(straight.w.value.item, 0.5, "w moves from 0 towards the mean, 3 (about lr = 0.1 a step)")

        var resumedRun = run(out + "/b")
        resumedRun.resumeFrom = out + "/a/checkpoint-4"
        let resumed = try MeanFit(data: [1, 2, 3, 4, 5], run: resumedRun)
        XCTAssertEqual(resumed.core.state.globalStep, 4)
        _ = try resumed.runLoop(logger: nil)
        XCTAssertEqual(resumed.w.value.item, straight.w.value.item)

        let quiet = try MeanFit(data: [1, 2, 3, 4, 5], run: run(out + "/c"))
        _ = try quiet.runLoop(logger: nil)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: out + "/c").filter { $0.hasPrefix("checkpoint-") }.sorted(),
            ["checkpoint-4", "checkpoint-7"], "checkpoints are written without a logger too")

        var otherSeed = resumedRun
        otherSeed.seed = 4
        XCTAssertThrowsError(try MeanFit(data: [1, 2, 3, 4, 5], run: otherSeed)) { e in
            XCTAssertTrue("\(e)".contains("seed 3"), "\(e)")
        }
        XCTAssertThrowsError(try TrainerCore.prepare(resumedRun, kind: .reward, report: { _ in })) { e in
            XCTAssertTrue("\(e)".contains("not a reward-model one"), "\(e)")
        }
    }

    func testOptionsWithAFixedSetOfValuesAreTypedAndNameTheirChoices() throws {
        XCTAssertThrowsError(
            try RewardConfig.load(
                entries: [("model", "m", 1), ("train_file", "t", 2), ("lr_scheduler_type", "cosin", 3)],
                source: "rm.yaml")
        ) { e in
            XCTAssertEqual(
                "\(e)",
                "rm.yaml:3: key 'lr_scheduler_type': expected one of constant, constant_with_warmup, linear, cosine, "
                    + "found 'cosin'; did you mean 'cosine'?")
        }
        XCTAssertThrowsError(
            try PPOConfig.load(
                path: nil,
                overrides: [
                    "--model", "m", "--reward-model", "r", "--train-file", "t",
                    "--kl-estimator", "abs"
                ])
        ) { e in
            XCTAssertEqual("\(e)", "command line: --kl-estimator: expected one of k1, k3, found 'abs'", "only TRL's estimators are offered")
        }
        XCTAssertThrowsError(try RewardConfig.load(path: nil, overrides: ["--model", "m", "--train-file", "t", "--head", "CLS"])) { e in
            XCTAssertTrue("\(e)".hasSuffix("did you mean 'cls'?"), "\(e)")
        }
        let c = try PPOConfig.load(
            path: nil,
            overrides: [
                "--model", "m", "--reward-model", "r", "--train-file", "t", "--kl-estimator", "k3",
                "--stop-token", "none", "--lr-scheduler-type", "cosine"
            ])
        XCTAssertEqual(c.klEstimator, .k3)
        XCTAssertEqual(c.stopToken, StopToken.none)
        XCTAssertEqual(c.lrSchedulerType, .cosine)
        XCTAssertEqual(c.run.schedule(totalSteps: 10), .cosine(warmupSteps: 0, totalSteps: 10))
    }
}
