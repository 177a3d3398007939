// GRPO's and RLOO's advantages and losses against TRL's own code (goldens from scripts/grpo_goldens.py,
// which execs the lines of trl 1.16.0's GRPOTrainer and RLOOTrainer): weighted rewards with missing ones and
// an unscorable completion, the three reward scalings, the four loss aggregations with and without the k3 KL,
// the leave-one-out baseline with the KL folded into the reward, and every gradient per token.

import Foundation
import RLHFTensor
import RLHFTestSupport
import XCTest
@testable import RLHFTraining

final class GRPOMathTests: XCTestCase {
    private func goldens() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/Tests/RLHFTrainingTests/Resources/grpo-goldens.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
    private func rows(_ g: [String: Any], _ key: String) -> [[Double]] { (g[key] as! [[NSNumber]]).map { $0.map(\.doubleValue) } }
    private func doubles(_ x: Any?) -> [Double] { (x as! [NSNumber]).map(\.doubleValue) }
    private func rewards(_ g: [String: Any]) -> [Double] {
        let perFunction = (g["rewards_per_func"] as! [[Any]]).map { $0.map { ($0 as? NSNumber)?.doubleValue } }
        return weightedRewards(perFunction, weights: doubles(g["reward_weights"]))
    }

    func testGRPOAdvantagesMatchTRL() throws {
        let g = try goldens()
        let r = rewards(g)
        XCTAssertTrue(r[6].isNaN, "a completion no function rewards is unscorable")
        for c in g["grpo_advantages"] as! [[String: Any]] {
            let scaling = try XCTUnwrap(RewardScaling(rawValue: c["scale_rewards"] as! String))
            let a = grpoAdvantages(rewards: r, groupSize: g["num_generations"] as! Int, scaling: scaling)
            // TRL's nanstd multiplies by Bessel's count / (count − 1) computed from integer counts, which torch
            // divides in float32 (4/3 = 1.3333333731): its stds are off by ~1e-8 relative, ours are exact
            assertClose(a, doubles(c["advantages"]), abs: 1e-7, rel: 1e-7, "scale_rewards \(scaling)")
            XCTAssertEqual(a[6], 0)
        }
    }

    func testGRPOLossesAndGradientsMatchTRL() throws {
        let g = try goldens()
        let logps = rows(g, "logps"), old = rows(g, "old_logps"), ref = rows(g, "ref_logps")
        let rowOf = logps.enumerated().flatMap { i, r in Array(repeating: i, count: r.count) }
        let advantages = doubles(g["advantages"]).map(Float.init)
        for c in g["grpo_losses"] as! [[String: Any]] {
            let type = try XCTUnwrap(GRPOLossType(rawValue: c["loss_type"] as! String))
            let beta = (c["beta"] as! NSNumber).floatValue
            let x = Tensor(logps.flatMap { $0.map(Float.init) }, shape: [rowOf.count]).requiringGrad()
            let out = grpoLoss(
                logProbs: x, oldLogProbs: old.flatMap { $0.map(Float.init) }, referenceLogProbs: ref.flatMap { $0.map(Float.init) },
                advantages: advantages, rowOf: rowOf, epsilon: (c["epsilon"] as! NSNumber).floatValue,
                epsilonHigh: (c["epsilon_high"] as! NSNumber).floatValue, beta: beta, type: type,
                maxCompletionLength: g["max_completion_length"] as! Int, generationBatchTokens: rowOf.count)
            out.loss.backward()
            let what = "\(type) β \(beta)"
            XCTAssertEqual(Double(out.loss.item), (c["loss"] as! NSNumber).doubleValue, accuracy: 1e-6, what)
            assertClose(x.grad!.scalars.map(Double.init), rows(c, "grad").flatMap { $0 }, abs: 1e-6, rel: 1e-5, "\(what): ∂/∂log π")
        }
    }

    func testRLOOAdvantagesAndLossMatchTRL() throws {
        let g = try goldens()
        let old = rows(g, "old_logps"), ref = rows(g, "ref_logps")
        let r = rewards(g)
        // completion i's log-probs are those of row i mod 4 (the script repeats the 4 rows for the 12 completions)
        let kl = r.indices.map { i in zip(old[i % old.count], ref[i % ref.count]).reduce(0.0) { $0 + ($1.0 - $1.1) } }
        for c in g["rloo_advantages"] as! [[String: Any]] {
            let beta = (c["beta"] as! NSNumber).doubleValue, normalize = c["normalize_advantages"] as! Bool
            let a = rlooAdvantages(rewards: zip(r, kl).map { $0 - beta * $1 }, groupSize: g["num_generations"] as! Int, normalize: normalize)
            assertClose(a, doubles(c["advantages"]), abs: 1e-7, rel: 1e-7, "β \(beta) normalize \(normalize)")
        }
        let logps = rows(g, "logps")
        let n = logps.reduce(0) { $0 + $1.count }, b = logps.count
        let x = Tensor(logps.flatMap { $0.map(Float.init) }, shape: [n]).requiringGrad()
        var select = [Float](repeating: 0, count: b * n), k = 0
        for (i, row) in logps.enumerated() { for _ in row { select[i * n + k] = 1; k += 1 } }
        let sums = matmul(Tensor(select, shape: [b, n]), x.reshaped([n, 1])).reshaped([b])
        let c = g["rloo_loss"] as! [String: Any]
        let eps = (c["epsilon"] as! NSNumber).floatValue
        let loss = rlooLoss(
            sequenceLogProbs: sums, oldSequenceLogProbs: old.map { Float($0.reduce(0, +)) }, advantages: doubles(g["advantages"]).map(Float.init),
            epsilon: eps, epsilonHigh: eps)
        loss.backward()
        XCTAssertEqual(Double(loss.item), (c["loss"] as! NSNumber).doubleValue, accuracy: 1e-6)
        assertClose(x.grad!.scalars.map(Double.init), rows(c, "grad").flatMap { $0 }, abs: 1e-6, rel: 1e-5, "RLOO ∂/∂log π")
    }
}
