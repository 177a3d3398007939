// Optimizers and schedules against PyTorch / transformers goldens written by
// scripts/goldens/optim_goldens.py (20 steps on mean((x @ w + b − y)²)).
// Tolerance: |ours − torch| ≤ 1e-6 · max(|torch|, 1) for every parameter after every step.

import Foundation
import XCTest
import RLHFNN
import RLHFOptim
import RLHFTensor
import RLHFTestSupport

private struct Golden: Decodable {
    struct Array: Decodable { let shape: [Int]; let data: [Float] }
    struct Problem: Decodable { let x, y, w, b: Array }
    struct Step: Decodable {
        let loss: Float
        let total_norm: Float?
        let grads: [String: [Float]]
        let params_after: [String: [Float]]
    }
    struct Hyper: Decodable {
        let lr: Double
        let momentum: Double?
        let dampening: Double?
        let weight_decay: Double
        let nesterov: Bool?
        let betas: [Double]?
        let eps: Double?
    }
    struct Run: Decodable { let hyper: Hyper; let clip_max_norm: Double?; let steps: [Step] }
    struct Schedule: Decodable {
        let function: String
        let args: [String: Double]
        let base_lr: Double
        let lr: [Double]
    }
    let problem: Problem
    let optimizers: [String: Run]
    let schedules: [String: Schedule]
}

