#!/usr/bin/env python3
"""Check that a decoder exported by swift-rlhf (saveCausalLM) loads in HF transformers as
AutoModelForCausalLM + AutoTokenizer and agrees with us: last-position logits within 1e-4 on 6 prompts,
identical input_ids, and the same chat-template rendering.

Usage:
  python3 scripts/check_causal_export.py [--folder DIR] [--rlhf .build/release/rlhf]
                                         [--scratch-path .build] [--skip-build] [--tolerance 1e-4]

Without --folder it first writes SmolLM2 (from its GGUF, models/smollm2) as a HF folder, by running
  RLHF_EXPORT_DIR=<tmp>/smollm2-hf swift test -c release --scratch-path <scratch> --filter SmolLM2ScriptExportTests
which also writes <tmp>/smollm2-hf.ours.json: our ids of the tokenizer corpus and our chat renderings. With
--skip-build, the test is run from an existing build (`swift build -c release -Xswiftc -enable-testing
--build-tests` with the same scratch path), which avoids a rebuild. With --folder DIR, DIR.ours.json is used when it exists (else only the prompts' ids are compared and the chat check
is skipped).

Our logits and ids come from `rlhf inspect --model DIR --text TEXT --json` (which loads the exported folder).
Needs: pip install torch transformers tokenizers.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMPTS = ["The capital of France is", "def fibonacci(n):\n    return", "Once upon a time, 1234 robots",
           "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", "  leading spaces and émojis 🎉",
           "The quick brown fox jumps over the lazy dog."]


def export_smollm2(scratch, skip_build):
    folder = os.path.join(tempfile.mkdtemp(prefix="causal-export-"), "smollm2-hf")
    env = dict(os.environ, RLHF_EXPORT_DIR=folder)
    cmd = ["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing", "--scratch-path", scratch,
           "--filter", "SmolLM2ScriptExportTests"] + (["--skip-build"] if skip_build else [])
    print("$ RLHF_EXPORT_DIR=" + folder + " " + " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    if not os.path.isfile(os.path.join(folder, "config.json")):
        sys.exit(f"FAILED: the export test did not write {folder}")
    return folder


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", help="an exported HF folder (default: export SmolLM2 first)")
    ap.add_argument("--rlhf", default=os.path.join(ROOT, ".build/release/rlhf"))
    ap.add_argument("--scratch-path", default=os.path.join(ROOT, ".build"),
                    help="swift build scratch path for the export test (default .build)")
    ap.add_argument("--skip-build", action="store_true", help="pass --skip-build to swift test")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    folder = args.folder or export_smollm2(args.scratch_path, args.skip_build)
    ours_path = folder.rstrip("/") + ".ours.json"
    ours_extra = json.load(open(ours_path)) if os.path.isfile(ours_path) else None
    prompts = ours_extra["prompts"] if ours_extra else PROMPTS

    import tokenizers
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(folder)
    model, info = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, output_loading_info=True)
    model.eval()
    failures = []
    bad_keys = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    print(f"folder {folder}: {type(model).__name__}, {type(tok).__name__}, loading info {bad_keys or 'clean'}")
    if bad_keys:
        failures.append(f"loading info: {bad_keys}")

    # 1. logits and ids of the prompts: ours from `rlhf inspect`, theirs from transformers
    worst = 0.0
    for text in prompts:
        out = subprocess.run([args.rlhf, "inspect", "--model", folder, "--text", text, "--json"],
                             check=True, capture_output=True, text=True).stdout
        ours = json.loads(out)
        ids = tok(text).input_ids
        if ids != ours["input_ids"]:
            failures.append(f"input_ids of {text!r}: transformers {ids} vs ours {ours['input_ids']}")
            continue
        with torch.inference_mode():
            theirs = model(torch.tensor([ids])).logits[0, -1].double()
        diff = (theirs - torch.tensor(ours["last_logits"], dtype=torch.float64)).abs().max().item()
        worst = max(worst, diff)
        print(f"  {text!r:60.60} {len(ids):3d} tokens, last logits max |diff| {diff:.3g}")
    print(f"last-position logits on {len(prompts)} prompts: max |ours - transformers| = {worst:.3g} "
          f"(tolerance {args.tolerance:g})")
    if worst > args.tolerance:
        failures.append(f"logits differ by {worst:.3g} > {args.tolerance:g}")

    # 2. ids of the whole corpus and the chat template, against what our tokenizer wrote
    if ours_extra:
        corpus, corpus_ids = ours_extra["corpus"], ours_extra["corpus_ids"]
        raw = tokenizers.Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        for name, encode in [("transformers AutoTokenizer", lambda t: tok(t).input_ids),
                             ("tokenizers Tokenizer.from_file", lambda t: raw.encode(t).ids)]:
            bad = [t for t, ids in zip(corpus, corpus_ids) if encode(t) != ids]
            print(f"tokenizer: {len(corpus) - len(bad)}/{len(corpus)} corpus strings give identical ids ({name} vs ours)")
            if bad:
                failures.append(f"{name}: ids differ on {len(bad)} strings, e.g. {bad[:3]!r}")
        bad_decode = [t for t, ids in zip(corpus, corpus_ids) if tok.decode(ids) != t]
        print(f"tokenizer: {len(corpus) - len(bad_decode)}/{len(corpus)} corpus strings decode back to themselves")
        if bad_decode:
            failures.append(f"decode differs on {len(bad_decode)} strings, e.g. {bad_decode[:3]!r}")
        same_chat = 0
        for chat in ours_extra["chats"]:
            text = tok.apply_chat_template(chat["messages"], tokenize=False,
                                           add_generation_prompt=chat["add_generation_prompt"])
            if text == chat["text"]:
                same_chat += 1
            else:
                failures.append(f"chat template: transformers {text!r} vs ours {chat['text']!r}")
        print(f"chat template: {same_chat}/{len(ours_extra['chats'])} renderings identical (apply_chat_template vs ours)")
    else:
        print(f"no {ours_path}: corpus ids and chat template not compared")

    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
