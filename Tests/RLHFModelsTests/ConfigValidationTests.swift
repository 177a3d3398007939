// Architecture fields that parse but cannot be built (heads 0 or negative, layers −1, sizes that do not
// divide, absurd sizes, epsilons and rotary bases of 0, ∞ or NaN, a layer count the file does not hold)
// are errors naming the file and the key, before anything is allocated; they used to trap in the shape
// code or allocate gigabytes first. Cases: config.json of the tiny BERT, DistilBERT, Llama and GPT-2
// folders with one field changed, a tiny llama GGUF written here with one metadata value changed, and
// the constructors fed configs directly.

import Foundation
import XCTest
import RLHFFormats
import RLHFModels
import RLHFTensor

/// A copy of a tiny resource folder whose config.json `edit` changed, removed when the test ends.
func editedFolder(_ test: XCTestCase, _ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
    let source = resourceFolder(name)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-validation-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: dir + "/model.safetensors")
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
    edit(&json)
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/config.json"))
    return dir
}

/// Asserts that `body` throws `ModelError.invalidConfig` for `key` from `source`, whose message starts with
/// the source and contains every fragment.
func assertInvalidConfig<T>(
    _ body: @autoclosure () throws -> T, key: String, source: String, _ fragments: String...,
    file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try body()
        XCTFail("expected an invalid \(key), got success", file: file, line: line)
    } catch let error as ModelError {
        guard case let .invalidConfig(s, k, _) = error else {
            return XCTFail("expected an invalid \(key), got \(error)", file: file, line: line)
        }
        XCTAssertEqual(k, key, "\(error)", file: file, line: line)
        XCTAssertEqual(s, source, file: file, line: line)
        let text = "\(error)"
        XCTAssertTrue(text.hasPrefix(source + ": "), text, file: file, line: line)
        for f in fragments { XCTAssertTrue(text.contains(f), "'\(f)' not in: \(text)", file: file, line: line) }
    } catch {
        XCTFail("expected an invalid \(key), got \(error)", file: file, line: line)
    }
}

final class ConfigValidationTests: XCTestCase {
    // MARK: config.json

    func testBertFieldsOutOfRangeNameTheKey() throws {
        let cases: [(String, Any, String, String)] = [
            ("num_attention_heads", 0, "num_attention_heads", "num_attention_heads is 0; it must be in 1…32"),
            ("num_attention_heads", -4, "num_attention_heads", "is -4"),
            ("num_attention_heads", 5, "hidden_size", "hidden_size 32 is not divisible by num_attention_heads 5"),
            ("num_hidden_layers", -1, "num_hidden_layers", "num_hidden_layers is -1; it must be in 1…1024"),
            ("num_hidden_layers", 1000, "num_hidden_layers", "holds 2 layers"),
            ("num_hidden_layers", 3, "num_hidden_layers", "is 3, but"),
            ("num_hidden_layers", 1, "num_hidden_layers", "holds 2 layers (encoder.layer.1.attention.self.query.weight is there too)"),
            ("hidden_size", -32, "hidden_size", "is -32"),
            ("vocab_size", -1, "vocab_size", "is -1"),
            ("vocab_size", 1 << 40, "vocab_size", "it must be in 1…16777216"),
            ("vocab_size", 98, "vocab_size", "vocab_size 98 gives embeddings.word_embeddings.weight the shape [98, 32], but"),
            ("intermediate_size", 0, "intermediate_size", "is 0"),
            ("intermediate_size", 65, "intermediate_size", "[65, 32]"),
            ("max_position_embeddings", 0, "max_position_embeddings", "is 0"),
            ("max_position_embeddings", 100000, "max_position_embeddings", "[100000, 32], but"),
            ("type_vocab_size", -1, "type_vocab_size", "is -1"),
            ("layer_norm_eps", 0, "layer_norm_eps", "layer_norm_eps is 0.0; it must be a finite number above 0 and below 1"),
            ("layer_norm_eps", -1e-5, "layer_norm_eps", "is -1e-05")
        ]
        for (field, value, key, fragment) in cases {
            let dir = try editedFolder(self, "tiny-bert") { $0[field] = value }
            assertInvalidConfig(try loadPretrained(path: dir), key: key, source: dir + "/config.json", fragment)
        }
        // hidden_size 64 with vocab 97: the embedding's second dimension, not its first, is blamed
        let dir = try editedFolder(self, "tiny-bert") { $0["hidden_size"] = 64 }
        assertInvalidConfig(
            try loadPretrained(path: dir), key: "hidden_size", source: dir + "/config.json",
            "hidden_size 64 gives embeddings.word_embeddings.weight the shape [97, 64], but \(dir) holds [97, 32]")
    }

