// Fuzzes loading a Llama model from a GGUF file, as `loadPretrained` does: the llama hyper-parameters of the
// metadata, the model built from them, the tensors mapped to HF names (with the rotary rows un-permuted)
// and loaded, and the tokenizer of the metadata. A model too big for a fuzzing process (more than
// `maxParameters`) is not built: the fuzzer's malloc limit would report it, although loading it is right.

import FuzzSupport
import RLHFFormats
import RLHFModels

/// Models up to this many parameters are built (16 MB of Float32).
let maxParameters = 4 << 20

/// Whether the sizes are all positive and the rough parameter count is within `maxParameters`, or some
/// size is not positive (which must be rejected before anything is allocated).
func buildable(_ c: LlamaConfig) -> Bool {
    let sizes = [c.vocabSize, c.hiddenSize, c.numHiddenLayers, c.intermediateSize]
    if sizes.contains(where: { $0 <= 0 }) { return true }
    guard sizes.allSatisfy({ $0 < 1 << 31 }) else { return false }
    let (embed, o1) = c.vocabSize.multipliedReportingOverflow(by: c.hiddenSize)
    let (perLayer, o2) = c.hiddenSize.multipliedReportingOverflow(by: 4 * c.hiddenSize + 3 * c.intermediateSize)
    let (layers, o3) = perLayer.multipliedReportingOverflow(by: c.numHiddenLayers)
    return !o1 && !o2 && !o3 && embed + layers <= maxParameters
}

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "model.gguf")
    rejecting {
        let file = try GGUFFile(path: path)
        guard buildable(try llamaConfig(fromGGUF: file)) else { return }
        let model = try loadPretrained(path: path)
        blackHole(model.tokenizer?.encode("Hello, world"))
    }
}
