#!/usr/bin/env python3
"""GGUF goldens for RLHFFormatsTests, from gguf-py (and transformers for the Q/K un-permutation).

    pip install gguf numpy                  # transformers + torch for part (c), skipped when missing
    scripts/fetch-models                    # models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
    python3 scripts/goldens/gguf_goldens.py

Writes Tests/RLHFFormatsTests/Resources/gguf_goldens.json:
  blocks:   for F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K and Q6_K, a few random blocks as raw bytes (hex) and
            `gguf.quants.dequantize` of them as float32 bit patterns (the Swift test compares bit for bit).
            Scales (d, dmin, m) are random finite halves, subnormals and zero included; F16 also holds
            ±0, subnormals, the largest half, ±inf and a quiet NaN.
  real:     for models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf: version, alignment, data offset, every tensor's
            name / ggml type / PyTorch shape / offset, a handful of metadata values, and for 3–4 tensors of each
            type present (Q8_0, Q4_1, F32) the first and last 64 dequantised values (float32 bits) plus the sum
            and the sum of squares of the whole tensor (float64).
  hf:       layer 0's q_proj and k_proj as transformers loads them from the GGUF (dequantised by gguf-py,
            Q/K rows un-permuted): a few rows (first 32 columns, float32 bits) and every row's sum of squares
            (float64), so that each row's position after our un-permutation is checked (read by
            Tests/RLHFModelsTests/LlamaRotaryTests.swift, where the un-permutation lives now).
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.constants import GGML_QUANT_SIZES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "RLHFFormatsTests", "Resources", "gguf_goldens.json")
MODEL_DIR = os.path.join(ROOT, "models", "smollm2")
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

rng = np.random.default_rng(20240611)


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).reshape(-1).view(np.uint32).tolist()


def random_halves(n):
    """Finite f16 scales: normal values of several magnitudes, some subnormal, some zero, both signs."""
    mags = rng.choice([1e-4, 1e-3, 1e-2, 1e-1, 1.0, 30.0], size=n)
    h = (rng.standard_normal(n) * mags).astype(np.float16)
    special = rng.random(n)
    h[special < 0.08] = np.float16(0.0)
    sub = (special >= 0.08) & (special < 0.16)
    h[sub] = (rng.integers(1, 0x3FF, size=int(sub.sum())) | (rng.integers(0, 2, size=int(sub.sum())) << 15)).astype(np.uint16).view(np.float16)
    return h


def random_blocks(qtype, nblocks):
    block, size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(nblocks, size), dtype=np.uint8)
    if qtype == Q.F16:
        h = random_halves(nblocks).view(np.uint16)
        specials = np.array([0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x3C00, 0x3555],
                            dtype=np.uint16)
        h[: len(specials)] = specials
        return h.view(np.uint8).reshape(nblocks, 2)
    if qtype == Q.BF16:
        f = (rng.standard_normal(nblocks) * rng.choice([1e-30, 1e-3, 1.0, 1e30], size=nblocks)).astype(np.float32)
        return (f.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8).reshape(nblocks, 2)
    halves = lambda: random_halves(nblocks).view(np.uint8).reshape(nblocks, 2)
    if qtype in (Q.Q8_0, Q.Q4_0):
        raw[:, 0:2] = halves()
    elif qtype in (Q.Q4_1, Q.Q4_K):
        raw[:, 0:2] = halves()
        raw[:, 2:4] = halves()
    elif qtype == Q.Q6_K:
        raw[:, 208:210] = halves()
    return raw


def block_goldens():
    out = []
    for qtype, nblocks in [(Q.F16, 64), (Q.BF16, 64), (Q.Q8_0, 6), (Q.Q4_0, 6), (Q.Q4_1, 6), (Q.Q4_K, 3), (Q.Q6_K, 3)]:
        raw = random_blocks(qtype, nblocks)
        values = gguf.quants.dequantize(raw, qtype)
        out.append({"type": qtype.name, "blocks": nblocks, "raw_hex": raw.tobytes().hex(), "bits": bits(values)})
    return out


def metadata_value(field):
    v = field.contents()
    if isinstance(v, float):
        return {"float_bits": int(np.float32(v).view(np.uint32))}
    return v


def real_goldens(path):
    r = gguf.GGUFReader(path)
    tensors = [{"name": t.name, "type": t.tensor_type.name, "shape": [int(d) for d in reversed(t.shape.tolist())],
                "offset": int(t.data_offset) - int(r.data_offset)} for t in r.tensors]
    scalars = ["general.architecture", "general.name", "llama.block_count", "llama.context_length",
               "llama.embedding_length", "llama.feed_forward_length", "llama.attention.head_count",
               "llama.attention.head_count_kv", "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
               "llama.vocab_size", "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id",
               "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_bos_token", "general.quantization_version",
               "tokenizer.chat_template"]
    metadata = {k: metadata_value(r.fields[k]) for k in scalars}
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    merges = r.fields["tokenizer.ggml.merges"].contents()
    token_type = r.fields["tokenizer.ggml.token_type"].contents()
    arrays = {"tokenizer.ggml.tokens": {"count": len(tokens), "head": tokens[:8], "tail": tokens[-3:]},
              "tokenizer.ggml.merges": {"count": len(merges), "head": merges[:5], "tail": merges[-2:]},
              "tokenizer.ggml.token_type": {"count": len(token_type), "head": token_type[:20]}}
    picks = {"Q8_0": ["token_embd.weight"],
             "Q4_1": ["blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.15.ffn_down.weight", "blk.29.ffn_up.weight"],
             "F32": ["blk.0.attn_norm.weight", "blk.29.ffn_norm.weight", "output_norm.weight"]}
    by_name = {t.name: t for t in r.tensors}
    values = []
    for type_name, names in picks.items():
        for name in names:
            t = by_name[name]
            assert t.tensor_type.name == type_name, (name, t.tensor_type.name)
            x = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
            x64 = x.astype(np.float64)
            values.append({"name": name, "type": type_name, "count": int(x.size), "first64": bits(x[:64]),
                           "last64": bits(x[-64:]), "sum": float(x64.sum()), "sum_squares": float((x64 * x64).sum())})
    return {"file": "models/smollm2/" + MODEL_FILE, "version": int(r.fields["GGUF.version"].contents()),
            "alignment": int(r.alignment), "data_offset": int(r.data_offset), "kv_count": len(r.fields) - 3,
            "metadata_keys_head": [k for k in r.fields if not k.startswith("GGUF.")][:6],
            "tensors": tensors, "metadata": metadata, "arrays": arrays, "values": values}


def hf_goldens():
    try:
        from transformers import AutoModelForCausalLM
    except ImportError:
        print("transformers not installed: skipping the 'hf' section", file=sys.stderr)
        return None
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, gguf_file=MODEL_FILE, dtype="float32")
    sd = model.state_dict()
    out = {}
    for proj in ["q_proj", "k_proj"]:
        w = sd[f"model.layers.0.self_attn.{proj}.weight"].detach().numpy().astype(np.float32)
        rows = [0, 1, 31, 32, 33, 63, 64, 100]
        out[proj] = {"shape": list(w.shape), "rows": rows, "first32": [bits(w[i, :32]) for i in rows],
                     "row_sum_squares": (w.astype(np.float64) ** 2).sum(axis=1).tolist()}
    return out


def main():
    goldens = {"blocks": block_goldens()}
    path = os.path.join(MODEL_DIR, MODEL_FILE)
    if os.path.exists(path):
        goldens["real"] = real_goldens(path)
        hf = hf_goldens()
        if hf is not None:
            goldens["hf"] = hf
    else:
        print(f"{path} missing (run scripts/fetch-models): only block goldens written", file=sys.stderr)
    with open(OUT, "w") as f:
        json.dump(goldens, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
