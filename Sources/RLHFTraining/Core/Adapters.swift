// LoRA in the trainers: the settings every trainer config shares (`LoRAOptions`, PEFT's names), fresh
// adapters checked against the model first (the targets must name layers it has, and the rank must not
// exceed the smaller side of any adapted layer: a rank of a million would otherwise allocate gigabytes of
// adapters before anything failed), and the adapters' dropout generators a checkpoint saves.

import Foundation
import RLHFModels
import RLHFNN
import RLHFTensor
import RLHFTokenizers

/// Adds adapters of rank `rank` to the layers of `model` named in `targets` (freezing the rest).
///
/// - Parameter modelPath: the model as the user named it (for messages).
/// - Returns: the keys of the adapted layers.
/// - Throws: `TrainingError.badSetting` for `lora_targets` naming no layer, or `lora_r` above a layer's width.
func addTrainingAdapters(
    to model: Module, targets: [String], rank: Int, alpha: Double, dropout: Float, seed: UInt64,
    modelPath: String
) throws -> [String] {
    let layers = model.namedLoRALayers().filter { targets.contains(String($0.key.split(separator: ".").last ?? "")) }
    guard !layers.isEmpty else {
        let names = Set(model.namedLoRALayers().compactMap { $0.key.split(separator: ".").last.map(String.init) }).sorted()
        throw TrainingError.badSetting(
            key: "lora_targets",
            reason: "\(modelPath) has no layer named \(targets.joined(separator: ", ")); "
                + "its projections are \(names.joined(separator: ", ")) (or say all)")
    }
    let widths = layers.map { (key: $0.key, width: min($0.layer.inFeatures, $0.layer.outFeatures)) }
    if let narrowest = widths.min(by: { $0.width < $1.width }), rank > narrowest.width {
        throw TrainingError.badSetting(
            key: "lora_r",
            reason: "\(rank) exceeds the width \(narrowest.width) of '\(narrowest.key)' "
                + "(a rank above it adds parameters and no capacity)")
    }
    return model.addLoRA(targets: targets, rank: rank, alpha: alpha, dropout: dropout, seed: seed)
}

/// The LoRA settings a trainer config shares with the others (PEFT's names): rank, alpha, dropout, targets.
public struct LoRAOptions: Equatable, Sendable {
    /// Rank of the adapters (0: no adapters, every weight trains).
    public var loraR = 0
    /// The update is scaled by alpha / r.
    public var loraAlpha = 16.0
    /// Dropout on the adapters' input.
    public var loraDropout: Double
    /// Comma-separated module names to adapt (BERT: query, key, value, dense; Llama: q_proj, …; GPT-2:
    /// c_attn, c_proj, c_fc), or "all" for every projection of the architecture.
    public var loraTargets: String

    /// Adapters off, with a trainer's default dropout and targets.
    public init(dropout: Double = 0, targets: String = "all") {
        loraDropout = dropout
        loraTargets = targets
    }

    /// Whether adapters train (rank > 0).
    public var isEnabled: Bool { loraR > 0 }

    /// The first problem, as (key, reason).
    public func validate() -> (key: String, reason: String)? {
        if loraR < 0 { return ("lora_r", "must not be negative") }
        if !(loraAlpha > 0 && loraAlpha.isFinite) { return ("lora_alpha", "must be a finite number > 0") }
        if !(0..<1).contains(loraDropout) { return ("lora_dropout", "must be in [0, 1)") }
        if loraR > 0 && loraTargets != "all" && LoRASettings.targetList(loraTargets).isEmpty { return ("lora_targets", "names no module") }
        return nil
    }

    /// The target names for a model (`all`: every projection of its architecture, e.g. Llama's seven,
    /// GPT-2's c_attn, c_proj, c_fc).
    public func targetList(for architecture: Architecture) -> [String] {
        LoRASettings.targets(loraTargets, for: architecture)
    }

