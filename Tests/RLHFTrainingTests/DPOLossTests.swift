// The DPO-family losses (sigmoid, robust with label smoothing, hinge, IPO; RPO's NLL and ORPO on per-token log-probs):
// against TRL's own code (goldens from scripts/dpo_goldens.py, which runs the loss chain of trl 1.16.0's DPOTrainer), and against a
// Double reference of the formulas with gradients by central finite differences; the implicit rewards and
// TRL's reward metrics.

import Foundation
import RLHFTensor
import RLHFTestSupport
import XCTest
@testable import RLHFTraining

final class DPOLossTests: XCTestCase {
    /// TRL's per-pair loss in Double.
    private func reference(_ c: Double, _ r: Double, _ rc: Double, _ rr: Double, beta: Double, type: DPOLossType, eps: Double) -> Double {
        let logits = (c - r) - (rc - rr)
        func logSigmoid(_ x: Double) -> Double { -log1p(exp(-x)) }
        switch type {
        case .sigmoid: return -logSigmoid(beta * logits)
        case .robust: return (-logSigmoid(beta * logits) * (1 - eps) + logSigmoid(-beta * logits) * eps) / (1 - 2 * eps)
        case .hinge: return max(0, 1 - beta * logits)
        case .ipo: return (logits - 1 / (2 * beta)) * (logits - 1 / (2 * beta))
        }
    }

    func testEveryLossAndItsGradientMatchTheFormula() {
        var rng = RandomGenerator(seed: 11)
        let b = 6
        for type in DPOLossType.allCases {
            for (beta, eps) in [(0.1, 0.0), (0.5, 0.2), (2.0, 0.1)] where type == .robust || eps == 0 {
                // log-probs of completions of a few dozen tokens: sums around −40, margins of a few nats
                let c = (0..<b).map { _ in Float(-40 + 8 * rng.nextDouble()) }, r = (0..<b).map { _ in Float(-40 + 8 * rng.nextDouble()) }
                let rc = (0..<b).map { _ in Float(-40 + 8 * rng.nextDouble()) }, rr = (0..<b).map { _ in Float(-40 + 8 * rng.nextDouble()) }
                let ct = Tensor(c, shape: [b]).requiringGrad(), rt = Tensor(r, shape: [b]).requiringGrad()
                let out = dpoLoss(
                    chosenLogProbs: ct, rejectedLogProbs: rt, referenceChosen: rc, referenceRejected: rr, beta: Float(beta),
                    type: type, labelSmoothing: Float(eps))
                out.loss.backward()
                func total(_ c: [Double], _ r: [Double]) -> Double {
                    (0..<b).map { reference(c[$0], r[$0], Double(rc[$0]), Double(rr[$0]), beta: beta, type: type, eps: eps) }.reduce(0, +) / Double(b)
                }
                let cd = c.map(Double.init), rd = r.map(Double.init)
                let what = "\(type) β \(beta) ε \(eps)"
                XCTAssertEqual(Double(out.loss.item), total(cd, rd), accuracy: 1e-5 * max(1, abs(total(cd, rd))), what)
                let h = 1e-4
                for i in 0..<b {
                    for (isChosen, grad) in [(true, ct.grad!.scalars[i]), (false, rt.grad!.scalars[i])] {
                        var up = isChosen ? cd : rd, down = up
                        up[i] += h; down[i] -= h
                        let numeric = isChosen ? (total(up, rd) - total(down, rd)) / (2 * h) : (total(cd, up) - total(cd, down)) / (2 * h)
                        XCTAssertEqual(
                            Double(grad), numeric, accuracy: 1e-4 * max(1, abs(numeric)), "\(what), ∂/∂\(isChosen ? "chosen" : "rejected")[\(i)]")
                    }
                }
                for i in 0..<b {
                    XCTAssertEqual(Double(out.chosenRewards[i]), beta * Double(c[i] - rc[i]), accuracy: 1e-5, what)
                    XCTAssertEqual(Double(out.rejectedRewards[i]), beta * Double(r[i] - rr[i]), accuracy: 1e-5, what)
                }
            }
        }
    }

