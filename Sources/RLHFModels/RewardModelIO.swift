// Saving a reward model as a transformers `*ForSequenceClassification` folder, and loading one back.

import Foundation
import RLHFFormats
import RLHFNN
import RLHFTensor

extension RewardModel {
    /// transformers' class name for this model.
    public var hfArchitecture: String {
        switch backbone {
        case .bert: return "BertForSequenceClassification"
        case .llama: return "LlamaForSequenceClassification"
        case .gpt2: return "GPT2ForSequenceClassification"
        }
    }

    /// What a LoRA run saves whole beside the adapters (PEFT's `modules_to_save`): the head, and a pooler
    /// the backbone did not have (drawn at random, so not part of the base model).
    public var loraModulesToSave: [String] {
        if case .bert(let bert) = backbone, pooler != nil, bert.pooler == nil { return [headKey, "bert.pooler"] }
        return [headKey]
    }

    /// The pad id written to an exported decoder's config.json. transformers scores the last token that is
    /// not the pad token, so it must differ from EOS (which ends every scored text): the tokenizer's pad
    /// token when that is not EOS, else its unknown token, else id 0.
    public var exportPadTokenId: Int {
        let eos = tokenizer.eosTokenId
        if let p = tokenizer.padTokenId, p != eos { return p }
        if let u = tokenizer.unkTokenId, u != eos { return u }
        return eos == 0 ? 1 : 0
    }

    /// Writes config.json (`num_labels: 1`), model.safetensors under HF names and the tokenizer files of
    /// `sourceDirectory` into `directory` (which must exist).
    public func saveHF(to directory: String, sourceDirectory: String?) throws {
        var config = try hfConfigDictionary(for: backbone, sourceDirectory: sourceDirectory)
        config["architectures"] = [hfArchitecture]
        config["num_labels"] = 1
        config["id2label"] = ["0": "LABEL_0"]
        config["label2id"] = ["LABEL_0": 0]
        if isEncoder { config["rlhf_reward_head"] = headKind.rawValue } else { config["pad_token_id"] = exportPadTokenId }
        try writeJSONObject(config, to: directory + "/config.json")
        try writeModelSafetensors(self, to: directory)
        try copyTokenizerFiles(from: sourceDirectory, to: directory)
    }

    /// Loads a reward-model folder written by `saveHF` (or any transformers `*ForSequenceClassification`
    /// folder with one label and a tokenizer.json).
    ///
    /// - Throws: `ModelError.notAModel` when the folder has no reward head or no tokenizer;
    ///   `.weightsMismatch` naming missing, unexpected or misshapen tensors.
    public static func load(path: String) throws -> RewardModel {
        let configPath = path + "/config.json"
        guard let data = try readRegularFileIfPresent(path: configPath),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw ModelError.notAModel(path: path, reason: "config.json is missing or is not a JSON object")
        }
        let architectures = json["architectures"] as? [String] ?? []
        guard architectures.contains(where: { $0.hasSuffix("ForSequenceClassification") }) else {
            throw ModelError.notAModel(
                path: path,
                reason: "not a reward model: config.json architectures \(architectures) has no "
                    + "*ForSequenceClassification (train one with `rlhf train-rm`)")
        }
        let labels = json["num_labels"] as? Int ?? (json["id2label"] as? [String: Any])?.count ?? 2
        guard labels == 1 else {
            throw ModelError.notAModel(path: path, reason: "a reward model has one label; config.json has \(labels)")
        }
        var kind = RewardHeadKind.hf
        if let k = json["rlhf_reward_head"] {
            guard let s = k as? String, let parsed = RewardHeadKind(rawValue: s) else {
                throw ModelError.unsupportedConfig(source: configPath, reason: "rlhf_reward_head '\(k)' is not one of hf, cls")
            }
            kind = parsed
        }
        let pre = try loadPretrained(path: path)
        guard let tokenizer = pre.tokenizer else {
            throw ModelError.notAModel(path: path, reason: "no tokenizer.json: a reward model needs its tokenizer to score text")
        }
        var rng = RandomGenerator(seed: 0)
        let model = RewardModel(backbone: pre.architecture, tokenizer: tokenizer, headKind: kind, rng: &rng)
        try model.loadParameters(
            from: try SafetensorsCheckpoint(directory: path),
            ignoring: {
                $0.hasSuffix("position_ids") || $0.hasPrefix("lm_head.") || $0.hasSuffix(".attn.bias")
                    || $0.hasSuffix(".attn.masked_bias") || $0.hasSuffix("rotary_emb.inv_freq")
            })
        model.eval()
        return model
    }
}
