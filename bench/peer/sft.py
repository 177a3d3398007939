#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench sft-step`: one supervised fine-tuning step of SmolLM2-135M (transformers, PEFT).

    python3 bench/peer/sft.py [--threads N] [--json] [--case full|lora]

Model: models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf as transformers dequantises it,
    AutoModelForCausalLM.from_pretrained(models/smollm2, gguf_file=SmolLM2-135M-Instruct.Q4_1.gguf, dtype=float32)
i.e. LlamaForCausalLM, 30 layers, hidden 576, 9 query / 3 key-value heads, MLP 1536, vocabulary 49152, LM head
tied to the embedding (134.5M parameters, one copy of the tied matrix). model.train() (Llama has no dropout;
attention_dropout is 0). attn_implementation is left at the transformers default ("sdpa"); no torch.compile, no
gradient (activation) checkpointing (asserted), fp32 throughout (asserted). Loading is not timed.

Inputs: torch.manual_seed(0); ids = torch.randint(1000, 49000, (4, 128)); attention_mask all ones (no padding);
labels = ids.

One step (both cases):
    loss = model(input_ids=ids, attention_mask=mask, labels=ids, use_cache=False).loss
    loss.backward()
    clip_grad_norm_(trainable, 1.0); opt.step(); opt.zero_grad()
The loss is transformers' standard causal-LM loss: logits for all 4x128 positions (the LM head runs over every
position), labels shifted left with the last position ignored, mean cross-entropy over the 4x127 next-token
predictions. use_cache=False only stops the forward from copying every layer's keys and values into a
DynamicCache (which config.use_cache=True would do in training too); it does not change the loss or gradients.
opt = torch.optim.AdamW(trainable, lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, fused=True): the
fused CPU kernel (transformers' Trainer's default optimizer); zero_grad sets the gradients to None.
Every step uses the same batch. The losses of all steps are checked to be finite.
Timing: 2 warm-up steps, then at least 5 timed steps and >= 10 s in all; median.

Cases:
  full  every parameter trained (trainable = model.parameters(), 134.5M).
        -> smollm2.full.4x128.seconds_per_step ("s"), smollm2.full.4x128.peak_rss ("MB")
  lora  PEFT LoRA adapters on the frozen model: torch.manual_seed(0);
            model = peft.get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0,
                target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                bias="none", task_type="CAUSAL_LM"))
        (PEFT's default init: lora_A Kaiming-uniform, lora_B zero; scale alpha/r = 2), trainable = the adapter
        weights only (lora_A/lora_B of the 7 projections x 30 layers: 4.88M parameters; asserted), AdamW over
        those. The base weights get no gradients; the backward still runs through every layer for the
        activations' gradients.
        -> peft.smollm2.lora16.4x128.seconds_per_step ("s"), peft.smollm2.lora16.4x128.peak_rss ("MB");
        scripts/bench_compare.py compares peft.X with our X.

peak_rss: getrusage(RUSAGE_SELF).ru_maxrss / 1024 at the end of the case, "MB" -- the high-water mark of the
case's own process since it started (python + torch (+ peft) import, GGUF loading and dequantisation, the steps).

Without --case, every case runs in its own subprocess (`python sft.py --case NAME --threads N`), so that each
case's peak RSS is its own; their JSON lines are forwarded to stdout. The lora case needs `pip install peft`;
if peft cannot be imported that case fails and the other still runs.
"""
import os
import sys

# No progress bars on stderr (the GGUF dequantisation has one); must be set before torch imports tqdm.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (emit, median_seconds, parse_args, peak_rss_mb, quiet_transformers,  # noqa: E402
                    run_cases_in_subprocesses)
from smollm_lora import LORA_ALPHA, LORA_R, LORA_TARGETS, SMOL_DIR, SMOL_GGUF, check_model, lora_count  # noqa: E402

CASES = ["full", "lora"]
BENCH = "sft-step"
BATCH, SEQ = 4, 128
LOW, HIGH = 1000, 49000
LR, BETAS, EPS, MAX_GRAD_NORM = 1e-5, (0.9, 0.999), 1e-8, 1.0
WARMUP_STEPS, MIN_STEPS, MIN_TOTAL_S = 2, 5, 10.0


def load_model():
    import torch
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(SMOL_DIR, gguf_file=SMOL_GGUF, dtype=torch.float32)
    model.train()
    return model


def timed_steps(model, trainable):
    """Median seconds per step (the step in the docstring) and the losses of every step run."""
    import torch
    torch.manual_seed(0)
    ids = torch.randint(LOW, HIGH, (BATCH, SEQ), dtype=torch.long)
    mask = torch.ones_like(ids)
    opt = torch.optim.AdamW(trainable, lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0, fused=True)
    losses = []

    def step():
        loss = model(input_ids=ids, attention_mask=mask, labels=ids, use_cache=False).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        opt.step()
        opt.zero_grad()
        losses.append(loss.detach())

    sec = median_seconds(step, warmup=WARMUP_STEPS, min_reps=MIN_STEPS, min_total=MIN_TOTAL_S)
    assert all(bool(torch.isfinite(l)) for l in losses), [float(l) for l in losses]
    assert losses[0].dim() == 0
    return sec, losses


def full():
    model = load_model()
    check_model(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert len(trainable) == len(list(model.parameters())), "some parameters are frozen"
    sec, _ = timed_steps(model, trainable)
    check_model(model)
    emit(BENCH, "smollm2.full.4x128.seconds_per_step", sec, "s")
    emit(BENCH, "smollm2.full.4x128.peak_rss", peak_rss_mb(), "MB")


def lora():
    import warnings
    import torch
    from peft import LoraConfig, get_peft_model
    # PeftModel's constructor reads model.is_gradient_checkpointing, which transformers 5 deprecates (renamed
    # is_activation_checkpointing) with a FutureWarning on stderr; it is False here (asserted below) either way.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*is deprecated", category=FutureWarning)
    base = load_model()
    check_model(base)
    expected = lora_count(base)
    torch.manual_seed(0)  # the lora_A init
    config = LoraConfig(r=LORA_R, lora_alpha=LORA_ALPHA, lora_dropout=0.0, target_modules=LORA_TARGETS,
                        bias="none", task_type="CAUSAL_LM")
    model = get_peft_model(base, config)
    model.train()
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    trainable = [p for _, p in named]
    assert all(".lora_A." in n or ".lora_B." in n for n, _ in named), [n for n, _ in named][:5]
    assert sum(p.numel() for p in trainable) == expected, (sum(p.numel() for p in trainable), expected)
    sec, _ = timed_steps(model, trainable)
    hf = model.get_base_model()
    check_model(hf)
    # the adapters did train (lora_B starts at zero)
    assert any(bool(p.detach().abs().max() > 0) for n, p in named if ".lora_B." in n), "lora_B still zero"
    emit(BENCH, "peft.smollm2.lora16.4x128.seconds_per_step", sec, "s")
    emit(BENCH, "peft.smollm2.lora16.4x128.peak_rss", peak_rss_mb(), "MB")


def main():
    args = parse_args(__doc__.splitlines()[0], cases=CASES)
    if args.case is None:
        sys.exit(run_cases_in_subprocesses(__file__, CASES, args.threads))
    quiet_transformers()
    {"full": full, "lora": lora}[args.case]()


if __name__ == "__main__":
    main()
