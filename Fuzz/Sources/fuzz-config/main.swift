// Fuzzes the config.json readers: the input is decoded as each model family's config (BERT, DistilBERT,
// Llama, GPT-2) with `decodeConfig`, and read as a sharded checkpoint's model.safetensors.index.json.
// Building models from what decodes is the fuzz-model-config harness's part.

import FuzzSupport
import RLHFFormats
import RLHFModels

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "config.json")
    rejecting { blackHole(try decodeConfig(BertConfig.self, from: path)) }
    rejecting { blackHole(try decodeConfig(DistilBertConfig.self, from: path).bertConfig(source: path)) }
    rejecting { blackHole(try decodeConfig(LlamaConfig.self, from: path)) }
    rejecting { blackHole(try decodeConfig(GPT2Config.self, from: path)) }
    Scratch.write(bytes, to: "model.safetensors.index.json")
    rejecting { blackHole(try SafetensorsCheckpoint(directory: Scratch.directory).tensorNames) }
}
