// Errors the command line finds itself that are not about its syntax: what a prompt or a model lacks for a
// command, and the shape of a pipeline file. (Bad syntax is ArgumentParser's ValidationError, exit code 64;
// library errors reach main.swift as they are.) Each message is one line naming the flag, model or file.

/// What stops a command after its arguments parsed, found by the command line rather than the library.
enum CLIError: Error, CustomStringConvertible, Equatable {
    /// `--chat` with a model whose tokenizer has no chat template.
    case noChatTemplate(model: String)
    /// The prompt encodes to no tokens and the model has no BOS token to start from.
    case nothingToStartFrom(model: String)
    /// The prompt's `tokens` fill the model's hard position limit (`limit` as `PositionLimit.phrase`
    /// says it): no position is left for a new token.
    case noPositionLeft(tokens: Int, limit: String)
    /// A top-level key of the pipeline file other than output_dir, seed and algorithm.
    case pipelineUnknownKey(path: String, line: Int, key: String)
    /// A section of the pipeline file other than sft, reward, ppo, dpo and report.
    case pipelineUnknownSection(path: String, line: Int, name: String)
    /// The pipeline file lacks a section its algorithm needs.
    case pipelineMissingSection(path: String, name: String)
    /// `algorithm:` names no algorithm the pipeline runs.
    case pipelineUnknownAlgorithm(path: String, line: Int, value: String)
    /// A section of the pipeline file lacks a key its stage requires.
    case pipelineMissingKey(path: String, section: String, key: String)
    /// A value of a pipeline section (or a default it gets from the top level) that its stage refuses.
    case pipelineBadValue(path: String, section: String, key: String, reason: String)

    var description: String {
        switch self {
        case let .noChatTemplate(model):
            return "\(model): no chat template"
        case let .nothingToStartFrom(model):
            return "--prompt: the prompt encodes to no tokens and \(model) has no BOS token to start from; give a non-empty prompt"
        case let .noPositionLeft(tokens, limit):
            return "--prompt: \(tokens) tokens fill the model's \(limit); no position is left for a new token"
        case let .pipelineUnknownKey(path, line, key):
            return
                "\(path):\(line): unknown key '\(key)' (top-level keys: output_dir, seed, algorithm, and the sections sft, reward, ppo, dpo, grpo, rloo, report)"
        case let .pipelineUnknownSection(path, line, name):
            return "\(path):\(line): unknown section '\(name)' (sections: sft, reward, ppo, dpo, grpo, rloo, report)"
        case let .pipelineUnknownAlgorithm(path, line, value):
            return "\(path):\(line): key 'algorithm': expected ppo, dpo, grpo or rloo, found '\(value)'"
        case let .pipelineMissingSection(path, name):
            return "\(path): missing section '\(name):'"
        case let .pipelineMissingKey(path, section, key):
            return "\(path): section \(section): required key '\(key)' is missing"
        case let .pipelineBadValue(path, section, key, reason):
            return "\(path): section \(section): key '\(key)': \(reason)"
        }
    }
}
