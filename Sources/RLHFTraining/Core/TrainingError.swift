// Errors of a training run that are neither about a data file (DataError), a model (ModelError) nor a
// checkpoint being resumed (CheckpointError): a setting that does not fit the model or the data, and a run
// stopped because its numbers stopped being finite. Also the check that encoded data fits a model's
// vocabulary (a ModelError naming the model, the file and the line).

import RLHFData
import RLHFModels

/// What stops a training run before or during its steps.
///
/// `description` reads as one line that names the model path, the config key or the step.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A config value that does not fit the model or the data (`key` as in YAML).
    case badSetting(key: String, reason: String)
    /// The run stopped at optimizer step `step`: its loss, gradients or weights are not finite.
    case nonFinite(step: Int, reason: String)
    /// Under `mpirun`, the ranks' trained weights differ after step `step` (`check_ranks_agree`).
    case ranksDiverged(step: Int, ranks: Int)

    public var description: String {
        switch self {
        case let .badSetting(key, reason): return "\(key): \(reason)"
        case let .nonFinite(step, reason): return "training stopped at step \(step): \(reason)"
        case let .ranksDiverged(step, ranks):
            return "training stopped at step \(step): the \(ranks) ranks' weights are no longer bit-identical (check_ranks_agree)"
        }
    }
}

/// Throws `ModelError.invalidInput` when a token id of the encoded data lies outside the model's vocabulary: a tokenizer that does
/// not belong to the model would otherwise index past the embedding table.
///
/// - Parameters:
///   - rows: each encoded example's ids with its line in `file`.
///   - vocabularySize: the model's `vocab_size`.
func checkVocabulary(_ rows: [(ids: [Int], line: Int)], vocabularySize: Int, file: String, model: String) throws {
    for r in rows {
        if let bad = r.ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw ModelError.invalidInput(
                source: model,
                reason: "\(file):\(r.line) encodes to token id \(bad), outside the model's "
                    + "vocabulary of \(vocabularySize) (vocab_size): the tokenizer does not belong to the model")
        }
    }
}
