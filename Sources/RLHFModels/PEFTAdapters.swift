// LoRA adapters in PEFT's layout, so that `peft.PeftModel.from_pretrained(base, folder)` loads ours and we
// load theirs: adapter_config.json (peft_type LORA, r, lora_alpha, lora_dropout, target_modules, …) and
// adapter_model.safetensors with keys `base_model.model.<layer key>.lora_A.weight` [r, in] and
// `….lora_B.weight` [out, r] (the adapter name "default" is not part of saved keys). GPT-2's Conv1D layers
// (weight [in, out]) are written with `fan_in_fan_out: true`; A and B keep the same shapes. Modules that
// train in full beside the adapters (a reward model's head: PEFT's `modules_to_save`) are saved under
// `base_model.model.<parameter key>`, as PEFT saves them.

import Foundation
import RLHFFormats
import RLHFNN
import RLHFTensor

/// The LoRA hyper-parameters (PEFT's LoraConfig names in adapter_config.json).
public struct LoRASettings: Codable, Equatable, Sendable {
    /// The rank of each adapter (`r`): A is [r, in], B [out, r].
    public var r: Int
    /// The scale numerator (`lora_alpha`): the update is `(loraAlpha / r)·B A x`.
    public var loraAlpha: Double
    /// Dropout on the adapter's input while training (`lora_dropout`).
    public var loraDropout: Double
    /// The modules that get adapters (`target_modules`), matched against the last component of a layer's key
    /// (`q_proj`, `c_attn`, …), as PEFT matches a list.
    public var targetModules: [String]

    /// Settings under PEFT's names (no dropout unless given).
    public init(r: Int, loraAlpha: Double, loraDropout: Double = 0, targetModules: [String]) {
        self.r = r; self.loraAlpha = loraAlpha; self.loraDropout = loraDropout; self.targetModules = targetModules
    }

    /// Llama's seven projections (what `--lora-targets all` means for a Llama).
    public static let llamaProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    /// GPT-2's Conv1D layers: attention's c_attn and c_proj, the MLP's c_fc and c_proj (matched by last name).
    public static let gpt2Projections = ["c_attn", "c_proj", "c_fc"]
    /// BERT's linear maps: query, key, value and every `dense` (attention output, MLP, pooler).
    public static let bertProjections = ["query", "key", "value", "dense"]

    /// The modules `all` names in an architecture: every linear map of its blocks.
    public static func allTargets(for architecture: Architecture) -> [String] {
        switch architecture {
        case .llama: return llamaProjections
        case .gpt2: return gpt2Projections
        case .bert: return bertProjections
        }
    }

    /// The module names of a `lora_targets` value: a comma-separated list, or `all` (`allTargets(for:)`).
    public static func targets(_ spec: String, for architecture: Architecture) -> [String] {
        spec.trimmingCharacters(in: .whitespaces) == "all" ? allTargets(for: architecture) : targetList(spec)
    }

