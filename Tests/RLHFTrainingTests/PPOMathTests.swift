// PPO's arithmetic against TRL's own functions (goldens from scripts/ppo_goldens.py, which runs the code of
// TRL 0.11.4 and the k3 estimator of TRL 0.19.1/0.29.1): masked statistics and whitening, KL estimators,
// token rewards, GAE, the clipped losses with their gradients and statistics, the KL controllers.

import Foundation
import XCTest
import RLHFTensor
import RLHFTestSupport
@testable import RLHFTraining

final class PPOMathTests: XCTestCase {
    private var goldens: [String: Any] = [:]

    override func setUpWithError() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/Tests/RLHFTrainingTests/Resources/ppo-goldens.json"))
        goldens = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    private func section(_ name: String) -> (inputs: [String: Any], outputs: [String: Any]) {
        let s = goldens[name] as! [String: Any]
        return (s["inputs"] as! [String: Any], s["outputs"] as! [String: Any])
    }
    private func matrix(_ v: Any?) -> [[Double]] { (v as! [[NSNumber]]).map { $0.map(\.doubleValue) } }
    private func number(_ v: Any?) -> Double { (v as! NSNumber).doubleValue }
    /// The real tokens of each row (mask 1, right-padded).
    private func ragged(_ values: [[Double]], _ mask: [[Double]]) -> [[Double]] {
        zip(values, mask).map { v, m in Array(v.prefix(m.filter { $0 > 0 }.count)) }
    }

    func testMaskedStatisticsAndWhitening() {
        let (i, o) = section("masked_stats")
        let mask = matrix(i["mask"]), rows = ragged(matrix(i["values"]), mask)
        XCTAssertEqual(maskedMean(rows), number(o["mean"]), accuracy: 1e-12)
        XCTAssertEqual(maskedVariance(rows), number(o["var_unbiased"]), accuracy: 1e-12)
        XCTAssertEqual(maskedVariance(rows, unbiased: false), number(o["var_biased"]), accuracy: 1e-12)
        assertClose(maskedWhiten(rows), ragged(matrix(o["whiten_shift_mean"]), mask), abs: 1e-10, "whiten")
        assertClose(maskedWhiten(rows, shiftMean: false), ragged(matrix(o["whiten_no_shift_mean"]), mask), abs: 1e-10, "whiten, no shift")
    }

    func testKLEstimators() {
        let (i, o) = section("kl_estimators")
        let lp = matrix(i["logprobs"]), ref = matrix(i["ref_logprobs"])
        for (estimator, key) in [(KLEstimator.k1, "k1"), (.k1, "kl"), (.k3, "k3"), (.abs, "abs"), (.mse, "mse")] {
            let ours = zip(lp, ref).map { zip($0, $1).map { estimator(logProb: $0, refLogProb: $1) } }
            assertClose(ours, matrix(o[key]), abs: 1e-12, key)
        }
        // k3 is never negative; k1 can be
        XCTAssertTrue(matrix(o["k3"]).joined().allSatisfy { $0 >= 0 })
        XCTAssertTrue(matrix(o["k1"]).joined().contains { $0 < 0 })
    }

    func testTokenRewards() {
        let (i, o) = section("compute_rewards")
        let mask = matrix(i["masks"])
        let lp = ragged(matrix(i["logprobs"]), mask), ref = ragged(matrix(i["ref_logprobs"]), mask)
        let kl = zip(lp, ref).map { zip($0, $1).map { KLEstimator.k1(logProb: $0, refLogProb: $1) } }
        let scores = (i["scores"] as! [NSNumber]).map(\.doubleValue)
        let (rewards, nonScore) = tokenRewards(scores: scores, kl: kl, klCoef: number(i["kl_coef"]))
        assertClose(rewards, ragged(matrix(o["rewards"]), mask), abs: 1e-12, "rewards")
        assertClose(nonScore, ragged(matrix(o["non_score_rewards"]), mask), abs: 1e-12, "non-score rewards")
    }

