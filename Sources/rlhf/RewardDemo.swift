// `rlhf demo reward`: the original description's reward-model example, for real: three labelled pairs,
// 3 epochs of Adam at 5e-5 on MiniLM (in place of DistilBERT), the loss of each epoch, and the reward
// of a new sentence.

import ArgumentParser
import Foundation
import RLHFModels
import RLHFOptim
import RLHFTensor
import RLHFTraining

extension Demo {
    struct Reward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a MiniLM reward model on three labelled pairs (3 epochs, Adam 5e-5) and score a sentence.")

        @Option(help: "The encoder to start from.") var model: String = "models/minilm"
        @Option(help: "Seed of the head initialisation.") var seed: UInt64 = 0

        /// (text_a, text_b, label): label 1 when A is the better answer.
        static let pairs: [(String, String, Int)] = [
            ("What is 2+2? Answer: 4", "What is 2+2? Answer: 5", 1),
            ("What is the capital of France? Answer: London", "What is the capital of France? Answer: Paris", 0),
            ("Why is the sky blue? Answer: Air scatters blue sunlight more than red light.",
             "Why is the sky blue? Answer: Because it reflects the ocean.", 1),
        ]

        func run() throws {
            let pre = try loadModelOrFail(model)
            let tokenizer = try requireTokenizer(pre)
            var rng = RandomGenerator(seed: seed)
            let rm = RewardModel(backbone: pre.architecture, tokenizer: tokenizer, rng: &rng)
            rm.train()
            let chosen = Self.pairs.map { $0.2 == 1 ? $0.0 : $0.1 }, rejected = Self.pairs.map { $0.2 == 1 ? $0.1 : $0.0 }
            let rows = (chosen + rejected).map { rm.encode(prompt: nil, response: $0) }
            let batch = RewardBatch(rows, padId: tokenizer.padTokenId ?? 0)
            let optimizer = Adam(parameters: rm.trainableParameters(), learningRate: 5e-5)
            let n = Self.pairs.count
            for epoch in 1...3 {
                optimizer.zeroGrad()
                let r = rm(ids: batch.ids, typeIds: batch.typeIds, lengths: batch.lengths)
                let loss = bradleyTerryLoss(chosen: r.sliced(axis: 0, 0, n), rejected: r.sliced(axis: 0, n, 2 * n))
                loss.backward()
                optimizer.step()
                print(String(format: "epoch %d  loss %.4f", epoch, loss.item))
            }
            rm.eval()
            let sentence = "Photosynthesis is the process where plants convert light to energy."
            print(String(format: "reward(%@) = %.4f", "\"\(sentence)\"", rm.score([(nil, sentence)])[0]))
        }
    }
}
