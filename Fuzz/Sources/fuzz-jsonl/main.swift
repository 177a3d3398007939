// Fuzzes the JSON Lines readers: the input is a data file read by `readJSONLines` and by each dataset
// reader of TRL's formats (preference pairs, SFT examples with each loss mask, PPO prompts), strict and
// with bad lines skipped, tokenized with a small byte-level BPE tokenizer that has a ChatML template.

import FuzzSupport
import RLHFData
import RLHFFormats
import RLHFTokenizers
import RLHFTraining

/// GPT-2's byte alphabet: the printable bytes spell themselves, the others U+0100 onwards.
func byteAlphabet() -> [String] {
    var out: [String] = []
    var next: UInt32 = 256
    for b in 0..<256 {
        let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
        let scalar = printable ? UInt32(b) : next
        if !printable { next += 1 }
        out.append(String(Character(Unicode.Scalar(scalar)!)))
    }
    return out
}

let chatML =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
let tokenizer: Tokenizer
do {
    tokenizer = try Tokenizer.fromGGUFVocabulary(
        GGUFVocabulary(
            model: "gpt2", tokens: specials + byteAlphabet() + ["Ġt", "he"], tokenTypes: [3, 3, 3] + Array(repeating: 1, count: 258),
            merges: ["Ġ t", "h e"], bosTokenId: 1, eosTokenId: 2, chatTemplate: chatML))
} catch {
    fatalError("the harness's own tokenizer does not build: \(error)")
}

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "data.jsonl")
    rejecting { blackHole(try readJSONLines(path: path).count) }
    for skip in [false, true] {
        rejecting { blackHole(try PreferenceDataset(path: path, chatTemplate: tokenizer.chatTemplate, skipBadLines: skip)) }
        rejecting { blackHole(try PreferenceDataset(path: path, chatTemplate: nil, skipBadLines: skip)) }
        rejecting { blackHole(try PPOPromptSet(path: path, tokenizer: tokenizer, maxLength: 32, skipBadLines: skip)) }
    }
    for (completionOnly, assistantOnly) in [(true, false), (false, true)] {
        rejecting {
            let data = try SFTDataset(
                path: path, tokenizer: tokenizer, maxLength: 24, completionOnlyLoss: completionOnly,
                assistantOnlyLoss: assistantOnly, skipBadLines: true)
            blackHole(SFTDataset.packed(data.examples, length: 16))
        }
    }
}
