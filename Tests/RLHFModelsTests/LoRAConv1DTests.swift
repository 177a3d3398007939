// LoRA on GPT-2's Conv1D layers (weights [in, out], PEFT's fan_in_fan_out): a new adapter changes nothing,
// gradients reach only adapters, merging equals base + adapters, and adapters round-trip through PEFT's
// layout with `fan_in_fan_out: true`.

import Foundation
import XCTest
import RLHFFormats
import RLHFNN
import RLHFTensor
import RLHFTestSupport
@testable import RLHFModels

final class LoRAConv1DTests: XCTestCase {
    private let path = repoRoot + "/Tests/RLHFModelsTests/Resources/tiny-gpt2"
    private func tinyGPT2() throws -> GPT2LMHeadModel {
        guard case .gpt2(let m) = try loadPretrained(path: path).architecture else { throw CocoaError(.fileReadCorruptFile) }
        return m
    }
    private let ids = [5, 17, 33, 2, 9, 4, 60, 61]
    private func logits(_ m: GPT2LMHeadModel) -> [Float] { withNoGrad { m(ids: ids, batch: 2) }.scalars }

    func testAllNamesGPT2sConv1DLayersAndNewAdaptersChangeNothingAndTrainAlone() throws {
        let m = try tinyGPT2()
        let (c, layers) = (m.config.nEmbd, m.config.nLayer)
        XCTAssertEqual(LoRASettings.targets("all", for: try loadPretrained(path: path).architecture), ["c_attn", "c_proj", "c_fc"])
        let base = logits(m)
        let adapted = m.addLoRA(targets: LoRASettings.targets("all", for: .gpt2(m)), rank: 4, alpha: 8, seed: 1)
        XCTAssertEqual(adapted.count, 4 * layers, "c_attn, attn.c_proj, mlp.c_fc and mlp.c_proj in every block")
        XCTAssertEqual(
            Array(adapted.prefix(4)),
            [
                "transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj",
                "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj"
            ])
        XCTAssertTrue(m.adaptersAreFanInFanOut)
        // A [r, in] and B [out, r], as PEFT shapes them for a Conv1D whose weight is [in, out]
        let adapters = Dictionary(uniqueKeysWithValues: m.loraAdapters().map { ($0.key, $0.adapter) })
        XCTAssertEqual(adapters["transformer.h.0.attn.c_attn"]?.loraA.shape, [4, c])
        XCTAssertEqual(adapters["transformer.h.0.attn.c_attn"]?.loraB.shape, [3 * c, 4])
        XCTAssertEqual(adapters["transformer.h.1.mlp.c_proj"]?.loraA.shape, [4, 4 * c])
        XCTAssertEqual(adapters["transformer.h.1.mlp.c_proj"]?.loraB.shape, [c, 4])
        XCTAssertEqual(logits(m), base, "B = 0: the adapted model is the base model")
        XCTAssertTrue(m.trainableParameters().isEmpty, "the base is frozen")
        perturbAdapters(m, seed: 2)
        XCTAssertGreaterThan(zip(logits(m), base).map { abs($0 - $1) }.max()!, 1e-3, "Conv1D's forward applies its adapter")
        let y = m(ids: ids, batch: 2)
        (y * y).mean().backward()
        for (k, p) in m.namedParameters() { XCTAssertNil(p.grad, "base parameter \(k) got a gradient") }
        for (k, p) in m.loraParameters() { XCTAssertNotNil(p.grad, "adapter \(k) got no gradient") }
    }

    func testMergedConv1DEqualsBasePlusAdaptersAndDisablingGivesTheBase() throws {
        let m = try tinyGPT2()
        let base = logits(m)
        m.addLoRA(targets: ["c_attn", "c_proj", "c_fc"], rank: 2, alpha: 16, seed: 3)
        perturbAdapters(m, seed: 4)
        let adapted = logits(m)
        let merged = try tinyGPT2()
        try merged.loadParameters(from: InMemoryWeights(Dictionary(uniqueKeysWithValues: m.mergedNamedTensors().map { ($0.key, $0.tensor) })))
        for (a, b) in zip(logits(merged), adapted) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let weights = m.namedParameters().map { $0.parameter.value.scalars }
        let inPlace = m.withAdaptersMerged { logits(m) }
        for (a, b) in zip(inPlace, adapted) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(m.namedParameters().map { $0.parameter.value.scalars }, weights, "the base weights are put back exactly")
        XCTAssertEqual(m.withAdaptersDisabled { logits(m) }, base)
        XCTAssertEqual(logits(m), adapted, "adapters are back on after the block")
    }

    func testPEFTLayoutRoundTripWritesFanInFanOut() throws {
        let m = try tinyGPT2()
        let c = m.config.nEmbd
        let settings = LoRASettings(r: 4, loraAlpha: 8, loraDropout: 0.05, targetModules: LoRASettings.gpt2Projections)
        m.addLoRA(targets: settings.targetModules, rank: 4, alpha: 8, dropout: 0.05, seed: 5)
        perturbAdapters(m, seed: 6)
        let dir = try temporaryFolder("peft-gpt2")
        try saveLoRAAdapters(m, settings: settings, baseModel: "tiny-gpt2", to: dir)
        let file = try SafetensorsFile(path: dir + "/adapter_model.safetensors")
        XCTAssertEqual(file.info("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight")?.shape, [4, c])
        XCTAssertEqual(file.info("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight")?.shape, [3 * c, 4])
        XCTAssertEqual(file.info("base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight")?.shape, [4, 4 * c])
        XCTAssertEqual(file.tensorNames.count, 2 * 4 * m.config.nLayer)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(config["fan_in_fan_out"] as? Bool, true, "Conv1D weights are [in, out]")
        XCTAssertTrue(config["modules_to_save"] is NSNull)

        let fresh = try tinyGPT2()
        XCTAssertEqual(try loadLoRAAdapters(into: fresh, from: dir), settings)
        fresh.eval(); m.eval()
        XCTAssertEqual(logits(fresh), logits(m))
    }
}
