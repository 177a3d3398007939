// config.json decoding: snake_case keys into camelCase fields, and one-line errors that name the file and the
// key (as written in the file) or the line and column of a syntax error.

import Foundation
import XCTest
import RLHFTestSupport
@testable import RLHFFormats

private struct TinyConfig: Codable, Equatable {
    struct RopeScaling: Codable, Equatable { var ropeType: String; var factor: Double }
    var hiddenSize: Int
    var numAttentionHeads: Int
    var rmsNormEps: Double
    var hiddenAct: String
    var tieWordEmbeddings: Bool?
    var ropeScaling: RopeScaling?
    var layerTypes: [String]?
}

final class JSONConfigTests: TemporaryDirectoryTestCase {
    private func config(_ text: String) throws -> String { try write(Array(text.utf8), "config.json") }

    func testDecodesSnakeCaseKeys() throws {
        let path = try config(
            """
            {"hidden_size": 576, "num_attention_heads": 9, "rms_norm_eps": 1e-05, "hidden_act": "silu",
             "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "layer_types": ["full", "sliding"],
             "unknown_key": [1, 2, {"x": null}]}
            """)
        let c = try decodeConfig(TinyConfig.self, from: path)
        XCTAssertEqual(
            c,
            TinyConfig(
                hiddenSize: 576, numAttentionHeads: 9, rmsNormEps: 1e-5, hiddenAct: "silu",
                tieWordEmbeddings: nil, ropeScaling: .init(ropeType: "linear", factor: 2),
                layerTypes: ["full", "sliding"]))
    }

    func testMissingKey() throws {
        let path = try config(#"{"num_attention_heads": 9, "rms_norm_eps": 1e-5, "hidden_act": "silu"}"#)
        assertFormatError(try decodeConfig(TinyConfig.self, from: path), path: path, "missing required key 'hidden_size'")
        let nested = try config(
            #"{"hidden_size": 1, "num_attention_heads": 9, "rms_norm_eps": 1e-5, "hidden_act": "silu", "rope_scaling": {"factor": 2}}"#)
        assertFormatError(try decodeConfig(TinyConfig.self, from: nested), path: nested, "missing required key 'rope_scaling.rope_type'")
    }

    func testWrongTypes() throws {
        let path = try config(#"{"hidden_size": 576, "num_attention_heads": "9", "rms_norm_eps": 1e-5, "hidden_act": "silu"}"#)
        XCTAssertEqual(
            assertFormatError(try decodeConfig(TinyConfig.self, from: path), path: path)?.description,
            "\(path): key 'num_attention_heads' should be an integer, found a string")
        let null = try config(#"{"hidden_size": null, "num_attention_heads": 9, "rms_norm_eps": 1e-5, "hidden_act": "silu"}"#)
        assertFormatError(try decodeConfig(TinyConfig.self, from: null), path: null, "key 'hidden_size' should be an integer, found null")
        let nested = try config(
            #"{"hidden_size": 1, "num_attention_heads": 9, "rms_norm_eps": 1e-5, "hidden_act": "silu", "rope_scaling": {"rope_type": "x", "factor": "2"}}"#
        )
        assertFormatError(
            try decodeConfig(TinyConfig.self, from: nested), path: nested, "key 'rope_scaling.factor' should be a number, found a string")
        let array = try config(#"{"hidden_size": 1, "num_attention_heads": 9, "rms_norm_eps": 1e-5, "hidden_act": "silu", "layer_types": ["a", 3]}"#)
        assertFormatError(try decodeConfig(TinyConfig.self, from: array), path: array, "key 'layer_types[1]' should be a string, found the number 3")
        let bool = try config(
            #"{"hidden_size": 1, "num_attention_heads": 9, "rms_norm_eps": 1e-5, "hidden_act": "silu", "tie_word_embeddings": "yes"}"#)
        assertFormatError(try decodeConfig(TinyConfig.self, from: bool), path: bool, "key 'tie_word_embeddings' should be a boolean, found a string")
        let fraction = try config(#"{"hidden_size": 57.5, "num_attention_heads": 9, "rms_norm_eps": 1e-5, "hidden_act": "silu"}"#)
        assertFormatError(
            try decodeConfig(TinyConfig.self, from: fraction), path: fraction, "key 'hidden_size' should be an integer, found the number 57.5")
        let big = try config(#"{"hidden_size": 1, "num_attention_heads": 99999999999999999999, "rms_norm_eps": 1e-5, "hidden_act": "silu"}"#)
        assertFormatError(
            try decodeConfig(TinyConfig.self, from: big), path: big,
            "key 'num_attention_heads' should be an integer, found the number 99999999999999999999")
        let top = try config("[1, 2]")
        assertFormatError(try decodeConfig(TinyConfig.self, from: top), path: top, "should be an object, found an array")
    }

    func testInvalidJSONGivesLineAndColumn() throws {
        let path = try config("{\n  \"hidden_size\": 576,\n  \"num_attention_heads\": 9,,\n}\n")
        assertFormatError(try decodeConfig(TinyConfig.self, from: path), path: path, "invalid JSON at line 3, column 28")
        let unterminated = try config("{\"hidden_size\": 5")
        assertFormatError(try decodeConfig(TinyConfig.self, from: unterminated), path: unterminated, "invalid JSON at line 1")
        let empty = try config("")
        assertFormatError(try decodeConfig(TinyConfig.self, from: empty), path: empty, "invalid JSON at line 1, column 1")
    }

    func testMissingFile() throws {
        let path = tmp + "/nope/config.json"
        assertFormatError(try decodeConfig(TinyConfig.self, from: path), path: path, "cannot read")
    }

    func testKeyCaseConversions() {
        XCTAssertEqual(camelCase("hidden_size"), "hiddenSize")
        XCTAssertEqual(camelCase("_private_key_"), "_privateKey_")
        XCTAssertEqual(camelCase("plain"), "plain")
        XCTAssertEqual(snakeCase("hiddenSize"), "hidden_size")
        XCTAssertEqual(snakeCase("numPPOEpochs"), "num_ppo_epochs")
        XCTAssertEqual(snakeCase("vocabSize2"), "vocab_size2")
    }

    func testRealConfigDecodes() throws {
        struct Bert: Decodable { let hiddenSize: Int; let numHiddenLayers: Int; let vocabSize: Int; let layerNormEps: Double }
        let path = try realModelPath("minilm/config.json")
        let c = try decodeConfig(Bert.self, from: path)
        XCTAssertEqual([c.hiddenSize, c.numHiddenLayers, c.vocabSize], [384, 6, 30522])
        XCTAssertEqual(c.layerNormEps, 1e-12)
    }
}
