// Fuzzes the YAML config loader: the input is a training config file read by `readYAMLSections` (the
// pipeline's sections) and loaded as each trainer's config (reward model, SFT, PPO), which checks every
// key, type and value.

import FuzzSupport
import RLHFTraining

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "config.yaml")
    rejecting { blackHole(try readYAMLSections(path: path).sections.count) }
    rejecting { blackHole(try RewardConfig.load(path: path)) }
    rejecting { blackHole(try SFTConfig.load(path: path)) }
    rejecting { blackHole(try PPOConfig.load(path: path)) }
}
