#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench rm-train` and `rlhf bench rm-score`: the MiniLM reward model (transformers).

    python3 bench/peer/rm.py [--threads N] [--json] [--case train|trl|score]

Model: models/minilm (MiniLM-L6-H384, a BERT) loaded as
    AutoModelForSequenceClassification.from_pretrained(models/minilm, num_labels=1, hidden_dropout_prob=0.0,
                                                       attention_probs_dropout_prob=0.0, dtype=float32)
i.e. BertForSequenceClassification: encoder -> pooler (dense+tanh on [CLS]) -> linear head to one reward.
The head is new (torch.manual_seed(0) before loading). attn_implementation is left at the transformers
default ("sdpa"); no torch.compile; fp32 throughout. Loading is not timed.

Inputs: torch.manual_seed(0); ids = torch.randint(1000, 30000, (32, 128)); ids[:, 0] = 101 ([CLS]);
ids[:, -1] = 102 ([SEP]); attention_mask all ones (every position is real, no padding).

Cases:
  train  (bench rm-train) one plain PyTorch training step on 16 preference pairs of 128 tokens: one batch
         of 32 sequences, ids[:16] = chosen, ids[16:] = rejected; model.train() (dropout is 0):
             r = model(input_ids=ids, attention_mask=mask).logits.squeeze(-1)
             loss = -logsigmoid(r[:16] - r[16:]).mean(); loss.backward()
             clip_grad_norm_(params, 1.0); opt.step(); opt.zero_grad()
         opt = torch.optim.AdamW(lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, fused=True): the
         fused CPU kernel, the optimizer that transformers' Trainer (and so the trl case) picks by default
         (on this 2-core VM its step takes ~9 ms; the default for-each-parameter AdamW ~77 ms).
         Timing: 2 warm-up steps, then at least 5 timed steps and >= 10 s in all; median.
         -> minilm.16x128.seconds_per_step ("s"), minilm.16x128.peak_rss ("MB")
  trl    (bench rm-train) the same step through TRL's RewardTrainer: a datasets.Dataset of pre-tokenized
         pairs (columns chosen_ids / rejected_ids: lists of 128 ids built by the recipe above, 64 batches'
         worth, so no epoch boundary in the timed steps; TRL's collator puts the chosen first, then the
         rejected, and pads nothing since all have length 128; no EOS is appended to pre-tokenized data),
         the same model object, processing_class = the models/minilm tokenizer (TRL only takes its pad token),
         RewardConfig(per_device_train_batch_size=16, learning_rate=1e-5, lr_scheduler_type="constant",
         max_grad_norm=1.0, weight_decay=0.0, adam betas/eps as above, optim left at its default
         (adamw_torch_fused), activation_checkpointing=False (gradient_checkpointing in transformers < 5; TRL's
         default is True), bf16=False (TRL's default
         is True), fp16=False, max_length=128, gradient_accumulation_steps=1, use_cpu=True, seed=0, logging
         only at the end, save_strategy="no", report_to=[], dataloader_num_workers=0, disable_tqdm=True).
         A TrainerCallback times on_step_begin -> on_step_end with time.perf_counter (forward, loss and TRL's
         reward metrics, backward, clip, optimizer step, zero_grad; the Trainer fetches and collates the
         batch just before on_step_begin, which is not timed); it stops training after 2 warm-up steps plus
         at least 5 timed steps and >= 10 s in all; median.
         -> trl.minilm.16x128.seconds_per_step ("s"), trl.minilm.16x128.peak_rss ("MB");
         scripts/bench_compare.py compares trl.X with our X.
  score  (bench rm-score) scoring the 32 sequences, model.eval(), under torch.inference_mode():
             r = model(input_ids=ids, attention_mask=mask).logits.squeeze(-1)
         Timing: 1 warm-up call, then at least 5 timed calls and >= 3 s in all; median.
         -> minilm.32x128.sequences_per_s = 32 / seconds ("seq/s"), minilm.32x128.peak_rss ("MB")

peak_rss: getrusage(RUSAGE_SELF).ru_maxrss / 1024 at the end of the case, "MB" -- the high-water mark of
the case's own process since it started (python + torch (+ trl/datasets) import, model loading, the steps).