    func testGeneralizedAdvantageEstimation() {
        let (i, o) = section("compute_advantages")
        let mask = matrix(i["mask"])
        let (adv, ret) = generalizedAdvantages(
            rewards: ragged(matrix(i["rewards"]), mask), values: ragged(matrix(i["values"]), mask),
            gamma: number(i["gamma"]), lambda: number(i["lam"]))
        assertClose(adv, ragged(matrix(o["advantages_unwhitened"]), mask), abs: 1e-10, "advantages")
        assertClose(ret, ragged(matrix(o["returns"]), mask), abs: 1e-10, "returns")
        assertClose(maskedWhiten(adv), ragged(matrix(o["advantages"]), mask), abs: 1e-9, "whitened advantages")
        // reward whitening scales the real tokens' rewards as TRL does (TRL 0.11 then lets whitened padding
        // leak into GAE; the later trainer zeroes it, as our ragged rows do, so only this step is compared)
        let (wi, wo) = section("compute_advantages_whiten")
        let wmask = matrix(wi["mask"])
        assertClose(
            maskedWhiten(ragged(matrix(wi["rewards"]), wmask), shiftMean: false), ragged(matrix(wo["rewards_whitened"]), wmask),
            abs: 1e-10, "whitened rewards")
    }

    func testClippedLossesValuesGradientsAndStatistics() {
        let (i, o) = section("loss")
        let mask = matrix(i["mask"])
        func flat(_ key: String) -> [Float] { ragged(matrix(i[key]), mask).joined().map(Float.init) }
        let n = flat("logprobs").count
        let logProbs = Tensor(flat("logprobs"), shape: [n]).requiringGrad()
        let vpreds = Tensor(flat("vpreds"), shape: [n]).requiringGrad()
        let pg = ppoPolicyLoss(
            logProbs: logProbs, oldLogProbs: flat("old_logprobs"), advantages: flat("advantages"),
            clipRange: Float(number(i["cliprange"])))
        let vf = ppoValueLoss(values: vpreds, oldValues: flat("values"), returns: flat("returns"), clipRange: Float(number(i["cliprange_value"])))
        let vfCoef = Float(number(i["vf_coef"]))
        let loss = pg.loss + vf.loss * vfCoef
        XCTAssertEqual(Double(pg.loss.item), number(o["pg_loss"]), accuracy: 1e-6)
        XCTAssertEqual(Double(vf.loss.item), number(o["vf_loss"]), accuracy: 1e-6)
        XCTAssertEqual(Double(loss.item), number(o["loss"]), accuracy: 1e-6)
        XCTAssertEqual(pg.clipFraction, number(o["pg_clipfrac"]), accuracy: 1e-12)
        XCTAssertEqual(vf.clipFraction, number(o["vf_clipfrac"]), accuracy: 1e-12)
        XCTAssertEqual(pg.approxKL, number(o["approxkl"]), accuracy: 1e-7)
        XCTAssertEqual(pg.ratioMean, number(o["mean_ratio"]), accuracy: 1e-6)
        XCTAssertGreaterThan(pg.clipFraction, 0, "the goldens clip some ratios")
        loss.backward()
        let gLogProbs = ragged(matrix(o["grad_logprobs"]), mask).joined(), gValues = ragged(matrix(o["grad_vpreds"]), mask).joined()
        for (a, b) in zip(logProbs.grad!.scalars, gLogProbs) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
        for (a, b) in zip(vpreds.grad!.scalars, gValues) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
    }

    func testKLControllers() {
        let (i, o) = section("kl_controllers")
        var adaptive = KLController.adaptive(initial: number(i["init_kl_coef"]), target: number(i["target"]), horizon: number(i["horizon"]))
        var fixed = KLController.fixed(number(i["init_kl_coef"]))
        let steps = Int(number(i["n_steps"]))
        for (k, (a, f)) in zip(
            (i["current_kls"] as! [NSNumber]).map(\.doubleValue),
            zip((o["adaptive_values"] as! [NSNumber]).map(\.doubleValue), (o["fixed_values"] as! [NSNumber]).map(\.doubleValue)))
        {
            adaptive.update(currentKL: k, episodes: steps)
            fixed.update(currentKL: k, episodes: steps)
            XCTAssertEqual(adaptive.value, a, accuracy: 1e-14)
            XCTAssertEqual(fixed.value, f)
        }
    }
}