    /// The settings as PEFT's adapter_config.json records them, for `architecture`.
    public func settings(for architecture: Architecture) -> LoRASettings {
        LoRASettings(r: loraR, loraAlpha: loraAlpha, loraDropout: loraDropout, targetModules: targetList(for: architecture))
    }
}

/// A trainer config with LoRA settings, read as its own fields (`config.loraR` is `config.lora.loraR`).
public protocol LoRATrainingConfig: TrainingRunConfig {
    /// The LoRA settings.
    var lora: LoRAOptions { get set }
}

extension LoRATrainingConfig {
    /// A LoRA setting, as if it were the config's own field.
    public subscript<T>(dynamicMember path: WritableKeyPath<LoRAOptions, T>) -> T {
        get { lora[keyPath: path] }
        set { lora[keyPath: path] = newValue }
    }

    /// The target names for a model (see `LoRAOptions.targetList(for:)`).
    public func loraTargetList(for architecture: Architecture) -> [String] {
        lora.targetList(for: architecture)
    }

    /// The LoRA fields: rank (with the trainer's help line), alpha, dropout (when the trainer has it) and targets.
    public static func loraFields(rank: String, targets: String, dropout: Bool = true) -> [ConfigField<Self>] {
        [
            .int("lora_r", \.lora.loraR, rank),
            .double("lora_alpha", \.lora.loraAlpha, "LoRA alpha (the update is scaled by alpha / r)")
        ]
            + (dropout ? [.double("lora_dropout", \.lora.loraDropout, "dropout on the adapters' input")] : [])
            + [.string("lora_targets", \.lora.loraTargets, targets)]
    }
}

/// Adds the adapters `lora` describes to `model` (an `architecture`), seeded from the run's `seed`.
///
/// - Returns: the keys of the adapted layers.
@discardableResult
func addTrainingAdapters(to model: Module, _ lora: LoRAOptions, architecture: Architecture, seed: Int, modelPath: String) throws -> [String] {
    try addTrainingAdapters(
        to: model, targets: lora.targetList(for: architecture), rank: lora.loraR, alpha: lora.loraAlpha,
        dropout: Float(lora.loraDropout), seed: UInt64(truncatingIfNeeded: seed), modelPath: modelPath)
}

/// Each LoRA adapter's dropout generator in `model`, by the key of the layer it adapts (saved with a
/// checkpoint so that a resumed run draws the same dropout masks).
func adapterGenerators(of model: Module) -> [String: RandomGenerator] {
    Dictionary(uniqueKeysWithValues: model.loraAdapters().map { ($0.key, $0.adapter.rng) })
}

/// Restores the adapters' dropout generators saved by `adapterGenerators(of:)`.
func restoreAdapterGenerators(of model: Module, from saved: [String: RandomGenerator]?) {
    for (k, a) in model.loraAdapters() { if let r = saved?[k] { a.rng = r } }
}

/// Writes a trained decoder into the checkpoint folder `directory`: the model with its adapters merged, as a
/// transformers causal-LM folder, and with LoRA the adapters in PEFT's layout under `adapter/` (the SFT, DPO,
/// PPO and GRPO checkpoints).
///
/// - Parameters:
///   - pretrained: the loaded model (its architecture, tokenizer source and path).
///   - baseModel: the base the adapters apply to, as adapter_config.json names it.
func writeDecoderFiles(
    _ model: CausalLanguageModel, pretrained: PretrainedModel, tokenizer: Tokenizer, lora: LoRAOptions, baseModel: String, to directory: String
) throws {
    try model.withAdaptersMerged { try saveCausalLM(pretrained.architecture, tokenizer: tokenizer, source: pretrained.path, to: directory) }
    guard lora.isEnabled else { return }
    try FileManager.default.createDirectory(atPath: directory + "/adapter", withIntermediateDirectories: false)
    try saveLoRAAdapters(model, settings: lora.settings(for: pretrained.architecture), baseModel: baseModel, to: directory + "/adapter")
}