final class OptimizerGoldenTests: XCTestCase {
    private static let golden: Golden = {
        let url = Bundle.module.url(forResource: "optim_goldens", withExtension: "json", subdirectory: "Resources")!
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    private func tensor(_ a: Golden.Array) -> Tensor { Tensor(a.data, shape: a.shape) }

    private func makeOptimizer(_ name: String, _ h: Golden.Hyper, _ params: [Parameter]) -> Optimizer {
        switch name {
        case let n where n.hasPrefix("sgd"):
            return SGD(
                parameters: params, learningRate: h.lr, momentum: h.momentum ?? 0,
                dampening: h.dampening ?? 0, weightDecay: h.weight_decay, nesterov: h.nesterov ?? false)
        case "adam":
            return Adam(
                parameters: params, learningRate: h.lr, betas: (h.betas![0], h.betas![1]),
                eps: h.eps!, weightDecay: h.weight_decay, decay: .coupled)
        default:
            return AdamW(
                parameters: params, learningRate: h.lr, betas: (h.betas![0], h.betas![1]),
                eps: h.eps!, weightDecay: h.weight_decay)
        }
    }

    /// Ours against torch's values within `rel`·max(|torch|, 1).
    private func assertMatchesTorch(
        _ ours: [Float], _ theirs: [Float], _ what: String, rel: Float = 1e-6,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        assertClose(ours, theirs, rel: rel, relativeFloor: 1, what, bName: "torch", file: file, line: line)
    }

    /// Feeds PyTorch's recorded gradients (through the loss Σ w·G, whose gradient is G exactly), so only
    /// the update rule is compared.
    func testUpdateRulesMatchTorchWithRecordedGradients() {
        let g = Self.golden
        for (name, run) in g.optimizers.sorted(by: { $0.key < $1.key }) {
            let w = Parameter(tensor(g.problem.w)), b = Parameter(tensor(g.problem.b))
            let opt = makeOptimizer(name, run.hyper, [w, b])
            for (s, step) in run.steps.enumerated() {
                opt.zeroGrad()
                let gw = Tensor(step.grads["w"]!, shape: w.shape), gb = Tensor(step.grads["b"]!, shape: b.shape)
                ((w.value * gw).sum() + (b.value * gb).sum()).backward()
                opt.step()
                assertMatchesTorch(w.value.scalars, step.params_after["w"]!, "\(name) step \(s) w")
                assertMatchesTorch(b.value.scalars, step.params_after["b"]!, "\(name) step \(s) b")
            }
        }
    }

    /// The whole loop with our autodiff and clipping: loss, clip norm and parameters stay within 1e-5.
    func testTrainingLoopMatchesTorchEndToEnd() {
        let g = Self.golden
        let x = tensor(g.problem.x), y = tensor(g.problem.y)
        for (name, run) in g.optimizers.sorted(by: { $0.key < $1.key }) {
            let w = Parameter(tensor(g.problem.w)), b = Parameter(tensor(g.problem.b))
            let opt = makeOptimizer(name, run.hyper, [w, b])
            for (s, step) in run.steps.enumerated() {
                opt.zeroGrad()
                let d = matmul(x, w.value) + b.value - y
                let loss = (d * d).mean()
                XCTAssertEqual(loss.item, step.loss, accuracy: 1e-5 * max(1, abs(step.loss)), "\(name) step \(s) loss")
                loss.backward()
                if let maxNorm = run.clip_max_norm {
                    let norm = clipGradNorm([w, b], maxNorm: Float(maxNorm))
                    XCTAssertEqual(norm, step.total_norm!, accuracy: 1e-5 * max(1, step.total_norm!), "\(name) step \(s) norm")
                }
                assertMatchesTorch(w.grad!.scalars, step.grads["w"]!, "\(name) step \(s) grad w", rel: 1e-5)
                opt.step()
                assertMatchesTorch(w.value.scalars, step.params_after["w"]!, "\(name) step \(s) w", rel: 1e-5)
                assertMatchesTorch(b.value.scalars, step.params_after["b"]!, "\(name) step \(s) b", rel: 1e-5)
            }
        }
    }

    func testSchedulesMatchTransformers() {
        for (name, sched) in Self.golden.schedules {
            let w = Int(sched.args["num_warmup_steps"] ?? 0), total = Int(sched.args["num_training_steps"] ?? 0)
            let schedule: LRSchedule
            switch sched.function {
            case "get_constant_schedule": schedule = .constant
            case "get_constant_schedule_with_warmup": schedule = .constantWithWarmup(warmupSteps: w)
            case "get_linear_schedule_with_warmup": schedule = .linear(warmupSteps: w, totalSteps: total)
            case "get_cosine_schedule_with_warmup":
                schedule = .cosine(warmupSteps: w, totalSteps: total, numCycles: sched.args["num_cycles"] ?? 0.5)
            default: XCTFail("unknown schedule \(sched.function)"); continue
            }
            for (step, lr) in sched.lr.enumerated() {
                let ours = sched.base_lr * schedule.multiplier(at: step)
                XCTAssertEqual(ours, lr, accuracy: 1e-6 * max(abs(lr), 1e-12), "\(name) step \(step)")
            }
        }
    }

    func testClipGradNormReturnsNormBeforeClippingAndScales() {
        let p = Parameter(Tensor([3, 4]))
        (p.value * Tensor([3, 4])).sum().backward()   // grad = [3, 4], norm 5
        let norm = clipGradNorm([p], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(p.grad!.scalars[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(p.grad!.scalars[1], 0.8, accuracy: 1e-5)
        // below the threshold the gradient is unchanged
        p.zeroGrad()
        (p.value * Tensor([0.3, 0.4])).sum().backward()
        XCTAssertEqual(clipGradNorm([p], maxNorm: 1), 0.5, accuracy: 1e-6)
        XCTAssertEqual(p.grad!.scalars[1], 0.4, accuracy: 1e-6)
    }

    func testFrozenParametersAreNotUpdated() {
        let a = Parameter(Tensor([1, 2])), b = Parameter(Tensor([1, 2]))
        b.isTrainable = false
        let opt = AdamW(parameters: [a, b], learningRate: 0.1)
        ((a.value + b.value) * (a.value + b.value)).sum().backward()
        XCTAssertNil(b.grad)
        opt.step()
        XCTAssertEqual(b.value.scalars, [1, 2])
        XCTAssertNotEqual(a.value.scalars, [1, 2])
    }
}