    /// The names of a comma-separated list (empty entries dropped).
    public static func targetList(_ spec: String) -> [String] {
        spec.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// PEFT's prefix of saved keys for a model wrapped by `get_peft_model`.
let peftKeyPrefix = "base_model.model."

/// The parameters of `model` inside the modules named in `modules` (a module key such as `classifier` or
/// `bert.pooler`, or its last components, as PEFT matches `modules_to_save`).
func moduleParameters(of model: Module, inModules modules: [String]) -> [(key: String, parameter: Parameter)] {
    model.namedParameters().filter { k, _ in
        let module = k.split(separator: ".").dropLast().joined(separator: ".")
        return modules.contains { module == $0 || module.hasSuffix("." + $0) }
    }
}

/// Writes `adapter_config.json` and `adapter_model.safetensors` for the adapters of `model`.
///
/// - Parameters:
///   - taskType: PEFT's task type ("CAUSAL_LM", "SEQ_CLS").
///   - baseModel: recorded as `base_model_name_or_path`.
///   - modulesToSave: modules saved whole beside the adapters (PEFT's `modules_to_save`, e.g. a reward
///     model's `score` head).
public func saveLoRAAdapters(
    _ model: Module, settings: LoRASettings, taskType: String = "CAUSAL_LM",
    baseModel: String, modulesToSave: [String] = [], to directory: String
) throws {
    let adapters = model.loraParameters()
    guard !adapters.isEmpty else {
        throw ModelError.unsupportedConfig(source: directory, reason: "the model has no LoRA adapters to save")
    }
    let tensors = (adapters + moduleParameters(of: model, inModules: modulesToSave))
        .map { (name: peftKeyPrefix + $0.key, tensor: $0.parameter.value.detached()) }
    let config: [String: Any] = [
        "peft_type": "LORA", "task_type": taskType, "r": settings.r, "lora_alpha": settings.loraAlpha,
        "lora_dropout": settings.loraDropout, "target_modules": settings.targetModules, "bias": "none",
        "fan_in_fan_out": model.adaptersAreFanInFanOut, "inference_mode": true, "init_lora_weights": true, "use_rslora": false,
        "use_dora": false, "modules_to_save": modulesToSave.isEmpty ? NSNull() as Any : modulesToSave, "base_model_name_or_path": baseModel,
        "rank_pattern": [String: Any](), "alpha_pattern": [String: Any](), "layers_to_transform": NSNull(),
        "layers_pattern": NSNull(), "revision": NSNull()
    ]
    try writeJSONObject(config, to: directory + "/adapter_config.json")
    try writeSafetensors(tensors, to: directory + "/adapter_model.safetensors")
}

/// Reads a PEFT LoRA folder, adds adapters of its rank and targets to `model` (freezing the rest) and
/// loads their weights, and those of its `modules_to_save` that the model has. `fan_in_fan_out` needs no
/// reading: each layer knows how its weight is stored, and A and B have the same shapes either way (PEFT
/// also corrects the flag per layer).
///
/// - Throws: `ModelError.notAModel` for a missing or non-LoRA config; `.weightsMismatch` naming adapter
///   tensors that are missing, unexpected or misshapen.
@discardableResult
public func loadLoRAAdapters(into model: Module, from directory: String) throws -> LoRASettings {
    let configPath = directory + "/adapter_config.json"
    guard let data = try readRegularFileIfPresent(path: configPath),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else {
        throw ModelError.notAModel(path: directory, reason: "adapter_config.json is missing or is not a JSON object")
    }
    guard (json["peft_type"] as? String) == "LORA" else {
        throw ModelError.notAModel(path: configPath, reason: "peft_type is \(json["peft_type"] ?? "missing"), not LORA")
    }
    guard let r = json["r"] as? Int, r > 0 else { throw ModelError.unsupportedConfig(source: configPath, reason: "'r' must be a positive integer") }
    guard let alpha = (json["lora_alpha"] as? NSNumber)?.doubleValue else {
        throw ModelError.unsupportedConfig(source: configPath, reason: "'lora_alpha' must be a number")
    }
    let targets: [String]
    if let list = json["target_modules"] as? [String] {
        targets = list
    } else if let one = json["target_modules"] as? String {
        targets = [one]
    } else {
        throw ModelError.unsupportedConfig(source: configPath, reason: "'target_modules' must be a list of module names")
    }
    if json["use_dora"] as? Bool == true || json["use_rslora"] as? Bool == true {
        throw ModelError.unsupportedConfig(source: configPath, reason: "DoRA and rsLoRA adapters are not supported")
    }
    let settings = LoRASettings(
        r: r, loraAlpha: alpha, loraDropout: (json["lora_dropout"] as? NSNumber)?.doubleValue ?? 0,
        targetModules: targets)
    let adapted = model.addLoRA(targets: targets, rank: r, alpha: alpha, dropout: Float(settings.loraDropout), seed: 0)
    guard !adapted.isEmpty else {
        throw ModelError.unsupportedConfig(source: configPath, reason: "no module of the model is named \(targets.joined(separator: ", "))")
    }
    let file = try SafetensorsFile(path: directory + "/adapter_model.safetensors")
    let saved: [String]
    if let list = json["modules_to_save"] as? [String] {
        saved = list
    } else if let one = json["modules_to_save"] as? String {
        saved = [one]
    } else {
        saved = []
    }
    let wanted = model.loraParameters() + moduleParameters(of: model, inModules: saved)
    let names = Set(file.tensorNames)
    var missing: [String] = [], wrong: [String] = []
    for (key, p) in wanted {
        guard let info = file.info(peftKeyPrefix + key) else { missing.append(peftKeyPrefix + key); continue }
        if info.shape != p.shape { wrong.append("\(peftKeyPrefix + key) \(info.shape) (model expects \(p.shape))") }
    }
    let unexpected = names.subtracting(wanted.map { peftKeyPrefix + $0.key }).sorted()
    if !missing.isEmpty || !wrong.isEmpty || !unexpected.isEmpty {
        throw ModelError.weightsMismatch(source: directory, missing: missing, unexpected: unexpected, wrongShape: wrong)
    }
    for (key, p) in wanted { p.assign(try file.tensor(peftKeyPrefix + key)) }
    return settings
}
