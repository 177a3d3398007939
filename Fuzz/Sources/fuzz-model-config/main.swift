// Fuzzes the model constructors fed a parsed config.json: the input is decoded as each family's config
// (BERT, DistilBERT, Llama, GPT-2), validated, built, and run forward on two tokens. Every architecture
// field must be checked (positive, divisible, bounded) before anything is allocated, so a bad value is a
// thrown error, never a trap or a huge allocation.
//
// The validation runs with a small memory budget (`limits`): a config that is valid but describes a model
// too big for a fuzzing process is rejected by that call and never built (the fuzzer's malloc limit would
// report it, although loading it on a real machine is right).

import FuzzSupport
import RLHFFormats
import RLHFModels
import RLHFTensor

/// At most 16 MB of parameters are built.
let limits = ModelLimits(maxParameterBytes: 16 << 20)

/// Two token ids through the model, after the input check every entry point makes.
func forward(_ architecture: Architecture, source: String) throws {
    let ids = [0, 1].map { $0 % max(1, architecture.vocabularySize) }
    try architecture.checkInput(ids, source: source)
    switch architecture {
    case .bert(let m): blackHole(m(ids: ids, batch: 1))
    case .llama(let m): blackHole(m(ids: ids, batch: 1))
    case .gpt2(let m): blackHole(m(ids: ids, batch: 1))
    }
}

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "config.json")
    var rng = RandomGenerator(seed: 0)
    rejecting {
        let c = try decodeConfig(BertConfig.self, from: path)
        try c.validate(source: path, limits: limits)
        try forward(.bert(try BertModel(c, pooler: true, source: path, rng: &rng)), source: path)
    }
    rejecting {
        let c = try decodeConfig(DistilBertConfig.self, from: path).bertConfig(source: path, limits: limits)
        try forward(.bert(try BertModel(c, pooler: false, source: path, rng: &rng)), source: path)
    }
    rejecting {
        let c = try decodeConfig(LlamaConfig.self, from: path)
        try c.validate(source: path, limits: limits)
        try forward(.llama(try LlamaForCausalLM(c, source: path, rng: &rng)), source: path)
    }
    rejecting {
        let c = try decodeConfig(GPT2Config.self, from: path)
        try c.validate(source: path, limits: limits)
        try forward(.gpt2(try GPT2LMHeadModel(c, source: path, rng: &rng)), source: path)
    }
}
