#!/usr/bin/env python3
"""Parity goldens for the tiny random BERT, Llama and GPT-2 models (RLHFModelsTests).

    pip install torch transformers safetensors
    python3 scripts/goldens/model_goldens.py

For each architecture it builds a tiny randomly initialised HF model (fixed seed), saves it as a HF folder
(config.json + model.safetensors, ~100 KB) under Tests/RLHFModelsTests/Resources/tiny-<arch>/, runs it on
fixed inputs and writes tiny-<arch>/goldens.json with:
  - input_ids, attention_mask (BERT: a right-padded batch; Llama/GPT-2: an unpadded batch)
  - output: last_hidden_state (BERT) or logits (decoders), flattened row-major, float32
  - loss = sum(output * W) with W[i] = sin(0.37 * i) (flattened index i), and the gradient of that loss with
    respect to every parameter by its HF key (tied weights appear once, under the embedding's key).
Run in eval mode (no dropout), float32, attention implementation "eager" where that matters.
"""
import json
import math
import os

import torch
from transformers import (BertConfig, BertModel, DistilBertConfig, DistilBertModel, GPT2Config,
                          GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "RLHFModelsTests", "Resources")


def flat(t):
    # 8 significant digits: below the tests' tolerances (1e-5 absolute, 1e-4 relative), half the size
    return [float(f"{v:.8g}") for v in t.detach().reshape(-1).tolist()]


def weights_like(t):
    n = t.numel()
    return torch.tensor([math.sin(0.37 * i) for i in range(n)], dtype=torch.float32).reshape(t.shape)


def run(name, model, inputs, output_of):
    torch.manual_seed(0)
    model.eval()
    folder = os.path.join(OUT, f"tiny-{name}")
    os.makedirs(folder, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    for extra in ("generation_config.json",):
        p = os.path.join(folder, extra)
        if os.path.exists(p):
            os.remove(p)
    out = output_of(model(**inputs))
    loss = (out * weights_like(out)).sum()
    model.zero_grad()
    loss.backward()
    grads = {k: flat(p.grad) for k, p in model.named_parameters() if p.grad is not None}
    gold = {
        "generator": "scripts/goldens/model_goldens.py",
        "torch_version": torch.__version__,
        "input_ids": inputs["input_ids"].tolist(),
        "attention_mask": inputs["attention_mask"].tolist() if "attention_mask" in inputs else None,
        "output_shape": list(out.shape),
        "output": flat(out),
        "loss": float(loss),
        "grads": grads,
    }
    with open(os.path.join(folder, "goldens.json"), "w") as f:
        json.dump(gold, f)
    print(name, "params", sum(p.numel() for p in model.parameters()), "output", list(out.shape))


def main():
    torch.manual_seed(1234)
    bert = BertModel(BertConfig(vocab_size=97, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
                                hidden_act="gelu", layer_norm_eps=1e-12, attn_implementation="eager"),
                     add_pooling_layer=True)
    ids = torch.tensor([[2, 17, 33, 5, 60, 3, 0, 0], [2, 41, 8, 90, 12, 77, 29, 3]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0, 0], [1] * 8])
    run("bert", bert, {"input_ids": ids, "attention_mask": mask}, lambda o: o.last_hidden_state)

    torch.manual_seed(1237)
    distil = DistilBertModel(DistilBertConfig(vocab_size=97, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                              max_position_embeddings=64, activation="gelu",
                                              attn_implementation="eager"))
    ids = torch.tensor([[2, 17, 33, 5, 60, 3, 0, 0], [2, 41, 8, 90, 12, 77, 29, 3]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0, 0], [1] * 8])
    run("distilbert", distil, {"input_ids": ids, "attention_mask": mask}, lambda o: o.last_hidden_state)

    torch.manual_seed(1235)
    llama = LlamaForCausalLM(LlamaConfig(vocab_size=101, hidden_size=48, intermediate_size=80,
                                         num_hidden_layers=2, num_attention_heads=6, num_key_value_heads=2,
                                         max_position_embeddings=64, rms_norm_eps=1e-5, rope_theta=10000.0,
                                         tie_word_embeddings=True, attn_implementation="eager"))
    ids = torch.tensor([[1, 15, 99, 42, 7, 63, 20, 2], [1, 88, 3, 3, 51, 9, 70, 33]])
    run("llama", llama, {"input_ids": ids}, lambda o: o.logits)

    torch.manual_seed(1236)
    gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=103, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                                      activation_function="gelu_new", layer_norm_epsilon=1e-5,
                                      attn_implementation="eager"))
    ids = torch.tensor([[50, 11, 2, 99, 7, 63, 20, 102], [5, 80, 30, 3, 51, 9, 70, 33]])
    run("gpt2", gpt2, {"input_ids": ids}, lambda o: o.logits)


if __name__ == "__main__":
    main()
