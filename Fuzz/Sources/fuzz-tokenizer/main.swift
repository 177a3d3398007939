// Fuzzes the tokenizer.json loader. The input is a tokenizer.json; when it holds a NUL byte (never valid in
// JSON), what follows the first NUL is written beside it as tokenizer_config.json. A tokenizer that loads
// encodes and decodes a short text, a pair and a batch (with the file's own padding and truncation), and
// renders a conversation with its chat template when it has one.

import FuzzSupport
import RLHFTokenizers

let sample = "Hello, wörld! 12 345  [CLS] <|im_start|>user\nhi<|im_end|>\t你好 🙂 a\u{301}\r\n"

runFuzzer { bytes in
    let split = bytes.firstIndex(of: 0)
    let path = Scratch.write(UnsafeRawBufferPointer(rebasing: bytes[..<(split ?? bytes.endIndex)]), to: "tokenizer.json")
    if let split {
        Scratch.write(UnsafeRawBufferPointer(rebasing: bytes[(split + 1)...]), to: "tokenizer_config.json")
    } else {
        Scratch.remove("tokenizer_config.json")
    }
    rejecting {
        let tokenizer = try Tokenizer.load(tokenizerJSON: path)
        let ids = tokenizer.encode(sample)
        blackHole(tokenizer.decode(ids))
        blackHole(tokenizer.decode(ids + [-1, 0, 1 << 40], skipSpecialTokens: true))
        blackHole(tokenizer.encode(sample, pair: "the pair", addSpecialTokens: true))
        blackHole(
            tokenizer.encodeBatch(
                [sample, "", "x"], padding: tokenizer.defaultPadding ?? .longest(side: .left),
                truncation: tokenizer.defaultTruncation))
        blackHole(tokenizer.encodeBatch([sample], padding: .maxLength(4, side: .right), truncation: Truncation(maxLength: 3)))
        if let template = tokenizer.chatTemplate {
            blackHole(
                try template.render(
                    [
                        ChatMessage(role: "system", content: "s"), ChatMessage(role: "user", content: sample),
                        ChatMessage(role: "assistant", content: "ok")
                    ], addGenerationPrompt: true))
        }
    }
}