    func testDistilBertErrorsUseItsOwnKeyNames() throws {
        for (field, value, fragment) in [
            ("n_heads", 0, "n_heads is 0"), ("n_layers", 1000, "n_layers is 1000, but"),
            ("dim", 30, "dim 30 is not divisible by n_heads 4"), ("hidden_dim", -1, "hidden_dim is -1")
        ] as [(String, Int, String)] {
            let dir = try editedFolder(self, "tiny-distilbert") { $0[field] = value }
            let key = field == "dim" ? "dim" : field
            assertInvalidConfig(try loadPretrained(path: dir), key: key, source: dir + "/config.json", fragment)
        }
    }

    func testLlamaFieldsOutOfRangeNameTheKey() throws {
        let cases: [(String, Any, String, String)] = [
            ("num_attention_heads", 0, "num_attention_heads", "num_attention_heads is 0"),
            ("num_attention_heads", -6, "num_attention_heads", "is -6"),
            ("num_key_value_heads", 0, "num_key_value_heads", "num_key_value_heads is 0; it must be in 1…6"),
            ("num_key_value_heads", 4, "num_attention_heads", "num_attention_heads 6 is not a multiple of num_key_value_heads 4"),
            (
                "num_key_value_heads", 3, "num_key_value_heads",
                "num_key_value_heads 3 and head_dim 8 give model.layers.0.self_attn.k_proj.weight the shape [24, 48]"
            ),
            ("head_dim", 7, "head_dim", "head_dim is 7; it must be even for rotary embeddings"),
            ("head_dim", 0, "head_dim", "head_dim is 0"),
            ("num_hidden_layers", -1, "num_hidden_layers", "is -1"),
            ("num_hidden_layers", 1000, "num_hidden_layers", "num_hidden_layers is 1000, but"),
            ("hidden_size", 0, "hidden_size", "hidden_size is 0"),
            ("vocab_size", 1 << 30, "vocab_size", "vocab_size is 1073741824; it must be in 1…16777216"),
            ("intermediate_size", -80, "intermediate_size", "is -80"),
            ("max_position_embeddings", 0, "max_position_embeddings", "is 0"),
            ("rms_norm_eps", 0, "rms_norm_eps", "rms_norm_eps is 0.0"),
            ("rms_norm_eps", 2, "rms_norm_eps", "below 1"),
            ("rope_theta", 0, "rope_theta", "rope_theta is 0.0; the rotary base must be a finite number above 1"),
            ("rope_theta", -1, "rope_theta", "is -1.0"),
            ("rope_parameters", ["rope_theta": 0.5, "rope_type": "default"], "rope_parameters.rope_theta", "is 0.5")
        ]
        for (field, value, key, fragment) in cases {
            let dir = try editedFolder(self, "tiny-llama") { $0[field] = value }
            assertInvalidConfig(try loadPretrained(path: dir), key: key, source: dir + "/config.json", fragment)
        }
        // without head_dim, a head count that gives an odd head size
        let dir = try editedFolder(self, "tiny-llama") {
            $0["head_dim"] = nil; $0["num_attention_heads"] = 16; $0["num_key_value_heads"] = 2
        }
        assertInvalidConfig(
            try loadPretrained(path: dir), key: "num_attention_heads", source: dir + "/config.json",
            "gives a head size of hidden_size 48 / 16 = 3; it must be even")
    }

    func testGPT2FieldsOutOfRangeNameTheKey() throws {
        let cases: [(String, Any, String, String)] = [
            ("n_head", 0, "n_head", "n_head is 0"),
            ("n_head", -4, "n_head", "is -4"),
            ("n_head", 3, "n_embd", "n_embd 32 is not divisible by n_head 3"),
            ("n_layer", -1, "n_layer", "n_layer is -1"),
            ("n_layer", 1000, "n_layer", "n_layer is 1000, but"),
            ("n_embd", 0, "n_embd", "is 0"),
            ("n_positions", 0, "n_positions", "n_positions is 0"),
            ("n_positions", 100, "n_positions", "n_positions 100 gives transformer.wpe.weight the shape [100, 32]"),
            ("n_inner", 0, "n_inner", "n_inner is 0"),
            ("n_inner", 64, "n_inner", "n_inner 64 gives transformer.h.0.mlp.c_fc.weight the shape [32, 64]"),
            ("layer_norm_epsilon", 0, "layer_norm_epsilon", "layer_norm_epsilon is 0.0")
        ]
        for (field, value, key, fragment) in cases {
            let dir = try editedFolder(self, "tiny-gpt2") { $0[field] = value }
            assertInvalidConfig(try loadPretrained(path: dir), key: key, source: dir + "/config.json", fragment)
        }
    }

    func testValidFoldersStillLoad() throws {
        for name in ["tiny-bert", "tiny-distilbert", "tiny-llama", "tiny-gpt2"] {
            XCTAssertNoThrow(try loadPretrained(path: try editedFolder(self, name) { _ in }), name)
        }
    }

