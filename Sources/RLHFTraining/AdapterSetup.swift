// Fresh LoRA adapters for a trainer, with the settings checked against the model first: the targets must
// name layers it has, and the rank must not exceed the smaller side of any adapted layer (a rank of a
// million would otherwise allocate gigabytes of adapters before anything failed).

import RLHFNN

/// Adds adapters of rank `rank` to the layers of `model` named in `targets` (freezing the rest).
///
/// - Parameter modelPath: the model as the user named it (for messages).
/// - Returns: the keys of the adapted layers.
/// - Throws: `TrainingError.badSetting` for `lora_targets` naming no layer, or `lora_r` above a layer's width.
func addTrainingAdapters(to model: Module, targets: [String], rank: Int, alpha: Double, dropout: Float, seed: UInt64,
                         modelPath: String) throws -> [String] {
    let layers = model.namedLoRALayers().filter { targets.contains(String($0.key.split(separator: ".").last ?? "")) }
    guard !layers.isEmpty else {
        let names = Set(model.namedLoRALayers().compactMap { $0.key.split(separator: ".").last.map(String.init) }).sorted()
        throw TrainingError.badSetting(key: "lora_targets", reason: "\(modelPath) has no layer named \(targets.joined(separator: ", ")); "
                                       + "its projections are \(names.joined(separator: ", ")) (or say all)")
    }
    let widths = layers.map { (key: $0.key, width: min($0.layer.inFeatures, $0.layer.outFeatures)) }
    if let narrowest = widths.min(by: { $0.width < $1.width }), rank > narrowest.width {
        throw TrainingError.badSetting(key: "lora_r", reason: "\(rank) exceeds the width \(narrowest.width) of '\(narrowest.key)' "
                                       + "(a rank above it adds parameters and no capacity)")
    }
    return model.addLoRA(targets: targets, rank: rank, alpha: alpha, dropout: dropout, seed: seed)
}
