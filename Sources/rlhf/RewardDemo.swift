// `rlhf demo reward`: the original description's reward-model example, for real: three labelled pairs,
// 3 epochs of Adam at 5e-5 on MiniLM (in place of DistilBERT), the loss of each epoch, and the reward
// of a new sentence. The run is RLHFTraining's `RewardDemo`; this command parses and prints.

import ArgumentParser
import Foundation
import RLHFTraining

extension Demo {
    struct Reward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a MiniLM reward model on three labelled pairs (3 epochs, Adam 5e-5) and score a sentence.")

        @Option(help: "The encoder to start from.") var model: String = "models/minilm"
        @Option(help: "Seed of the head initialisation.") var seed: UInt64 = 0

        func run() throws {
            let result = try RewardDemo().run(modelPath: model, seed: seed)
            for (i, loss) in result.epochLosses.enumerated() {
                print(String(format: "epoch %d  loss %.4f", i + 1, loss))
            }
            print(String(format: "reward(%@) = %.4f", "\"\(result.sentence)\"", result.reward))
        }
    }
}
