#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses into Fuzz/Corpus/<harness>/ (committed; rerun to regenerate).

Every seed is a small valid input (a few KB at most) that reaches deep into its reader: safetensors files of
each dtype, GGUF files with every metadata value type and every dequantisable tensor type, a tiny Llama GGUF
(F32/F16 and Q4_0/Q8_0), the component tokenizers of the tokenizer goldens, the tiny models' config.json,
JSONL lines of each TRL format, and the example YAML configs. Standard library only; deterministic.
"""
import json
import os
import random
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")


def put(harness, name, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# MARK: safetensors

def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)] laid out in order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def seeds_safetensors():
    put("fuzz-safetensors", "floats.safetensors", safetensors([
        ("embeddings.weight", "F32", [2, 3], f32([0.5, -1, 2, 3.25, 0, -0.125])),
        ("norm.weight", "F16", [4], struct.pack("<4e", 1, -2, 0.5, 65504)),
        ("norm.bias", "BF16", [2], struct.pack("<2H", 0x3F80, 0xC000)),
        ("scale", "F64", [], struct.pack("<d", 0.1)),
    ], {"format": "pt"}))
    put("fuzz-safetensors", "integers.safetensors", safetensors([
        ("position_ids", "I64", [1, 4], struct.pack("<4q", 0, 1, 2, 3)),
        ("i32", "I32", [2], struct.pack("<2i", -3, 5)),
        ("u8", "U8", [3], bytes([1, 2, 255])),
        ("mask", "BOOL", [2, 2], bytes([1, 0, 1, 0])),
        ("i16", "I16", [1], struct.pack("<h", -2)),
        ("f8", "F8_E4M3", [2], bytes([0x38, 0x40])),
    ]))
    put("fuzz-safetensors", "empty.safetensors", safetensors([]))
    put("fuzz-safetensors", "zero-size.safetensors", safetensors([("z", "F32", [0, 4], b""), ("a", "F32", [1], f32([1]))]))


# MARK: GGUF

GGUF_TYPES = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q4_0": (2, 32, 18), "Q4_1": (3, 32, 20), "Q8_0": (8, 32, 34),
              "Q4_K": (12, 256, 144), "Q6_K": (14, 256, 210), "I32": (26, 1, 4), "BF16": (30, 1, 2)}


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gvalue(kind, value):
    """(type id, payload) of a metadata value; kind is the gguf.md type name."""
    scalars = {"uint8": (0, "<B"), "int8": (1, "<b"), "uint16": (2, "<H"), "int16": (3, "<h"), "uint32": (4, "<I"),
               "int32": (5, "<i"), "float32": (6, "<f"), "bool": (7, "<?"), "uint64": (10, "<Q"), "int64": (11, "<q"),
               "float64": (12, "<d")}
    if kind == "string":
        return 8, gstr(value)
    if kind.startswith("array:"):
        element = kind[len("array:"):]
        tid = gvalue(element, value[0] if value else 0)[0] if element != "string" else 8
        payload = struct.pack("<IQ", tid, len(value)) + b"".join(gvalue(element, v)[1] for v in value)
        return 9, payload
    tid, fmt = scalars[kind]
    return tid, struct.pack(fmt, value)


def gguf(metadata, tensors, version=3, alignment=32):
    """metadata: [(key, kind, value)]; tensors: [(name, dims (ggml order), type name, bytes)]."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    for key, kind, value in metadata:
        tid, payload = gvalue(kind, value)
        out += gstr(key) + struct.pack("<I", tid) + payload
    offset, data = 0, b""
    for name, dims, tname, raw in tensors:
        out += gstr(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", GGUF_TYPES[tname][0], offset)
        data += raw + b"\0" * ((alignment - len(raw) % alignment) % alignment)
        offset = len(data)
    out += b"\0" * ((alignment - len(out) % alignment) % alignment)
    return out + data


def tensor_bytes(rng, tname, dims):
    _, block, size = GGUF_TYPES[tname]
    count = 1
    for d in dims:
        count *= d
    if tname == "F32":
        return f32([rng.uniform(-1, 1) for _ in range(count)])
    if tname == "F16":
        return struct.pack("<%de" % count, *[rng.uniform(-1, 1) for _ in range(count)])
    raw = bytearray(rng.getrandbits(8) for _ in range(count // block * size))
    if tname in ("Q4_0", "Q4_1", "Q8_0"):  # a sane f16 scale (and min) at the start of each block
        for b in range(count // block):
            struct.pack_into("<e", raw, b * size, 0.01)
            if tname == "Q4_1":
                struct.pack_into("<e", raw, b * size + 2, -0.05)
    return bytes(raw)


def seeds_gguf(goldens):
    rng = random.Random(1)
    all_kinds = [("general.architecture", "string", "llama"), ("general.alignment", "uint32", 32),
                 ("t.u8", "uint8", 7), ("t.i8", "int8", -7), ("t.u16", "uint16", 700), ("t.i16", "int16", -700),
                 ("t.i32", "int32", -70000), ("t.f32", "float32", 0.5), ("t.bool", "bool", True),
                 ("t.u64", "uint64", 1 << 40), ("t.i64", "int64", -(1 << 40)), ("t.f64", "float64", 0.25),
                 ("t.strings", "array:string", ["a", "bc", ""]), ("t.ints", "array:int32", [1, -2, 3]),
                 ("t.floats", "array:float32", [0.5, 1.5])]
    tensors = [(t + ".weight", dims, t, tensor_bytes(rng, t, dims)) for t, dims in
               [("F32", [8]), ("F16", [4, 2]), ("BF16", [8]), ("Q8_0", [32, 2]), ("Q4_0", [32]), ("Q4_1", [64]),
                ("Q4_K", [256]), ("Q6_K", [256]), ("I32", [4])]]
    tensors[2] = ("BF16.weight", [8], "BF16", struct.pack("<8H", *[0x3F80 + i for i in range(8)]))
    put("fuzz-gguf", "all-types.gguf", gguf(all_kinds, tensors))
    put("fuzz-gguf", "v2-no-tensors.gguf", gguf([("general.name", "string", "x")], [], version=2))
    g = goldens["gguf_tiny"]
    chatml = goldens["chat"]["smollm2"]["template"]
    vocab = [("general.architecture", "string", "llama"), ("tokenizer.ggml.model", "string", "gpt2"),
             ("tokenizer.ggml.pre", "string", "smollm"), ("tokenizer.ggml.tokens", "array:string", g["tokens"]),
             ("tokenizer.ggml.token_type", "array:int32", g["token_types"]),
             ("tokenizer.ggml.merges", "array:string", g["merges"]),
             ("tokenizer.ggml.bos_token_id", "uint32", g["bos_token_id"]),
             ("tokenizer.ggml.eos_token_id", "uint32", g["eos_token_id"]),
             ("tokenizer.ggml.add_bos_token", "bool", False), ("tokenizer.chat_template", "string", chatml)]
    put("fuzz-gguf", "tokenizer.gguf", gguf(vocab, []))


def llama_gguf(rng, vocab, hidden, heads, kv_heads, ff, matrix_type, embed_type, extra_metadata=()):
    head = hidden // heads
    metadata = [("general.architecture", "string", "llama"), ("llama.block_count", "uint32", 1),
                ("llama.embedding_length", "uint32", hidden), ("llama.feed_forward_length", "uint32", ff),
                ("llama.attention.head_count", "uint32", heads), ("llama.attention.head_count_kv", "uint32", kv_heads),
                ("llama.context_length", "uint32", 32), ("llama.rope.freq_base", "float32", 10000.0),
                ("llama.attention.layer_norm_rms_epsilon", "float32", 1e-5), ("llama.rope.dimension_count", "uint32", head)]
    metadata += list(extra_metadata)
    if not any(k == "tokenizer.ggml.tokens" for k, _, _ in metadata):
        metadata.append(("llama.vocab_size", "uint32", vocab))
    shapes = [("token_embd.weight", [hidden, vocab], embed_type), ("output_norm.weight", [hidden], "F32"),
              ("blk.0.attn_norm.weight", [hidden], "F32"), ("blk.0.ffn_norm.weight", [hidden], "F32"),
              ("blk.0.attn_q.weight", [hidden, hidden], matrix_type),
              ("blk.0.attn_k.weight", [hidden, kv_heads * head], matrix_type),
              ("blk.0.attn_v.weight", [hidden, kv_heads * head], matrix_type),
              ("blk.0.attn_output.weight", [hidden, hidden], matrix_type),
              ("blk.0.ffn_gate.weight", [hidden, ff], matrix_type), ("blk.0.ffn_up.weight", [hidden, ff], matrix_type),
              ("blk.0.ffn_down.weight", [ff, hidden], matrix_type)]
    return gguf(metadata, [(n, d, t, tensor_bytes(rng, t, d)) for n, d, t in shapes])


def seeds_model_gguf():
    rng = random.Random(2)
    put("fuzz-model-gguf", "llama-f32.gguf", llama_gguf(rng, 16, 8, 2, 1, 16, "F16", "F32"))
    letters = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
    letters += ["Ġ", "ab", "he"]
    tok = [("tokenizer.ggml.model", "string", "gpt2"), ("tokenizer.ggml.tokens", "array:string", letters),
           ("tokenizer.ggml.token_type", "array:int32", [3, 3, 3] + [1] * (len(letters) - 3)),
           ("tokenizer.ggml.merges", "array:string", ["a b", "h e"]), ("tokenizer.ggml.eos_token_id", "uint32", 2)]
    put("fuzz-model-gguf", "llama-q4.gguf", llama_gguf(rng, len(letters), 32, 4, 2, 64, "Q4_0", "Q8_0", tok))


# MARK: tokenizer.json, config.json, JSONL, YAML

def seeds_tokenizer(goldens):
    for t in goldens["components"]["tokenizers"]:
        put("fuzz-tokenizer", t["name"] + ".json", t["json"])
    base = {"version": "1.0", "truncation": {"max_length": 8, "strategy": "LongestFirst", "stride": 0, "direction": "Left"},
            "padding": {"strategy": {"Fixed": 6}, "direction": "Left", "pad_id": 0, "pad_token": "a"},
            "added_tokens": [], "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None,
            "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}
    put("fuzz-tokenizer", "tiny-bpe.json", json.dumps(base))
    config = {"bos_token": "<s>", "eos_token": {"content": "</s>"}, "pad_token": None, "model_max_length": 512,
              "chat_template": goldens["chat"]["smollm2"]["template"]}
    with_config = dict(base, added_tokens=[{"id": 3, "content": "<s>", "special": True}, {"id": 4, "content": "</s>", "special": True}])
    put("fuzz-tokenizer", "with-config.bin", json.dumps(with_config) + "\0" + json.dumps(config))


def seeds_configs():
    for name in ["tiny-bert", "tiny-distilbert", "tiny-llama", "tiny-gpt2"]:
        with open(os.path.join(ROOT, "Tests", "RLHFModelsTests", "Resources", name, "config.json")) as f:
            text = f.read()
        put("fuzz-config", name + ".json", text)
        put("fuzz-model-config", name + ".json", text)
    put("fuzz-config", "index.json", json.dumps({"metadata": {"total_size": 16},
                                                 "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
                                                                "b.weight": "model-00002-of-00002.safetensors"}}))


def seeds_jsonl():
    lines = {
        "preferences.jsonl": [{"prompt": "2+2?", "chosen": "4", "rejected": "5", "margin": 0.5},
                              {"chosen": "good", "rejected": "bad"},
                              {"text_a": "yes", "text_b": "no", "label": 1}, {"text_a": "x", "text_b": "y", "label": False}],
        "conversational.jsonl": [{"prompt": [{"role": "user", "content": "hi"}],
                                  "chosen": [{"role": "assistant", "content": "hello"}],
                                  "rejected": [{"role": "assistant", "content": "go away"}]},
                                 {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                                               {"role": "assistant", "content": "a"}]}],
        "sft.jsonl": [{"text": "the cat sat"}, {"prompt": "Say hi", "completion": " hi"},
                      {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "assistant", "content": "a"}]}],
        "prompts.jsonl": [{"prompt": "Tell me a story"}, {"prompt": [{"role": "user", "content": "hello there"}]}],
    }
    for name, items in lines.items():
        put("fuzz-jsonl", name, "\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n")
    put("fuzz-jsonl", "bad-lines.jsonl", b'{"prompt": "a"}\r\n\n{"chosen": 3}\n{not json\n"\xff"\n')


def seeds_yaml():
    for name in ["pipeline.yaml", "rm-minilm.yaml", "sft-smollm2.yaml"]:
        with open(os.path.join(ROOT, "examples", name)) as f:
            put("fuzz-yaml", name, f.read())
    put("fuzz-yaml", "ppo.yaml", "model: m\nreward_model: r\ntrain_file: t.jsonl\nkl_coef: 0.05\n"
                                 "num_ppo_epochs: 2\nresume_from: null\nseed: 7\n")


def main():
    with open(os.path.join(ROOT, "Tests", "RLHFTokenizersTests", "Resources", "tokenizer_goldens.json")) as f:
        goldens = json.load(f)
    seeds_safetensors()
    seeds_gguf(goldens)
    seeds_model_gguf()
    seeds_tokenizer(goldens)
    seeds_configs()
    seeds_jsonl()
    seeds_yaml()


if __name__ == "__main__":
    main()
