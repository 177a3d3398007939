// Tiny random decoders and prompts for the RL trainers' tests (PPO, GRPO): a 2-layer Llama over a small
// vocabulary, initialised at transformers' scale, and prompts of random tokens.

import RLHFData
import RLHFModels
import RLHFTensor

/// A 2-layer Llama (hidden 32, 4 heads, 2 KV heads) over `vocab` tokens. Its embeddings use transformers'
/// initialisation scale (std 0.02) rather than N(0, 1), so that the tied output layer starts near uniform and
/// sampling explores.
func tinyLlamaDecoder(seed: UInt64, vocab: Int = 16) throws -> LlamaForCausalLM {
    var rng = RandomGenerator(seed: seed)
    let c = LlamaConfig(vocabSize: vocab, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2)
    let m = try LlamaForCausalLM(c, rng: &rng)
    m.model.embedTokens.weight.assign(Tensor.normal([vocab, 32], std: 0.02, using: &rng))
    return m
}

/// `n` prompts of 2 to 5 random tokens from 1..<vocab (line i + 1, text "prompt i").
func tinyPrompts(_ n: Int, vocab: Int = 16, seed: UInt64 = 9) -> [PPOPrompt] {
    var rng = RandomGenerator(seed: seed)
    return (0..<n).map { i in
        let len = 2 + Int(rng.next() % 4)
        return PPOPrompt(ids: (0..<len).map { _ in 1 + Int(rng.next() % UInt64(vocab - 1)) }, text: "prompt \(i)", line: i + 1)
    }
}
