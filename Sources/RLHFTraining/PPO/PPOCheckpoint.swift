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
        try core.saveCheckpoint { dir in
            try writeSafetensors(policyParameters.map { (name: $0.key, tensor: $0.parameter.value.detached()) }, to: dir + "/policy.safetensors")
            try writeSafetensors(
                valueHeadParameters(valueHead).map { (name: $0.key, tensor: $0.parameter.value.detached()) },
                to: dir + "/value_head.safetensors")
            try writeCheckpointJSON(PPOState(klController: klController, episode: episode), to: dir + "/ppo_state.json")
            try export?(dir)
        }
    }

    /// Loads PPO's own part of a checkpoint into this trainer (the core has restored its state and the
    /// optimizer): the policy tensors, the value head, the KL controller and the episode count.
    func restore(from dir: String) throws {
        try assign(policyParameters, from: dir + "/policy.safetensors")
        try assign(valueHeadParameters(valueHead), from: dir + "/value_head.safetensors")
        let ppo = try readCheckpointJSON(PPOState.self, path: dir + "/ppo_state.json", missing: .mismatch(path: dir, reason: "no ppo_state.json"))
        klController = ppo.klController
        episode = ppo.episode
    }

    /// Assigns each parameter the tensor of its key in a safetensors file, checking names and shapes.
    private func assign(_ parameters: [(key: String, parameter: Parameter)], from path: String) throws {
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
