// LoRA: a new adapter changes nothing, gradients reach only adapters, merging equals base + adapters,
// turning adapters off gives the base model, and adapters round-trip through PEFT's layout.

import Foundation
import XCTest
import RLHFFormats
import RLHFNN
import RLHFTensor
import RLHFTestSupport
@testable import RLHFModels

/// Gives every adapter a non-zero B so that it changes the output.
func perturbAdapters(_ m: Module, seed: UInt64) {
    var rng = RandomGenerator(seed: seed)
    for (_, a) in m.loraAdapters() { a.loraB.assign(Tensor.normal(a.loraB.shape, std: 0.05, using: &rng)) }
}

/// A module with one adaptable projection.
final class OneProjection: Module, @unchecked Sendable {
    let proj: Linear
    init(_ proj: Linear) { self.proj = proj; super.init() }
}

final class LoRATests: XCTestCase {
    private func tinyLlama() throws -> LlamaForCausalLM {
        let path = repoRoot + "/Tests/RLHFModelsTests/Resources/tiny-llama"
        guard case .llama(let m) = try loadPretrained(path: path).architecture else { throw CocoaError(.fileReadCorruptFile) }
        return m
    }
    private let ids = [5, 17, 33, 2, 9, 4, 60, 61]
    private func logits(_ m: LlamaForCausalLM) -> [Float] { withNoGrad { m(ids: ids, batch: 2) }.scalars }

    func testNewAdaptersChangeNothingAndTrainAlone() throws {
        let m = try tinyLlama()
        let base = logits(m)
        let adapted = m.addLoRA(targets: LoRASettings.llamaProjections, rank: 4, alpha: 8, seed: 1)
        XCTAssertEqual(adapted.count, 7 * m.config.numHiddenLayers)
        XCTAssertTrue(adapted.contains("model.layers.0.self_attn.q_proj"))
        XCTAssertEqual(logits(m), base, "B = 0: the adapted model is the base model")
        XCTAssertEqual(m.namedParameters().count, try tinyLlama().namedParameters().count, "adapters are outside the checkpoint keys")
        XCTAssertTrue(m.trainableParameters().isEmpty, "the base is frozen")
        perturbAdapters(m, seed: 2)
        let y = m(ids: ids, batch: 2)
        (y * y).mean().backward()
        for (k, p) in m.namedParameters() { XCTAssertNil(p.grad, "base parameter \(k) got a gradient") }
        for (k, p) in m.loraParameters() { XCTAssertNotNil(p.grad, "adapter \(k) got no gradient") }
    }

    func testMergedEqualsBasePlusAdaptersAndDisablingGivesTheBase() throws {
        let m = try tinyLlama()
        let base = logits(m)
        m.addLoRA(targets: ["q_proj", "v_proj", "down_proj"], rank: 2, alpha: 16, seed: 3)
        perturbAdapters(m, seed: 4)
        let adapted = logits(m)
        XCTAssertGreaterThan(zip(adapted, base).map { abs($0 - $1) }.max()!, 1e-3, "the adapters change the output")
        let merged = try tinyLlama()
        try merged.loadParameters(from: InMemoryWeights(Dictionary(uniqueKeysWithValues: m.mergedNamedTensors().map { ($0.key, $0.tensor) })))
        for (a, b) in zip(logits(merged), adapted) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(m.withAdaptersDisabled { logits(m) }, base)
        XCTAssertEqual(logits(m), adapted, "adapters are back on after the block")
    }

