// PPO checkpoints: everything a run needs to continue bit for bit, written atomically.
//
//   checkpoint-N/
//     policy.safetensors      the trained policy tensors (LoRA adapters, or every trainable weight)
//     value_head.safetensors  v_head.summary.weight [1, C], v_head.summary.bias [1] (TRL's value-head keys)
//     optimizer.safetensors, optimizer.json   AdamW moments and step counts
//     trainer_state.json      step, prompt cursor (epoch, index), RNG
//     ppo_state.json          KL controller, episode count
//     + what `export` writes (the merged policy as a transformers folder, adapters in PEFT's layout)

import Foundation
import RLHFFormats
import RLHFNN
import RLHFTensor

/// PPO's own state beside `trainer_state.json`.
struct PPOState: Codable, Equatable {
    var klController: KLController
    var episode: Int
}

extension PPOTrainer {
    /// Writes `<output_dir>/checkpoint-<step>` atomically; `export` adds user-facing files into the folder.
    @discardableResult
    public func saveCheckpoint(export: ((String) throws -> Void)? = nil) throws -> String {
        let path = config.outputDir + "/checkpoint-\(state.globalStep)"
        try requireFiniteWeights(parameterKeys, optimizer.parameters, step: state.globalStep)
        try CheckpointFolder.write(to: path) { dir in
            try writeSafetensors(policyParameters.map { (name: $0.key, tensor: $0.parameter.value.detached()) }, to: dir + "/policy.safetensors")
            var head: [(name: String, tensor: Tensor)] = [(name: "v_head.summary.weight", tensor: valueHead.weight.value.detached())]
            if let b = valueHead.bias { head.append((name: "v_head.summary.bias", tensor: b.value.detached())) }
            try writeSafetensors(head, to: dir + "/value_head.safetensors")
            try OptimizerState.save(optimizer, keys: parameterKeys, to: dir)
            try state.save(to: dir)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(PPOState(klController: klController, episode: episode))
            try AtomicFileWriter.write(to: dir + "/ppo_state.json") { try $0.write(Array(data) + [0x0A]) }
            try export?(dir)
        }
        return path
    }

    /// Loads what `saveCheckpoint` wrote into this trainer (same policy layout, value head and optimizer).
    func restore(from dir: String) throws {
        let saved = try TrainerState.load(from: dir, trainer: "ppo", name: "a PPO")
        try saved.checkResume(seed: config.seed, stepBatchSize: config.batchSize, trainExamples: prompts.count, cursorLimit: prompts.count,
                              totalSteps: state.totalSteps, directory: dir)
        try assign(policyParameters.map { ($0.key, $0.parameter) }, from: dir + "/policy.safetensors")
        try assign([("v_head.summary.weight", valueHead.weight)] + (valueHead.bias.map { [("v_head.summary.bias", $0)] } ?? []),
                   from: dir + "/value_head.safetensors")
        try OptimizerState.load(optimizer, keys: parameterKeys, from: dir)
        let statePath = dir + "/ppo_state.json"
        guard let data = try readRegularFileIfPresent(path: statePath) else {
            throw CheckpointError.mismatch(path: dir, reason: "no ppo_state.json")
        }
        let ppo: PPOState
        do { ppo = try JSONDecoder().decode(PPOState.self, from: data) } catch {
            throw CheckpointError.mismatch(path: statePath, reason: "ppo_state.json is not valid: \(error)")
        }
        let total = state.totalSteps
        state = saved
        state.totalSteps = total
        klController = ppo.klController
        episode = ppo.episode
    }

    /// Assigns each parameter the tensor of its key in a safetensors file, checking names and shapes.
    private func assign(_ parameters: [(String, Parameter)], from path: String) throws {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(path: path) } catch {
            throw CheckpointError.mismatch(path: path, reason: "\(error)")
        }
        for (key, p) in parameters {
            guard let info = file.info(key) else {
                throw CheckpointError.mismatch(path: path, reason: "no tensor '\(key)' (the checkpoint is of another policy layout)")
            }
            guard info.shape == p.shape else {
                throw CheckpointError.mismatch(path: path, reason: "'\(key)' is \(info.shape), the model expects \(p.shape)")
            }
            p.assign(try file.tensor(key))
        }
    }
}