    /// Each loss and its gradient with respect to the chosen and rejected log-probs, as TRL computes them
    /// (float64 there, Float here: 1e-6 relative to the value's scale). IPO reads per-token means: TRL divides
    /// each completion's log-ratio by its length, which is the mean of policy and reference alike.
    func testEveryLossAndItsGradientMatchTRL() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/Tests/RLHFTrainingTests/Resources/dpo-goldens.json"))
        let goldens = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(goldens["cases"] as? [[String: Any]])
        XCTAssertEqual(Set(cases.map { $0["loss_type"] as! String }), Set(DPOLossType.allCases.map(\.rawValue)))
        for c in cases {
            let type = try XCTUnwrap(DPOLossType(rawValue: c["loss_type"] as! String))
            func doubles(_ key: String) -> [Double] { (c[key] as! [NSNumber]).map(\.doubleValue) }
            let lc = doubles("chosen_lengths"), lr = doubles("rejected_lengths")
            // IPO: per-token means (the policy's and the reference's log-probs over the same length)
            func per(_ xs: [Double], _ n: [Double]) -> [Float] { zip(xs, n).map { Float(type.averagesLogProbs ? $0 / $1 : $0) } }
            let chosen = Tensor(per(doubles("chosen_logps"), lc), shape: [lc.count]).requiringGrad()
            let rejected = Tensor(per(doubles("rejected_logps"), lr), shape: [lr.count]).requiringGrad()
            let beta = Float((c["beta"] as! NSNumber).doubleValue), eps = Float((c["label_smoothing"] as! NSNumber).doubleValue)
            let out = dpoLoss(
                chosenLogProbs: chosen, rejectedLogProbs: rejected, referenceChosen: per(doubles("ref_chosen_logps"), lc),
                referenceRejected: per(doubles("ref_rejected_logps"), lr), beta: beta, type: type, labelSmoothing: eps)
            out.loss.backward()
            let expected = (c["loss"] as! NSNumber).doubleValue
            XCTAssertEqual(Double(out.loss.item), expected, accuracy: 1e-6 * max(1, abs(expected)), "\(type) β \(beta)")
            // d loss / d sum-logps = (d loss / d mean-logps) / length for IPO
            let gc = zip(chosen.grad!.scalars, lc).map { Double($0) / (type.averagesLogProbs ? $1 : 1) }
            let gr = zip(rejected.grad!.scalars, lr).map { Double($0) / (type.averagesLogProbs ? $1 : 1) }
            assertClose(gc, doubles("grad_chosen"), abs: 1e-6, rel: 1e-5, "\(type) β \(beta): ∂/∂chosen")
            assertClose(gr, doubles("grad_rejected"), abs: 1e-6, rel: 1e-5, "\(type) β \(beta): ∂/∂rejected")
        }
    }

    /// RPO (TRL 1.16: loss_type [sigmoid, sft], weights [1, α]) from per-token log-probs: the per-pair sums,
    /// the chosen tokens' mean NLL, and the gradient with respect to every token's log-prob.
    func testRPOFromTokenLogProbsMatchesTRL() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/Tests/RLHFTrainingTests/Resources/dpo-goldens.json"))
        let goldens = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(goldens["rpo_cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let rows = (c["token_logps"] as! [[NSNumber]]).map { $0.map(\.floatValue) }
            let ref = (c["ref_logps"] as! [NSNumber]).map(\.floatValue)
            let beta = (c["beta"] as! NSNumber).floatValue, alpha = (c["rpo_alpha"] as! NSNumber).floatValue
            let b = rows.count / 2
            let tokens = Tensor(rows.flatMap { $0 }, shape: [rows.reduce(0) { $0 + $1.count }]).requiringGrad()
            let rowOf = rows.enumerated().flatMap { i, r in Array(repeating: i, count: r.count) }
            let sums = dpoSums(tokens, rowOf: rowOf, pairs: b)
            let loss =
                dpoLoss(
                    chosenLogProbs: sums.chosen, rejectedLogProbs: sums.rejected, referenceChosen: Array(ref[..<b]),
                    referenceRejected: Array(ref[b...]), beta: beta
                ).loss + sums.chosenNLL * alpha
            loss.backward()
            let expected = (c["loss"] as! NSNumber).doubleValue
            XCTAssertEqual(Double(loss.item), expected, accuracy: 1e-6 * max(1, abs(expected)), "β \(beta) α \(alpha)")
            let grads = (c["grad_token_logps"] as! [[NSNumber]]).flatMap { $0.map(\.doubleValue) }
            assertClose(tokens.grad!.scalars.map(Double.init), grads, abs: 1e-6, rel: 1e-5, "β \(beta) α \(alpha): ∂/∂token log-probs")
        }
    }

    /// ORPO (TRL's ORPOTrainer.odds_ratio_loss with its log1mexp; TRL computes it in float32) from per-token
    /// log-probs: per-token means, the chosen NLL, the loss, the logged log-odds figures, and every token's gradient.
    func testORPOFromTokenLogProbsMatchesTRL() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/Tests/RLHFTrainingTests/Resources/dpo-goldens.json"))
        let goldens = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(goldens["orpo_cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let rows = (c["token_logps"] as! [[NSNumber]]).map { $0.map(\.floatValue) }
            let beta = (c["beta"] as! NSNumber).floatValue
            let b = rows.count / 2
            let tokens = Tensor(rows.flatMap { $0 }, shape: [rows.reduce(0) { $0 + $1.count }]).requiringGrad()
            let rowOf = rows.enumerated().flatMap { i, r in Array(repeating: i, count: r.count) }
            let sums = dpoSums(tokens, rowOf: rowOf, pairs: b)
            let inverse = rows.map { 1 / Float($0.count) }
            let out = orpoLoss(
                chosenMeanLogProbs: sums.chosen * Tensor(Array(inverse[..<b]), shape: [b]),
                rejectedMeanLogProbs: sums.rejected * Tensor(Array(inverse[b...]), shape: [b]), chosenNLL: sums.chosenNLL, beta: beta)
            out.loss.backward()
            func number(_ key: String) -> Double { (c[key] as! NSNumber).doubleValue }
            XCTAssertEqual(Double(out.loss.item), number("loss"), accuracy: 1e-6 * max(1, abs(number("loss"))), "β \(beta)")
            XCTAssertEqual(out.logSigmoidOdds.reduce(0.0) { $0 + Double($1) } / Double(b), number("log_odds_ratio"), accuracy: 1e-6)
            XCTAssertEqual(out.logOdds.reduce(0.0) { $0 + Double($1) } / Double(b), number("log_odds_chosen"), accuracy: 1e-6)
            let grads = (c["grad_token_logps"] as! [[NSNumber]]).flatMap { $0.map(\.doubleValue) }
            assertClose(tokens.grad!.scalars.map(Double.init), grads, abs: 1e-6, rel: 1e-5, "β \(beta): ∂/∂token log-probs")
        }
    }

    func testAtTheReferenceTheSigmoidLossIsLog2AndTheRewardsAreZero() {
        let lp = Tensor([-12, -30], shape: [2]).requiringGrad()
        let out = dpoLoss(chosenLogProbs: lp, rejectedLogProbs: lp * 1, referenceChosen: [-12, -30], referenceRejected: [-12, -30], beta: 0.1)
        XCTAssertEqual(out.loss.item, Float(log(2.0)), accuracy: 1e-6)
        XCTAssertEqual(out.chosenRewards, [0, 0])
    }

    func testRewardMetricsAreTRLs() {
        let m = dpoRewardMetrics(chosen: [0.3, -0.1, 0.2], rejected: [0.1, 0.0, 0.2])
        XCTAssertEqual(m["rewards/chosen"]!, 0.4 / 3, accuracy: 1e-7)
        XCTAssertEqual(m["rewards/rejected"]!, 0.1, accuracy: 1e-7)
        XCTAssertEqual(m["rewards/accuracies"]!, 1.0 / 3, accuracy: 1e-12, "ties are not counted")
        XCTAssertEqual(m["rewards/margins"]!, 0.1 / 3, accuracy: 1e-7)
    }
}
