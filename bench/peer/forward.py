#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench forward`: forward passes of the real models (transformers), no grad.

    python3 bench/peer/forward.py [--threads N] [--json] [--case logprobs|encode]

Models are loaded in float32, eval mode, attn_implementation left at the transformers default ("sdpa").
Loading is not timed. Inputs are fixed random ids (torch.manual_seed(0), torch.randint).

Cases, and what is timed (one call each, under torch.inference_mode()):
  logprobs  SmolLM2-135M (models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf, dequantised to float32),
            ids [8,128] uniform over the vocabulary (49152), no attention_mask:
                logits = model(ids).logits
                lp = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None])
            i.e. the full forward (128 positions, LM head over all of them) plus the next-token
            log-softmax and gather.
            -> smollm2.logprobs.b8x128.tokens_per_s = 8*128 / seconds ("tokens/s")
  encode    MiniLM-L6 (models/minilm, transformers AutoModel = BertModel), ids [32,128] uniform in
            [1000, 20000), attention_mask all ones: model(input_ids=ids, attention_mask=mask).last_hidden_state
            (the pooler also runs, as AutoModel's forward always does).
            -> minilm.encode.b32x128.seq_per_s = 32 / seconds ("seq/s")
Timing: 1 warm-up call, then at least 5 timed calls and >= 3 s in all; median.

Each case also reports {smollm2.logprobs,minilm.encode}.peak_rss: getrusage(RUSAGE_SELF).ru_maxrss / 1024
at the end of the case, "MB" -- the high-water mark of the case's own process since it started (python +
torch import, model loading, the timed calls).

Without --case, every case runs in its own subprocess (`python forward.py --case NAME --threads N`),
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
SMOL_DIR = os.path.join(ROOT, "models", "smollm2")
SMOL_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_DIR = os.path.join(ROOT, "models", "minilm")
CASES = ["logprobs", "encode"]


def time_it(fn):
    """1 warm-up call (untimed; its result is returned for checking), then the median of >= 5 calls, >= 3 s."""
    out = fn()
    return median_seconds(fn, warmup=0, min_reps=5, min_total=3.0), out


def logprobs():
    import torch
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(SMOL_DIR, gguf_file=SMOL_GGUF, dtype=torch.float32)
    model.eval()
    b, t = 8, 128
    torch.manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (b, t), dtype=torch.long)

    def step():
        with torch.inference_mode():
            logits = model(ids).logits
            lp = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None])
        return lp

    sec, lp = time_it(step)
    assert tuple(lp.shape) == (b, t - 1, 1) and bool(torch.isfinite(lp).all()), tuple(lp.shape)
    emit("forward", "smollm2.logprobs.b8x128.tokens_per_s", b * t / sec, "tokens/s")
    emit("forward", "smollm2.logprobs.peak_rss", peak_rss_mb(), "MB")


def encode():
    import torch
    from transformers import AutoModel
    model = AutoModel.from_pretrained(MINILM_DIR, dtype=torch.float32)
    model.eval()
    b, t = 32, 128
    torch.manual_seed(0)
    ids = torch.randint(1000, 20000, (b, t), dtype=torch.long)
    mask = torch.ones_like(ids)

    def step():
        with torch.inference_mode():
            return model(input_ids=ids, attention_mask=mask).last_hidden_state

    sec, h = time_it(step)
    assert tuple(h.shape) == (b, t, model.config.hidden_size), tuple(h.shape)
    emit("forward", "minilm.encode.b32x128.seq_per_s", b / sec, "seq/s")
    emit("forward", "minilm.encode.peak_rss", peak_rss_mb(), "MB")


def main():
    args = parse_args(__doc__.splitlines()[0], cases=CASES)
    if args.case is None:
        sys.exit(run_cases_in_subprocesses(__file__, CASES, args.threads))
    quiet_transformers()
    {"logprobs": logprobs, "encode": encode}[args.case]()


if __name__ == "__main__":
    main()