    // MARK: constructors

    func testConstructorsValidateBeforeAllocating() throws {
        var rng = RandomGenerator(seed: 0)
        var llama = LlamaConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 16, numHiddenLayers: 1, numAttentionHeads: 0, numKeyValueHeads: 1)
        assertInvalidConfig(try LlamaForCausalLM(llama, source: "c.json", rng: &rng), key: "num_attention_heads", source: "c.json")
        llama.numAttentionHeads = 2; llama.numKeyValueHeads = 0
        assertInvalidConfig(try LlamaForCausalLM(llama, source: "c.json", rng: &rng), key: "num_key_value_heads", source: "c.json")
        llama.numKeyValueHeads = 1; llama.numHiddenLayers = -1
        assertInvalidConfig(try LlamaForCausalLM(llama, source: "c.json", rng: &rng), key: "num_hidden_layers", source: "c.json")
        llama.numHiddenLayers = 1; llama.ropeTheta = .nan
        assertInvalidConfig(try LlamaForCausalLM(llama, source: "c.json", rng: &rng), key: "rope_theta", source: "c.json", "is nan")
        llama.ropeTheta = 10_000; llama.rmsNormEps = .infinity
        assertInvalidConfig(try LlamaForCausalLM(llama, source: "c.json", rng: &rng), key: "rms_norm_eps", source: "c.json", "is inf")
        llama.rmsNormEps = 1e-5
        XCTAssertNoThrow(try LlamaForCausalLM(llama, rng: &rng))

        var bert = BertConfig(vocabSize: 11, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 0, intermediateSize: 16)
        assertInvalidConfig(try BertModel(bert, source: "b.json", rng: &rng), key: "num_attention_heads", source: "b.json")
        bert.numAttentionHeads = 2; bert.numHiddenLayers = -1
        assertInvalidConfig(try BertModel(bert, source: "b.json", rng: &rng), key: "num_hidden_layers", source: "b.json")
        bert.numHiddenLayers = 1; bert.layerNormEps = .nan
        assertInvalidConfig(try BertModel(bert, source: "b.json", rng: &rng), key: "layer_norm_eps", source: "b.json")

        var gpt2 = GPT2Config(vocabSize: 11, nEmbd: 8, nLayer: 1, nHead: 0, nPositions: 16)
        assertInvalidConfig(try GPT2LMHeadModel(gpt2, source: "g.json", rng: &rng), key: "n_head", source: "g.json")
        gpt2.nHead = 2; gpt2.nPositions = -3
        assertInvalidConfig(try GPT2LMHeadModel(gpt2, source: "g.json", rng: &rng), key: "n_positions", source: "g.json")
    }

    /// Sizes each within its bound whose product is terabytes (the 8.8 TB allocation that aborted) are
    /// refused by the memory bound; a caller (a fuzzing harness) can lower that bound.
    func testTheWholeModelMustFitInMemory() throws {
        let huge = LlamaConfig(
            vocabSize: 1 << 24, hiddenSize: 1 << 17, intermediateSize: 1 << 20, numHiddenLayers: 1024,
            numAttentionHeads: 1 << 10, numKeyValueHeads: 1 << 10)
        assertInvalidConfig(
            try huge.validate(source: "h.json"), key: "vocab_size", source: "h.json",
            "vocab_size, hidden_size, num_hidden_layers, intermediate_size give", "GB as Float32")
        var rng = RandomGenerator(seed: 0)
        assertInvalidConfig(try LlamaForCausalLM(huge, source: "h.json", rng: &rng), key: "vocab_size", source: "h.json")
        let bigBert = BertConfig(vocabSize: 1 << 24, hiddenSize: 1 << 16, numHiddenLayers: 24, numAttentionHeads: 16, intermediateSize: 1 << 18)
        assertInvalidConfig(try BertModel(bigBert, source: "b.json", rng: &rng), key: "vocab_size", source: "b.json")
        let bigGPT2 = GPT2Config(vocabSize: 50257, nEmbd: 1 << 16, nLayer: 1024, nHead: 16, nPositions: 1 << 24)
        assertInvalidConfig(try GPT2LMHeadModel(bigGPT2, source: "g.json", rng: &rng), key: "vocab_size", source: "g.json")

        let tiny = LlamaConfig(vocabSize: 11, hiddenSize: 8, intermediateSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, numKeyValueHeads: 1)
        XCTAssertNoThrow(try tiny.validate(source: "t.json"))
        assertInvalidConfig(
            try tiny.validate(source: "t.json", limits: ModelLimits(maxParameterBytes: 1000)), key: "vocab_size",
            source: "t.json", "more than the 0.0 GB allowed")
    }
}
