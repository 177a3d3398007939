#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench generate`: SmolLM2-135M greedy generation with the KV cache (transformers).

    python3 bench/peer/generate.py [--threads N] [--json] [--case b1|b8]

Model: models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, loaded by transformers with gguf_file=... and
dequantised to float32; eval mode; attn_implementation left at the transformers default, which is
"sdpa" (torch.nn.functional.scaled_dot_product_attention). Loading is not timed.

Prompt: exactly 32 tokens, the first 32 ids of PARAGRAPH below (tokenizer from models/smollm2,
add_special_tokens=False, so no BOS). Cases:
  b1  batch 1: input_ids [1,32]
  b8  batch 8: the same 32 ids repeated 8 times, [8,32] (no padding)
attention_mask is all ones.

What is timed: one call, under torch.inference_mode(), of
    model.generate(input_ids, attention_mask=ones, max_new_tokens=64, min_new_tokens=64,
                   do_sample=False, use_cache=True, pad_token_id=eos)
i.e. the prefill of the 32 prompt tokens plus 64 decode steps (greedy; min_new_tokens=64 so EOS cannot
end it early), including transformers' generation overhead (logits processors, stopping criteria).
Timing: 1 warm-up call, then at least 3 timed calls and >= 5 s in all; value = batch*64 / median seconds.

Metrics (one JSON line each):
  smollm2.{b1,b8}.tokens_per_s  generated tokens per second (batch*64 / seconds), "tokens/s"
  smollm2.{b1,b8}.peak_rss      getrusage(RUSAGE_SELF).ru_maxrss / 1024 at the end of the case, "MB".
                                It is the high-water mark of the case's own process since it started:
                                python + torch import, loading/dequantising the GGUF, and generation.

Without --case, every case runs in its own subprocess (`python generate.py --case NAME --threads N`),
so that each case's peak RSS is its own; their JSON lines are forwarded to stdout.
"""
import os
import sys

# No progress bars on stderr (the GGUF dequantisation has one); must be set before torch imports tqdm.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (emit, median_seconds, parse_args, peak_rss_mb, quiet_transformers,  # noqa: E402
                    run_cases_in_subprocesses)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL_DIR = os.path.join(ROOT, "models", "smollm2")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CASES = {"b1": 1, "b8": 8}
PROMPT_TOKENS = 32
NEW_TOKENS = 64
PARAGRAPH = (
    "The river runs quietly past the old mill at the edge of the village. In spring the water rises "
    "and covers the low fields, and the farmers wait for it to fall before they plant. Children "
    "walk along the bank after school, counting the boats that drift toward the sea, while their "
    "grandparents sit on wooden benches and talk about the weather and the price of bread."
)


def run_case(name):
    quiet_transformers()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    batch = CASES[name]
    tok = AutoTokenizer.from_pretrained(MODEL_DIR, gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, gguf_file=GGUF, dtype=torch.float32)
    model.eval()
    ids = tok(PARAGRAPH, add_special_tokens=False).input_ids
    assert len(ids) >= PROMPT_TOKENS, f"paragraph has only {len(ids)} tokens"
    input_ids = torch.tensor([ids[:PROMPT_TOKENS]] * batch, dtype=torch.long)
    attention_mask = torch.ones_like(input_ids)
    pad = model.generation_config.pad_token_id
    if pad is None:
        pad = tok.eos_token_id

    def gen():
        with torch.inference_mode():
            return model.generate(input_ids, attention_mask=attention_mask, max_new_tokens=NEW_TOKENS,
                                  min_new_tokens=NEW_TOKENS, do_sample=False, use_cache=True,
                                  pad_token_id=pad)

    out = gen()  # the one warm-up call (untimed); also checks that exactly 64 tokens were generated
    assert tuple(out.shape) == (batch, PROMPT_TOKENS + NEW_TOKENS), tuple(out.shape)
    sec = median_seconds(gen, warmup=0, min_reps=3, min_total=5.0)
    emit("generate", f"smollm2.{name}.tokens_per_s", batch * NEW_TOKENS / sec, "tokens/s")
    emit("generate", f"smollm2.{name}.peak_rss", peak_rss_mb(), "MB")


def main():
    args = parse_args(__doc__.splitlines()[0], cases=list(CASES))
    if args.case is None:
        sys.exit(run_cases_in_subprocesses(__file__, list(CASES), args.threads))
    run_case(args.case)


if __name__ == "__main__":
    main()
