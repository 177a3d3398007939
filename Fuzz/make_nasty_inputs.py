#!/usr/bin/env python3
"""Writes hand-made hostile inputs into the fuzz regression folders (named hand-*; committed; rerun to regenerate).

The regression tests (`FuzzRegressionTests` in each test target) feed every file of these folders to its
reader and require a thrown error naming the file, or a clean parse: never a trap. Inputs the fuzzers found
sit beside these, named after the fault they exposed. Each hand-made input aims at one guard: a truncated
header, a huge length or count, an offset that is negative or past the end, an overflowing shape, a tensor
retyped to a smaller type, deep nesting, absurd sizes.
"""
import json
import os
import struct

from make_seeds import ROOT, gguf, gstr, safetensors

FOLDERS = {
    "safetensors": "Tests/RLHFFormatsTests/Resources/fuzz-regressions/safetensors",
    "gguf": "Tests/RLHFFormatsTests/Resources/fuzz-regressions/gguf",
    "config": "Tests/RLHFModelsTests/Resources/fuzz-regressions/config",
    "model-config": "Tests/RLHFModelsTests/Resources/fuzz-regressions/model-config",
    "model-gguf": "Tests/RLHFModelsTests/Resources/fuzz-regressions/model-gguf",
    "tokenizer": "Tests/RLHFTokenizersTests/Resources/fuzz-regressions/tokenizer",
    "jsonl": "Tests/RLHFTrainingTests/Resources/fuzz-regressions/jsonl",
    "yaml": "Tests/RLHFTrainingTests/Resources/fuzz-regressions/yaml",
}


def put(reader, name, data):
    folder = os.path.join(ROOT, FOLDERS[reader])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "hand-" + name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def raw_safetensors(header, data=b"", declared=None):
    h = header.encode()
    return struct.pack("<Q", len(h) if declared is None else declared) + h + data


def nasty_safetensors():
    put("safetensors", "truncated-length.safetensors", b"\x10\x00\x00")
    put("safetensors", "huge-header-length.safetensors", raw_safetensors("{}", declared=(1 << 64) - 1))
    put("safetensors", "header-past-end.safetensors", raw_safetensors("{}", declared=4096))
    put("safetensors", "negative-offsets.safetensors",
        raw_safetensors('{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}', b"\0" * 8))
    put("safetensors", "huge-offsets.safetensors",
        raw_safetensors('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,9223372036854775807]}}', b"\0" * 8))
    put("safetensors", "overflowing-shape.safetensors",
        raw_safetensors('{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}', b"\0" * 8))
    put("safetensors", "float-shape.safetensors",
        raw_safetensors('{"w":{"dtype":"F32","shape":[1e300],"data_offsets":[0,4]}}', b"\0" * 4))
    put("safetensors", "f32-relabelled-i32.safetensors", safetensors([("w", "I32", [2], struct.pack("<2f", 0.5, -1))]))
    put("safetensors", "deep-nesting.safetensors", raw_safetensors("{\"a\":" + "[" * 2000 + "]" * 2000 + "}"))


def nasty_gguf():
    head = b"GGUF" + struct.pack("<I", 3)
    put("gguf", "truncated-after-magic.gguf", b"GGUF\x03\x00")
    put("gguf", "huge-tensor-count.gguf", head + struct.pack("<QQ", 1 << 63, 0))
    put("gguf", "huge-string-length.gguf", head + struct.pack("<QQ", 0, 1) + struct.pack("<Q", (1 << 64) - 1) + b"k")
    put("gguf", "huge-array-length.gguf",
        head + struct.pack("<QQ", 0, 1) + gstr("a") + struct.pack("<IIQ", 9, 4, (1 << 64) - 1))
    put("gguf", "nested-array.gguf", head + struct.pack("<QQ", 0, 1) + gstr("a") + struct.pack("<IIQ", 9, 9, 1))
    put("gguf", "alignment-zero.gguf", gguf([("general.alignment", "uint32", 0)], []))
    info = gstr("t") + struct.pack("<IQQIQ", 2, 1 << 62, 8, 0, 0)  # dims overflow the element count
    put("gguf", "overflowing-dims.gguf", head + struct.pack("<QQ", 1, 0) + info)
    info = gstr("t") + struct.pack("<IQIQ", 1, 4, 0, (1 << 64) - 32)  # offset "-32"
    put("gguf", "negative-offset.gguf", head + struct.pack("<QQ", 1, 0) + info + b"\0" * 64)
    f32 = struct.pack("<64f", *range(64))
    retyped = gguf([], [("a", [64], "F32", f32), ("b", [64], "F32", f32)])
    # a's type F32 (0) → F16 (1): a now claims 128 of its 256 bytes, leaving a gap before b
    at = retyped.index(gstr("a")) + len(gstr("a")) + 4 + 8
    put("gguf", "retyped-smaller-gap.gguf", retyped[:at] + struct.pack("<I", 1) + retyped[at + 4:])


