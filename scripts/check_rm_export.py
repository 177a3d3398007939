#!/usr/bin/env python3
"""Check that a reward-model checkpoint written by `rlhf train-rm` loads in HF transformers as
AutoModelForSequenceClassification and gives the scores `rlhf score` gives, within 1e-4.

Usage:
  python3 scripts/check_rm_export.py [--checkpoint DIR] [--rlhf .build/release/rlhf] [--data FILE.jsonl]

Without --checkpoint it first trains a short run (20 steps of MiniLM on examples/preferences) into a
temporary folder. The texts scored are the prompt/answer pairs of --data (default: the first 40 pairs of
examples/preferences/test.jsonl, chosen and rejected, so 80 texts) plus a few plain texts.

Encoders score (prompt, answer) as a sentence pair, as `rlhf score` does for lines with "prompt" and
"completion"; decoders score prompt + answer with EOS appended. Needs: pip install torch transformers.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint")
    ap.add_argument("--rlhf", default=os.path.join(ROOT, ".build/release/rlhf"))
    ap.add_argument("--data", default=os.path.join(ROOT, "examples/preferences/test.jsonl"))
    ap.add_argument("--pairs", type=int, default=40)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="rm-export-")
    ckpt = args.checkpoint
    if ckpt is None:
        out = os.path.join(tmp, "run")
        subprocess.run([args.rlhf, "train-rm", "--model", os.path.join(ROOT, "models/minilm"),
                        "--train-file", os.path.join(ROOT, "examples/preferences/train.jsonl"),
                        "--output-dir", out, "--max-steps", "20", "--per-device-train-batch-size", "8",
                        "--learning-rate", "5e-5", "--progress", "false", "--max-length", "128"], check=True)
        ckpt = os.path.join(out, "checkpoint-20")

    items = []
    with open(args.data) as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            items.append({"prompt": d["prompt"], "completion": d["chosen"]})
            items.append({"prompt": d["prompt"], "completion": d["rejected"]})
            if len(items) >= 2 * args.pairs:
                break
    items += [{"text": "Photosynthesis is the process where plants convert light to energy."},
              {"text": "What is 2+2? Answer: 4"}, {"text": "Hello!"}]
    data = os.path.join(tmp, "texts.jsonl")
    with open(data, "w") as f:
        for it in items:
            f.write(json.dumps(it) + "\n")

    proc = subprocess.run([args.rlhf, "score", "--model", ckpt, "--data", data, "--json"],
                          check=True, capture_output=True, text=True)
    ours = [json.loads(l)["score"] for l in proc.stdout.splitlines() if l.strip()]
    assert len(ours) == len(items), (len(ours), len(items))

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(ckpt)
    model = AutoModelForSequenceClassification.from_pretrained(ckpt, dtype=torch.float32).eval()
    is_decoder = model.config.model_type not in ("bert", "distilbert")
    theirs = []
    with torch.inference_mode():
        for it in items:
            if is_decoder:
                text = it.get("prompt", "") + it.get("completion", it.get("text", ""))
                ids = tok(text).input_ids
                if tok.eos_token_id is not None and ids[-1] != tok.eos_token_id:
                    ids.append(tok.eos_token_id)
                enc = {"input_ids": torch.tensor([ids])}
            elif "text" in it:
                enc = tok(it["text"], return_tensors="pt")
            else:
                enc = tok(it["prompt"], it["completion"], return_tensors="pt")
            theirs.append(model(**enc).logits[0, 0].item())
    worst = max(abs(a - b) for a, b in zip(ours, theirs))
    print(f"checkpoint {ckpt}: {len(items)} texts, max |rlhf score - transformers| = {worst:.3g}")
    if worst > args.tolerance:
        print("FAILED: difference above", args.tolerance)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
