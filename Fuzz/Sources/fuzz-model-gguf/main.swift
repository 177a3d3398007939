// Fuzzes loading a Llama model from a GGUF file, as `loadPretrained` does: the llama hyper-parameters of the
// metadata, checked against the tensors, the model built from them, the tensors mapped to HF names (with
// the rotary rows un-permuted) and loaded, the tokenizer of the metadata; then two tokens forward.
//
// The hyper-parameters are first validated with a small memory budget (`limits`): a valid model too big for
// a fuzzing process is rejected there and never built (the fuzzer's malloc limit would report it, although
// loading it on a real machine is right).

import FuzzSupport
import RLHFFormats
import RLHFModels

/// At most 16 MB of parameters are built.
let limits = ModelLimits(maxParameterBytes: 16 << 20)

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "model.gguf")
    rejecting {
        try llamaConfig(fromGGUF: try GGUFFile(path: path)).validate(source: path, limits: limits)
        let model = try loadPretrained(path: path)
        let ids = model.tokenizer?.encode("Hello, world") ?? [0, 1]
        try model.architecture.checkInput(ids, source: path)
        guard case .llama(let llama) = model.architecture else { return }
        blackHole(llama(ids: ids, batch: 1))
    }
}