Without --case, every case runs in its own subprocess (`python rm.py --case NAME --threads N`), so that each
case's peak RSS is its own; their JSON lines are forwarded to stdout. The trl case needs `pip install trl`
(which brings datasets); if trl cannot be imported that case fails and the others still run.
"""
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (emit, median_seconds, parse_args, peak_rss_mb, quiet_transformers,  # noqa: E402
                    run_cases_in_subprocesses)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MINILM_DIR = os.path.join(ROOT, "models", "minilm")
CASES = ["train", "trl", "score"]
PAIRS, SEQ = 16, 128          # rm-train: 16 preference pairs of 128 tokens
SCORE_BATCH = 32              # rm-score: 32 sequences of 128 tokens
CLS, SEP, LOW, HIGH = 101, 102, 1000, 30000
LR, BETAS, EPS, MAX_GRAD_NORM = 1e-5, (0.9, 0.999), 1e-8, 1.0
WARMUP_STEPS, MIN_STEPS, MIN_TOTAL_S = 2, 5, 10.0
TRL_BATCHES = 64              # batches of pairs in the TRL dataset (the timed steps stay inside one epoch)


def make_ids(n, generator=None):
    """n sequences of SEQ ids: uniform in [LOW, HIGH), [CLS] first, [SEP] last."""
    import torch
    ids = torch.randint(LOW, HIGH, (n, SEQ), dtype=torch.long, generator=generator)
    ids[:, 0] = CLS
    ids[:, -1] = SEP
    return ids


def load_model():
    import torch
    from transformers import AutoModelForSequenceClassification
    torch.manual_seed(0)  # the new reward head
    return AutoModelForSequenceClassification.from_pretrained(
        MINILM_DIR, num_labels=1, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        dtype=torch.float32)


def train():
    import torch
    import torch.nn.functional as F
    model = load_model()
    model.train()
    torch.manual_seed(0)
    ids = make_ids(2 * PAIRS)  # chosen first, then rejected
    mask = torch.ones_like(ids)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0, fused=True)
    losses = []

    def step():
        r = model(input_ids=ids, attention_mask=mask).logits.squeeze(-1)
        loss = -F.logsigmoid(r[:PAIRS] - r[PAIRS:]).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
        opt.step()
        opt.zero_grad()
        losses.append(loss.detach())

    sec = median_seconds(step, warmup=WARMUP_STEPS, min_reps=MIN_STEPS, min_total=MIN_TOTAL_S)
    assert all(bool(torch.isfinite(l)) for l in losses), losses
    emit("rm-train", "minilm.16x128.seconds_per_step", sec, "s")
    emit("rm-train", "minilm.16x128.peak_rss", peak_rss_mb(), "MB")


def trl(threads):
    import dataclasses
    import torch
    import datasets
    from transformers import AutoTokenizer, PrinterCallback, TrainerCallback
    from trl import RewardConfig, RewardTrainer
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()

    model = load_model()
    tok = AutoTokenizer.from_pretrained(MINILM_DIR)
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    chosen, rejected = [], []
    for b in range(TRL_BATCHES):
        # pairs 0..15 are the train case's batch; the Trainer shuffles, and every batch has the same shape
        ids = make_ids(2 * PAIRS) if b == 0 else make_ids(2 * PAIRS, generator=g)
        chosen += ids[:PAIRS].tolist()
        rejected += ids[PAIRS:].tolist()
    train_dataset = datasets.Dataset.from_dict({"chosen_ids": chosen, "rejected_ids": rejected})

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self.t0, self.steps = [], None, 0

        def on_train_begin(self, args, state, control, model=None, **kw):
            torch.set_num_threads(threads)  # in case anything in the Trainer stack changed it
            on = (model.is_activation_checkpointing if hasattr(type(model), "is_activation_checkpointing")
                  else model.is_gradient_checkpointing)
            assert not on, "activation checkpointing is on"
            assert all(p.dtype == torch.float32 for p in model.parameters())

        def on_step_begin(self, args, state, control, **kw):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kw):
            dt = time.perf_counter() - self.t0
            self.steps += 1
            if self.steps > WARMUP_STEPS:
                self.times.append(dt)
            if len(self.times) >= MIN_STEPS and sum(self.times) >= MIN_TOTAL_S:
                control.should_training_stop = True
            return control

    timer = StepTimer()
    # TRL defaults to activation checkpointing; transformers 5 renamed gradient_checkpointing (now a deprecated
    # alias) to activation_checkpointing: switch it off by whichever name this version has.
    fields = {f.name for f in dataclasses.fields(RewardConfig)}
    no_ckpt = "activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"
    with tempfile.TemporaryDirectory(prefix="rm-trl-") as out:
        config = RewardConfig(
            output_dir=out,
            per_device_train_batch_size=PAIRS,
            gradient_accumulation_steps=1,
            learning_rate=LR,
            lr_scheduler_type="constant",
            warmup_steps=0,
            adam_beta1=BETAS[0], adam_beta2=BETAS[1], adam_epsilon=EPS,
            weight_decay=0.0,
            max_grad_norm=MAX_GRAD_NORM,
            max_length=SEQ,
            bf16=False, fp16=False,
            use_cpu=True,
            seed=0,
            max_steps=TRL_BATCHES,
            logging_steps=10**6,
            save_strategy="no",
            report_to=[],
            dataloader_num_workers=0,
            disable_tqdm=True,
            **{no_ckpt: False},
        )
        trainer = RewardTrainer(model=model, args=config, train_dataset=train_dataset, processing_class=tok,
                                callbacks=[timer])
        trainer.remove_callback(PrinterCallback)  # it prints the final log dict on stdout (disable_tqdm=True)
        trainer.train()
        threads_used = torch.get_num_threads()
    assert threads_used == threads, (threads_used, threads)
    assert len(timer.times) >= MIN_STEPS, f"only {len(timer.times)} timed steps (dataset too small?)"
    emit("rm-train", "trl.minilm.16x128.seconds_per_step", statistics.median(timer.times), "s")
    emit("rm-train", "trl.minilm.16x128.peak_rss", peak_rss_mb(), "MB")


def score():
    import torch
    model = load_model()
    model.eval()
    torch.manual_seed(0)
    ids = make_ids(SCORE_BATCH)
    mask = torch.ones_like(ids)

    def step():
        with torch.inference_mode():
            return model(input_ids=ids, attention_mask=mask).logits.squeeze(-1)

    r = step()  # the warm-up call (untimed); also checks the output
    assert tuple(r.shape) == (SCORE_BATCH,) and bool(torch.isfinite(r).all()), tuple(r.shape)
    sec = median_seconds(step, warmup=0, min_reps=5, min_total=3.0)
    emit("rm-score", "minilm.32x128.sequences_per_s", SCORE_BATCH / sec, "seq/s")
    emit("rm-score", "minilm.32x128.peak_rss", peak_rss_mb(), "MB")


def main():
    args = parse_args(__doc__.splitlines()[0], cases=CASES)
    if args.case is None:
        sys.exit(run_cases_in_subprocesses(__file__, CASES, args.threads))
    quiet_transformers()
    if args.case == "train":
        train()
    elif args.case == "trl":
        trl(args.threads)
    else:
        score()


if __name__ == "__main__":
    main()