def nasty_json_configs():
    put("config", "truncated.json", '{"hidden_size": 32, "num_attention_he')
    put("config", "wrong-types.json", '{"vocab_size": "many", "hidden_size": [32], "num_hidden_layers": null}')
    put("config", "huge-numbers.json", '{"vocab_size": 1e400, "hidden_size": 18446744073709551616, "num_hidden_layers": -1}')
    put("config", "deep-nesting.json", '{"a": ' + "[" * 2000 + "]" * 2000 + "}")
    put("config", "index-escaping-shard.json", json.dumps({"weight_map": {"w": "../../etc/passwd"}}))
    base = {"model_type": "llama", "vocab_size": 32, "hidden_size": 16, "intermediate_size": 32,
            "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1}
    for name, change in [("zero-heads", {"num_attention_heads": 0}), ("negative-heads", {"num_attention_heads": -2}),
                         ("negative-layers", {"num_hidden_layers": -1}), ("negative-vocab", {"vocab_size": -32}),
                         ("kv-heads-not-dividing", {"num_key_value_heads": 3}),
                         ("absurd-hidden", {"hidden_size": 1 << 40, "num_attention_heads": 1}),
                         ("absurd-layers", {"num_hidden_layers": 1 << 40})]:
        put("model-config", "llama-" + name + ".json", json.dumps(dict(base, **change)))
    bert = {"model_type": "bert", "vocab_size": 32, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 32, "max_position_embeddings": 16}
    for name, change in [("zero-heads", {"num_attention_heads": 0}), ("negative-positions", {"max_position_embeddings": -1}),
                         ("negative-intermediate", {"intermediate_size": -5})]:
        put("model-config", "bert-" + name + ".json", json.dumps(dict(bert, **change)))
    gpt2 = {"model_type": "gpt2", "vocab_size": 32, "n_embd": 16, "n_layer": 1, "n_head": 2, "n_positions": 16}
    put("model-config", "gpt2-zero-heads.json", json.dumps(dict(gpt2, n_head=0)))


def nasty_model_gguf():
    def llama(**changes):
        md = {"llama.block_count": 1, "llama.embedding_length": 8, "llama.feed_forward_length": 16,
              "llama.attention.head_count": 2, "llama.attention.head_count_kv": 1, "llama.vocab_size": 16}
        md.update(changes)
        return gguf([("general.architecture", "string", "llama")] + [(k, "int32", v) for k, v in md.items()], [])
    put("model-gguf", "zero-heads.gguf", llama(**{"llama.attention.head_count": 0}))
    put("model-gguf", "negative-layers.gguf", llama(**{"llama.block_count": -1}))
    put("model-gguf", "negative-embedding.gguf", llama(**{"llama.embedding_length": -8}))


def nasty_tokenizer():
    bpe = {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}
    def tok(**changes):
        t = {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": None, "post_processor": None,
             "decoder": None, "model": bpe}
        t.update(changes)
        return json.dumps(t)
    put("tokenizer", "truncated.json", tok()[:40])
    put("tokenizer", "huge-id.json", tok(model=dict(bpe, vocab={"a": 0, "b": 1, "ab": 1 << 50})))
    put("tokenizer", "negative-id.json", tok(model=dict(bpe, vocab={"a": 0, "b": -1, "ab": 2})))
    put("tokenizer", "added-token-negative-id.json", tok(added_tokens=[{"id": -1, "content": "<x>", "special": True}]))
    put("tokenizer", "huge-fixed-padding.json",
        tok(padding={"strategy": {"Fixed": 1 << 40}, "direction": "Right", "pad_id": 0, "pad_token": "a"}))
    put("tokenizer", "zero-truncation-with-specials.json",
        tok(truncation={"max_length": 0, "strategy": "LongestFirst", "stride": 0, "direction": "Right"},
            post_processor={"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "a", "type_id": 0}},
                                                                     {"Sequence": {"id": "A", "type_id": 0}}],
                            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                            "special_tokens": {"a": {"id": "a", "ids": [0], "tokens": ["a"]}}}))
    put("tokenizer", "deep-nesting.json", '{"model": ' + "[" * 2000 + "]" * 2000 + "}")


def nasty_jsonl():
    put("jsonl", "deep-nesting.jsonl", '{"text": ' + "[" * 2000 + "]" * 2000 + "}\n")
    put("jsonl", "huge-number.jsonl", '{"prompt": "a", "chosen": "b", "rejected": "c", "margin": 1e999}\n')
    put("jsonl", "empty-messages.jsonl", '{"messages": []}\n{"prompt": [], "completion": []}\n{"prompt": []}\n')
    put("jsonl", "not-utf8.jsonl", b'{"text": "\xff\xfe"}\n\xc0\x80\n')
    put("jsonl", "label-oddities.jsonl", '{"text_a": "a", "text_b": "b", "label": 2}\n{"text_a": "a", "label": true}\n')


def nasty_yaml():
    put("yaml", "deep-nesting.yaml", "a: " + "[" * 2000 + "]" * 2000 + "\n")
    put("yaml", "anchors-bomb.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n")
    put("yaml", "huge-numbers.yaml", "model: m\ntrain_file: t\nper_device_train_batch_size: 99999999999999999999999\n"
                                     "learning_rate: 1e400\nmax_steps: -9223372036854775808\n")
    put("yaml", "not-a-mapping.yaml", "- a\n- b\n")
    put("yaml", "tabs-and-nul.yaml", b"model:\t\x00m\n")


def main():
    nasty_safetensors()
    nasty_gguf()
    nasty_json_configs()
    nasty_model_gguf()
    nasty_tokenizer()
    nasty_jsonl()
    nasty_yaml()


if __name__ == "__main__":
    main()
