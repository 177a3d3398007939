#!/usr/bin/env python3
"""Parity goldens for the two real models (RLHFModelsTests), from `transformers`.

    pip install torch transformers gguf
    scripts/fetch-models            # models/minilm/, models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
    python3 scripts/goldens/real_model_goldens.py

Writes Tests/RLHFModelsTests/Resources/real_model_goldens.json:
  minilm:  for 10 sentences, the HF tokenizer's input_ids and BertModel's last_hidden_state of each sentence
           run alone (5 decimals; the Swift test compares its one-by-one and its padded-batch outputs with it).
  smollm2: the model as transformers loads it from the GGUF (dequantised by gguf-py to float32, Q/K rows
           un-permuted); for 6 prompts: input ids, the last position's logits at 4096 vocabulary entries
           (the 512 largest plus 3584 drawn with a fixed seed; 5 decimals), their max, argmax and log-sum-exp over
           the whole vocabulary, and the greedy continuation of 32 tokens (`generate`, do_sample=False).
The full logit vectors (6 × 49152 floats) would be 2.5 MB of JSON; the sampled entries plus the exact
log-sum-exp over all of them keep the file small while still checking every logit through the lse.
"""
import json
import os

import torch
from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "RLHFModelsTests", "Resources", "real_model_goldens.json")
MINILM = os.path.join(ROOT, "models", "minilm")
SMOL_DIR = os.path.join(ROOT, "models", "smollm2")
SMOL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Photosynthesis is the process where plants convert light to energy.",
    "What is 2+2?",
    "Reinforcement learning from human feedback aligns language models with preferences.",
    "Café au lait, naïve résumé — accents survive lowercasing?",
    "東京は日本の首都です。",
    "I can't believe it's already 2026!!!",
    "def add(a, b):\n    return a + b",
    "Short.",
    "A reward model scores answers; PPO nudges the policy towards higher scores while a KL penalty keeps it close.",
]

PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village,",
    "def fibonacci(n):",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
    "<|im_start|>user\nGive me one tip for learning Swift.<|im_end|>\n<|im_start|>assistant\n",
    "1, 2, 3, 4, 5,",
]


def r5(xs):
    return [round(float(v), 5) for v in xs]


def main():
    torch.manual_seed(0)
    out = {"generator": "scripts/goldens/real_model_goldens.py", "torch_version": torch.__version__}

    tok = AutoTokenizer.from_pretrained(MINILM)
    bert = AutoModel.from_pretrained(MINILM, attn_implementation="eager").eval()
    items = []
    with torch.no_grad():
        for s in SENTENCES:
            enc = tok(s, return_tensors="pt")
            h = bert(**enc).last_hidden_state[0]
            items.append({"text": s, "input_ids": enc["input_ids"][0].tolist(),
                          "hidden_size": h.shape[1], "last_hidden_state": r5(h.reshape(-1).tolist())})
    out["minilm"] = items

    stok = AutoTokenizer.from_pretrained(SMOL_DIR, gguf_file=SMOL_FILE)
    smol = AutoModelForCausalLM.from_pretrained(SMOL_DIR, gguf_file=SMOL_FILE, torch_dtype=torch.float32,
                                                attn_implementation="eager").eval()
    gen = torch.Generator().manual_seed(0)
    prompts = []
    with torch.no_grad():
        for p in PROMPTS:
            ids = stok(p, return_tensors="pt", add_special_tokens=False)["input_ids"]
            logits = smol(input_ids=ids).logits[0, -1].float()
            v = logits.shape[0]
            top = torch.topk(logits, 512).indices
            rest = torch.randperm(v, generator=gen)
            rest = rest[~torch.isin(rest, top)][:3584]
            pick = torch.cat([top, rest]).tolist()
            cont = smol.generate(ids, max_new_tokens=32, do_sample=False, attention_mask=torch.ones_like(ids),
                                 pad_token_id=stok.eos_token_id or 0)
            prompts.append({"text": p, "input_ids": ids[0].tolist(), "vocab_size": v,
                            "logit_indices": pick, "logits": r5(logits[pick].tolist()),
                            "max": float(logits.max()), "argmax": int(logits.argmax()),
                            "logsumexp": float(torch.logsumexp(logits.double(), 0)),
                            "greedy_32": cont[0, ids.shape[1]:].tolist()})
    out["smollm2"] = prompts
    with open(OUT, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
