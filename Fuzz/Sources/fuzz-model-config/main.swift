// Fuzzes the model constructors fed a parsed config.json: the input is decoded as each family's config
// (BERT, DistilBERT, Llama, GPT-2) and the model is built from what decodes. Every architecture field
// must be checked (positive, divisible, bounded) before anything is allocated, so a bad value is a thrown
// error, never a trap or a huge allocation.
//
// A config that is valid but describes a model too big for a fuzzing process (more than `maxParameters`)
// is not built: the fuzzer's malloc limit would report it, although loading it is right.

import FuzzSupport
import RLHFFormats
import RLHFModels
import RLHFTensor

/// Models up to this many parameters are built (16 MB of Float32).
let maxParameters = 4 << 20

/// Whether a model of these sizes may be built: every size positive and the rough parameter count
/// (embeddings + per-layer matrices) at most `maxParameters`, or some size not positive, which the
/// constructor must reject before it allocates.
func buildable(vocab: Int, hidden: Int, layers: Int, inner: Int, positions: Int) -> Bool {
    let sizes = [vocab, hidden, layers, inner, positions]
    if sizes.contains(where: { $0 <= 0 }) { return true }
    var total = 0
    for (a, b) in [(vocab + positions, hidden), (layers, 4 * hidden * hidden + 3 * hidden * inner)] {
        guard a < 1 << 31, b < 1 << 31 else { return false }
        let (p, o) = a.multipliedReportingOverflow(by: b)
        guard !o else { return false }
        total += p
    }
    return total <= maxParameters
}

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "config.json")
    var rng = RandomGenerator(seed: 0)
    rejecting {
        let c = try decodeConfig(BertConfig.self, from: path)
        guard buildable(vocab: c.vocabSize, hidden: c.hiddenSize, layers: c.numHiddenLayers, inner: c.intermediateSize,
                        positions: c.maxPositionEmbeddings) else { return }
        blackHole(try BertModel(c, pooler: true, source: path, rng: &rng))
    }
    rejecting {
        let c = try decodeConfig(DistilBertConfig.self, from: path).bertConfig(source: path)
        guard buildable(vocab: c.vocabSize, hidden: c.hiddenSize, layers: c.numHiddenLayers, inner: c.intermediateSize,
                        positions: c.maxPositionEmbeddings) else { return }
        blackHole(try BertModel(c, pooler: false, source: path, rng: &rng))
    }
    rejecting {
        let c = try decodeConfig(LlamaConfig.self, from: path)
        guard buildable(vocab: c.vocabSize, hidden: c.hiddenSize, layers: c.numHiddenLayers, inner: c.intermediateSize,
                        positions: 1) else { return }
        blackHole(try LlamaForCausalLM(c, source: path, rng: &rng))
    }
    rejecting {
        let c = try decodeConfig(GPT2Config.self, from: path)
        guard buildable(vocab: c.vocabSize, hidden: c.nEmbd, layers: c.nLayer, inner: c.nInner ?? 4 * c.nEmbd,
                        positions: c.nPositions) else { return }
        blackHole(try GPT2LMHeadModel(c, source: path, rng: &rng))
    }
}
