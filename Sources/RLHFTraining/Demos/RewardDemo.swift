// The original description's reward-model example, for real (`rlhf demo reward`): three labelled pairs,
// 3 epochs of Adam at 5e-5 on MiniLM (in place of DistilBERT), the loss of each epoch, and the reward of a
// new sentence.

import RLHFModels
import RLHFOptim
import RLHFTensor

/// The reward-model demo: a fresh reward head on an encoder, trained full-batch with the Bradley-Terry loss
/// on `pairs`, then asked to score `sentence`.
public struct RewardDemo: Sendable {
    /// (text_a, text_b, label): label 1 when A is the better answer, 0 when B is.
    public static let pairs: [(textA: String, textB: String, label: Int)] = [
        ("What is 2+2? Answer: 4", "What is 2+2? Answer: 5", 1),
        ("What is the capital of France? Answer: London", "What is the capital of France? Answer: Paris", 0),
        (
            "Why is the sky blue? Answer: Air scatters blue sunlight more than red light.",
            "Why is the sky blue? Answer: Because it reflects the ocean.", 1
        )
    ]

    /// What a run gives back.
    public struct Result: Sendable {
        /// The loss of each epoch, taken before that epoch's step (epoch 1's is the untrained model's).
        public let epochLosses: [Float]
        /// The sentence scored after training.
        public let sentence: String
        /// Its reward under the trained model.
        public let reward: Float
    }

    /// Full-batch epochs (one optimizer step each).
    public var epochs = 3
    /// Adam's learning rate.
    public var learningRate = 5e-5
    /// The sentence scored after training.
    public var sentence = "Photosynthesis is the process where plants convert light to energy."

    /// The demo as the original description gives it.
    public init() {}

    /// Loads the encoder at `modelPath` (a HF folder with its tokenizer), puts a reward head initialised from
    /// `seed` on it, trains it for `epochs` on `pairs`, and scores `sentence`.
    ///
    /// - Throws: `ModelError` when the model cannot be loaded or has no tokenizer; `FormatError` for
    ///   unreadable files.
    public func run(modelPath: String, seed: UInt64) throws -> Result {
        let pre = try loadPretrained(path: modelPath)
        let tokenizer = try pre.requireTokenizer()
        var rng = RandomGenerator(seed: seed)
        let rm = RewardModel(backbone: pre.architecture, tokenizer: tokenizer, rng: &rng)
        rm.train()
        let pairs = Self.pairs
        let chosen = pairs.map { $0.label == 1 ? $0.textA : $0.textB }, rejected = pairs.map { $0.label == 1 ? $0.textB : $0.textA }
        let rows = (chosen + rejected).map { rm.encode(prompt: nil, response: $0) }
        let batch = RewardBatch(rows, padId: tokenizer.padTokenId ?? 0)
        let optimizer = Adam(parameters: rm.trainableParameters(), learningRate: learningRate)
        let n = pairs.count
        var losses: [Float] = []
        for _ in 0..<epochs {
            optimizer.zeroGrad()
            let r = rm(ids: batch.ids, typeIds: batch.typeIds, lengths: batch.lengths)
            let loss = bradleyTerryLoss(chosen: r.sliced(axis: 0, 0, n), rejected: r.sliced(axis: 0, n, 2 * n))
            loss.backward()
            optimizer.step()
            losses.append(loss.item)
        }
        rm.eval()
        return Result(epochLosses: losses, sentence: sentence, reward: rm.score([(nil, sentence)])[0])
    }
}
