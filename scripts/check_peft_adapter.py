#!/usr/bin/env python3
"""Check that a LoRA adapter written by `rlhf sft` (checkpoint-N/adapter) loads in PEFT on the same base
model and gives the logits `rlhf inspect --adapter` gives, within 1e-4.

Usage:
  python3 scripts/check_peft_adapter.py --adapter output/sft-smollm2/checkpoint-75/adapter
                                        [--base models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf]

The base is loaded in transformers as the GGUF dequantised to float32 (as ours is), wrapped with
`peft.PeftModel.from_pretrained(base, adapter)`; last-position logits are compared on 6 prompts.
Needs: pip install torch transformers gguf peft.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPTS = ["What is the capital of Kenya?", "Hello! How do I boil an egg?", "Name three primary colours.",
           "Explain photosynthesis in one sentence.", "What is 12 times 7?", "Write a haiku about rain."]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--base", default=os.path.join(ROOT, "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--rlhf", default=os.path.join(ROOT, ".build/release/rlhf"))
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForCausalLM
    from peft import PeftModel
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
