// Tiny model folders built from the committed fixtures of RLHFModelsTests (Resources/tiny-*, written by
// scripts/goldens/model_goldens.py), for tests in other targets that need a model with a tokenizer.

import Foundation

/// Fills the existing folder `dir` with the tiny GPT-2 of the model tests (64 positions, vocabulary 103:
/// config.json and model.safetensors) and a word-level tokenizer.json over "w0" … "w99" plus "[UNK]" (100).
public func writeTinyGPT2Folder(to dir: String) throws {
    let source = testResourcePath("RLHFModelsTests", "tiny-gpt2")
    for file in ["config.json", "model.safetensors"] {
        try FileManager.default.copyItem(atPath: source + "/" + file, toPath: dir + "/" + file)
    }
    let vocab = (0..<100).map { "\"w\($0)\": \($0)" }.joined(separator: ", ")
    try """
    {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
     "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
     "model": {"type": "WordLevel", "vocab": {\(vocab), "[UNK]": 100}, "unk_token": "[UNK]"}}
    """.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
}