    /// Without gradients the update is added into the layer's output in place (one GEMM); with them it
    /// goes through the recorded graph. Both give the same logits.
    func testInPlaceUpdateWithoutGradientsEqualsTheRecordedOne() throws {
        let m = try tinyLlama()
        m.addLoRA(targets: LoRASettings.llamaProjections, rank: 3, alpha: 6, seed: 7)
        perturbAdapters(m, seed: 8)
        let recorded = m(ids: ids, batch: 2)
        XCTAssertTrue(recorded.requiresGrad, "the adapters' parameters put the forward on the graph")
        let inPlace = logits(m)
        XCTAssertGreaterThan(zip(inPlace, m.withAdaptersDisabled { logits(m) }).map { abs($0 - $1) }.max()!, 1e-3)
        for (a, b) in zip(inPlace, recorded.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// A frozen base weight loaded from GGUF blocks decodes from them; an export (`withAdaptersMerged`)
    /// must leave them in place. When it dropped them, decoding after the first checkpoint ran through the
    /// Float32 GEMM instead, so a PPO run that saved differed in rounding from one resumed from its save.
    func testMergingForAnExportKeepsTheQuantisedBlocksOfTheBase() throws {
        var rng = RandomGenerator(seed: 11)
        let (rows, cols) = (6, 64)
        var bytes: [UInt8] = []
        for _ in 0..<(rows * cols / 32) {   // Q8_0 blocks: an f16 scale, then 32 signed bytes
            let scale = Float16(Float.random(in: 0.01...0.1, using: &rng)).bitPattern
            bytes += [UInt8(scale & 0xFF), UInt8(scale >> 8)] + (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        let q = bytes.withUnsafeBytes { QuantizedMatrix(format: .q8_0, rows: rows, cols: cols, bytes: $0) }
        let model = OneProjection(Linear(cols, rows, bias: false, rng: &rng))
        model.proj.weight.assign(q.dequantized())
        XCTAssertEqual(model.addLoRA(targets: ["proj"], rank: 2, alpha: 4, seed: 12), ["proj"])
        model.proj.weight.quantized = q
        perturbAdapters(model, seed: 13)
        let x = Tensor.normal([2, cols], using: &rng)   // two rows: the decoding path
        let before = withNoGrad { model.proj(x) }.scalars
        let merged = model.withAdaptersMerged { withNoGrad { model.proj(x) }.scalars }
        for (a, b) in zip(merged, before) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "merged weights give the adapted output") }
        XCTAssertNotNil(model.proj.weight.quantized, "the base keeps its quantised blocks after the export")
        XCTAssertEqual(withNoGrad { model.proj(x) }.scalars, before, "decoding after an export is bit for bit the same")
    }

    func testPEFTLayoutRoundTrip() throws {
        let m = try tinyLlama()
        let settings = LoRASettings(r: 4, loraAlpha: 8, loraDropout: 0.05, targetModules: ["q_proj", "k_proj", "up_proj"])
        m.addLoRA(targets: settings.targetModules, rank: 4, alpha: 8, dropout: 0.05, seed: 5)
        perturbAdapters(m, seed: 6)
        let dir = try temporaryFolder("peft")
        try saveLoRAAdapters(m, settings: settings, baseModel: "tiny-llama", to: dir)
        let file = try SafetensorsFile(path: dir + "/adapter_model.safetensors")
        let h = m.config.hiddenSize
        XCTAssertEqual(file.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")?.shape, [4, h])
        XCTAssertEqual(
            file.info("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight")?.shape, [m.config.numAttentionHeads * m.config.headSize, 4])
        XCTAssertEqual(file.info("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight")?.shape, [m.config.intermediateSize, 4])
        XCTAssertEqual(file.tensorNames.count, 2 * 3 * m.config.numHiddenLayers)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(config["peft_type"] as? String, "LORA")
        XCTAssertEqual(config["r"] as? Int, 4)
        XCTAssertEqual(config["target_modules"] as? [String], ["q_proj", "k_proj", "up_proj"])
        XCTAssertEqual(config["fan_in_fan_out"] as? Bool, false, "Linear weights are [out, in]")

        let fresh = try tinyLlama()
        XCTAssertEqual(try loadLoRAAdapters(into: fresh, from: dir), settings)
        fresh.eval(); m.eval()
        XCTAssertEqual(logits(fresh), logits(m))

        // a config naming modules the model lacks, and missing tensors, are errors naming the folder
        try FileManager.default.removeItem(atPath: dir + "/adapter_model.safetensors")
        try writeSafetensors(
            [(name: "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", tensor: Tensor.zeros([4, h]))],
            to: dir + "/adapter_model.safetensors")
        XCTAssertThrowsError(try loadLoRAAdapters(into: try tinyLlama(), from: dir)) { XCTAssertTrue("\($0)".contains("lora_B"), "\($0)") }
    }

    func testBadAdapterConfigsAreErrorsNamingTheFile() throws {
        let dir = try temporaryFolder("peft-bad")
        let cases: [(String, String)] = [
            ("not json", "adapter_config.json is missing or is not a JSON object"),
            (#"{"peft_type": "IA3", "r": 4}"#, "not LORA"),
            (#"{"peft_type": "LORA", "r": 0, "lora_alpha": 8, "target_modules": ["q_proj"]}"#, "'r' must be a positive integer"),
            (#"{"peft_type": "LORA", "r": 4, "lora_alpha": "x", "target_modules": ["q_proj"]}"#, "'lora_alpha' must be a number"),
            (#"{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": 3}"#, "'target_modules' must be a list"),
            (#"{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["nope"]}"#, "no module of the model is named nope")
        ]
        for (text, expected) in cases {
            try text.write(toFile: dir + "/adapter_config.json", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try loadLoRAAdapters(into: try tinyLlama(), from: dir)) {
                XCTAssertTrue("\($0)".contains(dir), "\($0) should name the folder")
                XCTAssertTrue("\($0)".contains(expected), "\($0) should contain \(expected)")
            }
        }
    }
}
