// Fuzzes the GGUF reader: the input is a .gguf file. Every tensor it accepts is dequantised and read byte
// by byte, and its tokenizer metadata, when there is any, is built into a tokenizer that encodes and
// decodes a short text.

import FuzzSupport
import RLHFFormats
import RLHFModels
import RLHFTokenizers

let sample = "Hello, wörld! 12 345  <|im_start|>user\nhi<|im_end|>\t你好 🙂\r\n"

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "model.gguf")
    rejecting {
        let file = try GGUFFile(path: path)
        blackHole(file.metadataKeys.map { file.metadata[$0]?.typeName ?? "" })
        for info in file.tensorInfos {
            rejecting { blackHole(try file.tensor(info.name)) }
            rejecting { try file.withRawBytes(info.name) { raw in blackHole(raw.reduce(0 as UInt8, &+)) } }
        }
        rejecting {
            let tokenizer = try Tokenizer.fromGGUFVocabulary(try GGUFVocabulary(metadataOf: file))
            let ids = tokenizer.encode(sample)
            blackHole(tokenizer.decode(ids))
            blackHole(tokenizer.decode(ids, skipSpecialTokens: true))
            if let template = tokenizer.chatTemplate {
                blackHole(try template.render([ChatMessage(role: "user", content: sample)], addGenerationPrompt: true))
            }
        }
    }
}
