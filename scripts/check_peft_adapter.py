#!/usr/bin/env python3
"""Check that a LoRA adapter written by `rlhf sft` (checkpoint-N/adapter) loads in PEFT on the same base
model and gives the logits `rlhf inspect --adapter` gives, within 1e-4.

Usage:
  python3 scripts/check_peft_adapter.py --adapter output/sft-smollm2/checkpoint-75/adapter
                                        [--base models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf | HF_FOLDER]
  python3 scripts/check_peft_adapter.py --tiny-gpt2 [--rlhf .build/release/rlhf]

A GGUF base is loaded in transformers dequantised to float32 (as ours is), a HF folder as it is; either is
wrapped with `peft.PeftModel.from_pretrained(base, adapter)` and last-position logits are compared on 6
prompts. --tiny-gpt2 checks LoRA on GPT-2's Conv1D layers (PEFT's fan_in_fan_out) end to end: it writes a
random 2-layer GPT-2 with a byte-level BPE tokenizer trained on examples/sft/train.jsonl into a temporary
folder, runs `rlhf sft --lora-targets all` (c_attn, c_proj, c_fc) on it for a few steps, and checks the
adapter of the last checkpoint.
Needs: pip install torch transformers gguf peft (and tokenizers for --tiny-gpt2).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPTS = ["What is the capital of Kenya?", "Hello! How do I boil an egg?", "Name three primary colours.",
           "Explain photosynthesis in one sentence.", "What is 12 times 7?", "Write a haiku about rain."]


def make_tiny_gpt2_adapter(rlhf):
    """A random tiny GPT-2 base folder and the LoRA adapter `rlhf sft` trains on it: (base, adapter)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel
    work = tempfile.mkdtemp(prefix="peft-gpt2-")
    base = os.path.join(work, "base")
    os.makedirs(base)
    train = os.path.join(ROOT, "examples/sft/train.jsonl")
    texts = [v for line in open(train) for v in json.loads(line).values() if isinstance(v, str)]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=512, special_tokens=["<|endoftext|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.save(os.path.join(base, "tokenizer.json"))
    eos = tok.token_to_id("<|endoftext|>")
    json.dump({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "model_max_length": 256},
              open(os.path.join(base, "tokenizer_config.json"), "w"))
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=tok.get_vocab_size(), n_embd=64, n_layer=2, n_head=4, n_positions=256,
                        bos_token_id=eos, eos_token_id=eos)
    GPT2LMHeadModel(config).save_pretrained(base)
    out = os.path.join(work, "sft")
    cmd = [rlhf, "sft", "--model", base, "--train-file", train, "--output-dir", out, "--max-steps", "4",
           "--max-length", "64", "--per-device-train-batch-size", "4", "--learning-rate", "1e-2",
           "--lora-r", "8", "--lora-alpha", "16", "--lora-dropout", "0", "--lora-targets", "all", "--progress", "false"]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    adapter = os.path.join(out, "checkpoint-4", "adapter")
    config = json.load(open(os.path.join(adapter, "adapter_config.json")))
    assert config["fan_in_fan_out"] is True and sorted(config["target_modules"]) == ["c_attn", "c_fc", "c_proj"], config
    return base, adapter


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", help="a PEFT adapter folder (required unless --tiny-gpt2)")
    ap.add_argument("--base", default=os.path.join(ROOT, "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
                    help="the base model: a GGUF file or a HF folder")
    ap.add_argument("--tiny-gpt2", action="store_true", help="train and check an adapter on a random tiny GPT-2 (Conv1D)")
    ap.add_argument("--rlhf", default=os.path.join(ROOT, ".build/release/rlhf"))
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    if args.tiny_gpt2:
        args.base, args.adapter = make_tiny_gpt2_adapter(args.rlhf)
    elif not args.adapter:
        ap.error("--adapter is required (or --tiny-gpt2)")

    import torch
    from transformers import AutoModelForCausalLM
    from peft import PeftModel
    if os.path.isdir(args.base):
        base = AutoModelForCausalLM.from_pretrained(args.base, dtype=torch.float32)
    else:
        folder, name = os.path.dirname(args.base), os.path.basename(args.base)
        base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, args.adapter).eval()
    worst = 0.0
    for text in PROMPTS:
        out = subprocess.run([args.rlhf, "inspect", "--model", args.base, "--adapter", args.adapter, "--text", text, "--json"],
                             check=True, capture_output=True, text=True).stdout
        ours = json.loads(out)
        with torch.inference_mode():
            logits = model(torch.tensor([ours["input_ids"]])).logits[0, -1]
        diff = (logits - torch.tensor(ours["last_logits"])).abs().max().item()
        worst = max(worst, diff)
    print(f"adapter {args.adapter}: {len(PROMPTS)} prompts, max |ours - peft| over last-position logits = {worst:.3g}")
    if worst > args.tolerance:
        print("FAILED: difference above", args.tolerance)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
