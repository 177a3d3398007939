// Tiny random BERT, Llama and GPT-2 models against transformers (scripts/goldens/model_goldens.py):
// outputs within 1e-5 (max abs), and the gradient of loss = Σ out·sin(0.37 i) with respect to every
// parameter within 1e-4 relative (|ours − torch| ≤ 1e-4·(|torch| + 1e-2·max|torch of that tensor|) + 1e-8:
// the floor covers gradients that are zero in exact arithmetic, such as the key biases', where both sides
// hold rounding noise of 1e-10).

import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFNN
import RLHFTensor

struct TinyGoldens: Decodable {
    let input_ids: [[Int]]
    let attention_mask: [[Int]]?
    let output_shape: [Int]
    let output: [Float]
    let loss: Float
    let grads: [String: [Float]]
}

func resourceFolder(_ name: String) -> String {
    Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources")!.path
}

final class TinyModelParityTests: XCTestCase {
    private func goldens(_ folder: String) throws -> TinyGoldens {
        try JSONDecoder().decode(TinyGoldens.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/goldens.json")))
    }

    private func config<T: Decodable>(_ type: T.Type, _ folder: String) throws -> T {
        try decodeConfig(type, from: folder + "/config.json")
    }

    /// Output, loss and every parameter's gradient against the goldens.
    private func check(
        _ name: String, model: Module, gold: TinyGoldens, goldKey: (String) -> String = { $0 },
        forward: () -> Tensor, file: StaticString = #filePath, line: UInt = #line
    ) {
        model.zeroGrad()
        let out = forward()
        XCTAssertEqual(out.shape, gold.output_shape, file: file, line: line)
        let ours = out.scalars
        let maxDiff = zip(ours, gold.output).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(maxDiff, 1e-5, "\(name): output max |diff| \(maxDiff)", file: file, line: line)
        let w = Tensor((0..<out.count).map { Float(sin(0.37 * Double($0))) }, shape: out.shape)
        let loss = (out * w).sum()
        XCTAssertEqual(loss.item, gold.loss, accuracy: 1e-4 * max(1, abs(gold.loss)), "\(name): loss", file: file, line: line)
        loss.backward()
        var checked = 0
        for (key, p) in model.namedParameters() {
            guard let expected = gold.grads[goldKey(key)] else { continue }
            let g = p.grad?.scalars ?? Array(repeating: 0, count: expected.count)
            XCTAssertEqual(g.count, expected.count, "\(name): \(key) gradient size", file: file, line: line)
            let scale = expected.map(abs).max() ?? 0
            var worst: Float = 0, at = 0
            for (i, (a, b)) in zip(g, expected).enumerated() {
                let excess = max(0, abs(a - b) - 1e-8) / (abs(b) + 1e-2 * scale + 1e-30)
                if excess > worst { worst = excess; at = i }
            }
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(name): \(key)[\(at)] ours \(g[at]) vs torch \(expected[at])", file: file, line: line)
            checked += 1
        }
        XCTAssertEqual(checked, gold.grads.count, "\(name): every parameter with a torch gradient is checked", file: file, line: line)
    }

    func testTinyBertMatchesTransformers() throws {
        let folder = resourceFolder("tiny-bert")
        let gold = try goldens(folder)
        var rng = RandomGenerator(seed: 0)
        let model = try BertModel(try config(BertConfig.self, folder), rng: &rng)
        try model.loadParameters(from: try SafetensorsCheckpoint(directory: folder))
        model.eval()
        let b = gold.input_ids.count
        let mask = Tensor(gold.attention_mask!.flatMap { $0.map(Float.init) }, shape: [b, gold.input_ids[0].count])
        check("bert", model: model, gold: gold) { model(ids: gold.input_ids.flatMap { $0 }, batch: b, attentionMask: mask) }
    }

    func testTinyDistilBertLoadsByItsKeyNamesAndMatchesTransformers() throws {
        let folder = resourceFolder("tiny-distilbert")
        let gold = try goldens(folder)
        let loaded = try loadPretrained(path: folder)
        guard case .bert(let model) = loaded.architecture else { return XCTFail("DistilBERT did not load as an encoder") }
        XCTAssertNil(model.embeddings.tokenTypeEmbeddings)
        let b = gold.input_ids.count
        let mask = Tensor(gold.attention_mask!.flatMap { $0.map(Float.init) }, shape: [b, gold.input_ids[0].count])
        check("distilbert", model: model, gold: gold, goldKey: distilBertName(forBertKey:)) {
            model(ids: gold.input_ids.flatMap { $0 }, batch: b, attentionMask: mask)
        }
    }

    func testTinyLlamaMatchesTransformers() throws {
        let folder = resourceFolder("tiny-llama")
        let gold = try goldens(folder)
        var rng = RandomGenerator(seed: 0)
        let model = try LlamaForCausalLM(try config(LlamaConfig.self, folder), rng: &rng)
        try model.loadParameters(from: try SafetensorsCheckpoint(directory: folder))
        check("llama", model: model, gold: gold) { model(ids: gold.input_ids.flatMap { $0 }, batch: gold.input_ids.count) }
    }

    func testTinyGPT2MatchesTransformers() throws {
        let folder = resourceFolder("tiny-gpt2")
        let gold = try goldens(folder)
        var rng = RandomGenerator(seed: 0)
        let model = try GPT2LMHeadModel(try config(GPT2Config.self, folder), rng: &rng)
        try model.loadParameters(
            from: try SafetensorsCheckpoint(directory: folder), ignoring: { $0.hasSuffix(".attn.bias") || $0.hasSuffix(".attn.masked_bias") })
        check("gpt2", model: model, gold: gold) { model(ids: gold.input_ids.flatMap { $0 }, batch: gold.input_ids.count) }
    }

    func testLoadingNamesMissingUnexpectedAndMisshapenTensors() throws {
        let folder = resourceFolder("tiny-llama")
        var rng = RandomGenerator(seed: 0)
        let model = try LlamaForCausalLM(try config(LlamaConfig.self, folder), rng: &rng)
        let ckpt = try SafetensorsCheckpoint(directory: folder)
        var tensors: [String: Tensor] = [:]
        for n in ckpt.tensorNames { tensors[n] = try ckpt.tensor(n) }
        tensors["model.layers.1.mlp.up_proj.weight"] = nil
        tensors["model.layers.0.self_attn.q_proj.weight"] = Tensor.zeros([3, 3])
        tensors["model.extra.weight"] = Tensor.zeros([1])
        XCTAssertThrowsError(try model.loadParameters(from: InMemoryWeights(tensors, description: "fixture"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("fixture"), text)
            XCTAssertTrue(text.contains("missing tensors: model.layers.1.mlp.up_proj.weight"), text)
            XCTAssertTrue(text.contains("unexpected tensors: model.extra.weight"), text)
            XCTAssertTrue(text.contains("model.layers.0.self_attn.q_proj.weight [3, 3] (model expects [48, 48])"), text)
        }
    }
}
