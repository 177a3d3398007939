#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench dpo-step`: one DPO step on SmolLM2-135M + LoRA (TRL's DPOTrainer; PEFT + PyTorch).

    python3 bench/peer/dpo.py [--threads N] [--json] [--case trl|peft]

Model: models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf as transformers dequantises it, as bench/peer/sft.py loads it,
    AutoModelForCausalLM.from_pretrained(models/smollm2, gguf_file=SmolLM2-135M-Instruct.Q4_1.gguf, dtype=float32)
(LlamaForCausalLM, 30 layers, hidden 576, vocabulary 49152, LM head tied to the embedding). model.train(); Llama
has no dropout (asserted: no Dropout module with p > 0, attention_dropout 0). attn_implementation is left at the
transformers default ("sdpa"); no torch.compile, no gradient (activation) checkpointing (asserted), fp32
throughout (asserted). Loading is not timed.

LoRA (both cases): LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj",
"o_proj", "gate_proj", "up_proj", "down_proj"], bias="none", task_type="CAUSAL_LM"), PEFT's default init (lora_A
Kaiming-uniform after torch.manual_seed(0); lora_B = 0; scale alpha/r = 2). Trainable: the adapter weights only
(4.88M parameters, asserted). Reference: the same model with its adapters disabled (no second copy of the model).

Data (both cases): 4 preference pairs, no padding. Pair i (0..3):
    prompt[j]   = 1000 + (i*7919 + j*104729) % 48000                 j = 0..63
    chosen[j]   = 1000 + (i*7919 + (64+j)*104729) % 48000            j = 0..63
    rejected[j] = 1000 + (i*7919 + (128+j)*104729 + 17) % 48000      j = 0..63
so every sequence is prompt + completion = 128 tokens, 8 sequences per step: one batch [8, 128] holding the
4 prompt+chosen rows first, then the 4 prompt+rejected rows; attention_mask all ones. The same 4 pairs every step.

One step (both cases; DPO sigmoid loss, beta 0.1):
    policy: one forward of the 8 sequences with the adapters on (with gradients);
    reference: one forward of the same 8 sequences under torch.no_grad() with the adapters disabled;
    logp(seq) = the sum over the 64 completion tokens t = 64..127 of log softmax(logits[t-1])[ids[t]]
    loss = mean over the 4 pairs of -logsigmoid(0.1 * ((pi_c - pi_r) - (ref_c - ref_r)))
    loss.backward(); clip_grad_norm_(adapter weights, 1.0); AdamW step; zero_grad (gradients set to None)
AdamW: lr 1e-6 (TRL's DPO default), constant, betas (0.9, 0.999), eps 1e-8, weight_decay 0, fused=True (the fused
CPU kernel; transformers' Trainer's default optimizer adamw_torch_fused is the same).
At step 1, lora_B = 0 makes the policy equal to the reference, so the loss is log 2 exactly: the first step's loss
is printed on stderr and asserted to be log 2 to 1e-4 (a check that each case computes DPO); the losses of all
steps are checked to be finite, and lora_B to have moved off zero at the end.

Cases:
  trl   TRL's own DPOTrainer (trl 1.16) with model = the base transformers model and peft_config = the LoraConfig
        above (TRL wraps it itself, after set_seed(0); ref_model=None, so its reference is the adapters disabled;
        handing TRL a PeftModel instead would make it copy the adapter into a second "ref" adapter), processing_class
        = the models/smollm2 GGUF tokenizer (TRL only reads its pad token: nothing is padded). DPOConfig(beta=0.1,
        loss_type=["sigmoid"], learning_rate=1e-6, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0,
        adam betas/eps as above, optim left at its default (adamw_torch_fused), max_grad_norm=1.0,
        per_device_train_batch_size=4, gradient_accumulation_steps=1, max_length=None (no truncation),
        precompute_ref_log_probs=False, activation_checkpointing=False and gradient_checkpointing=False (TRL's
        default is True), bf16=False (TRL's default is True), fp16=False, use_cpu=True, seed=0, logging only at
        the end, save_strategy="no", report_to=[], dataloader_num_workers=0, disable_tqdm=True (and TQDM_DISABLE=1),
        disable_dropout left True (there is no dropout)).
        GGUF: transformers marks a model loaded from a GGUF file as quantized (its hf_quantizer, whose is_trainable
        is False), and Trainer.__init__ then refuses to train it, although every weight was dequantised to a plain
        float32 nn.Linear / nn.Embedding at load; the case asserts that and clears the mark (model.hf_quantizer =
        None, model.is_quantized = False) before handing the model to TRL. The peft case needs no such thing.
        Pre-tokenized data: TRL 1.16's DPOTrainer only takes text (its _prepare_dataset always extracts the prompt,
        appends EOS and tokenizes; random ids would not survive a decode/encode round trip), so a 3-line subclass
        overrides _prepare_dataset to pass a datasets.Dataset that already has TRL's tokenized columns prompt_ids /
        chosen_ids / rejected_ids through unchanged (no EOS appended). TRL's own DataCollatorForPreference
        (wrapped to assert once that the batch it builds is exactly the 8 x 128 ids above, chosen rows first, no
        padding, completion_mask on positions 64..127) and TRL's own step (_compute_loss) do the rest. The same
        subclass records the loss each compute_loss returns (a detached tensor; no sync).
        What TRL does differently inside its step: it patches the model with its fused LM head (add_fused_lm_head),
        which returns per-token log-probs without materialising the [8, 127, 49152] logits, in tiles of <= 4096
        tokens x 32768 vocabulary columns with an online logsumexp; on CPU (no Triton) it scores every one of the
        8 x 127 next-token positions (prompt positions included, masked to 0 afterwards), for both forwards, and
        recomputes the tiles in the backward. It also computes, per step, the entropy, mean logit and top-1 flags of
        those positions and a dozen logging metrics (.item() calls): all part of TRL's step, all timed.
        Timing: a TrainerCallback times on_step_begin -> on_step_end with time.perf_counter (TRL's forward passes,
        loss and metrics, backward, clip, optimizer step, scheduler step, zero_grad; the Trainer fetches and
        collates the batch just before on_step_begin, which is not timed). The dataset has 4 rows, so each step is
        one epoch of one batch (the Trainer shuffles the rows; the loss, a mean over pairs, does not depend on
        their order). 1 warm-up step, then the callback stops training once >= 3 timed steps add up to >= 10 s
        (max_steps is only a cap); median.
        -> trl.smollm2.lora16.dpo4x128.seconds_per_step ("s"), trl.smollm2.lora16.dpo4x128.peak_rss ("MB")
  peft  a plain PyTorch loop over peft.get_peft_model(model, LoraConfig above) (torch.manual_seed(0) before):
            out = model(input_ids=ids, attention_mask=mask, use_cache=False, logits_to_keep=65)
            logits = out.logits[:, :-1]            # [8, 64, V]: positions 63..126, which predict tokens 64..127
            logp = (logits.gather(-1, ids[:, 64:, None]).squeeze(-1) - logits.logsumexp(-1)).sum(-1)
        (the LM head runs only over the 65 last positions; the log-prob of the target as its logit minus the
        logsumexp of its row, as TRL's selective_log_softmax does for fp32, without a full [8, 64, V] log_softmax
        tensor in the forward). The reference: the same lines under torch.no_grad() and `with
        model.disable_adapter():`. Then the loss, backward, clip_grad_norm_, torch.optim.AdamW(fused=True) step
        and zero_grad as above.
        Timing: 1 warm-up step, then at least 3 timed steps and >= 10 s in all (common.median_seconds); median.
        -> peft.smollm2.lora16.dpo4x128.seconds_per_step ("s"), peft.smollm2.lora16.dpo4x128.peak_rss ("MB")
scripts/bench_compare.py compares trl.X and peft.X with our X (two rows, "X (vs TRL)" and "X (vs PEFT)").

peak_rss: getrusage(RUSAGE_SELF).ru_maxrss / 1024 at the end of the case, "MB" -- the high-water mark of the
case's own process since it started (python + torch + peft (+ trl/datasets/accelerate) import, GGUF loading and
dequantisation, the steps).

Without --case, every case runs in its own subprocess (`python dpo.py --case NAME --threads N`), so that each
case's peak RSS is its own; their JSON lines are forwarded to stdout. Both cases need `pip install peft`, the trl
case also `pip install trl` (tested with trl 1.16.0); a case whose module cannot be imported fails and the other
still runs.
"""
import math
import os
import statistics
import sys
import tempfile
import time

# No progress bars on stderr (the GGUF dequantisation has one); must be set before torch imports tqdm.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smollm_lora import (SMOL_DIR, SMOL_GGUF, check_adapters, check_model, load_model, lora_config,  # noqa: E402
                         lora_count)
from common import (emit, median_seconds, parse_args, peak_rss_mb, quiet_transformers,  # noqa: E402
                    run_cases_in_subprocesses)

CASES = ["trl", "peft"]
BENCH = "dpo-step"
METRIC = "smollm2.lora16.dpo4x128"
PAIRS, PROMPT_LEN, COMPLETION_LEN = 4, 64, 64
BETA = 0.1
LR, BETAS, EPS, MAX_GRAD_NORM = 1e-6, (0.9, 0.999), 1e-8, 1.0
WARMUP_STEPS, MIN_STEPS, MIN_TOTAL_S = 1, 3, 10.0
TRL_MAX_STEPS = 1000          # a cap only: the timing callback stops training earlier


def pairs():
    """The 4 (prompt, chosen, rejected) id lists, 64 ids each (the same formula as the Swift `rlhf bench dpo-step`)."""
    out = []
    for i in range(PAIRS):
        prompt = [1000 + (i * 7919 + j * 104729) % 48000 for j in range(PROMPT_LEN)]
        chosen = [1000 + (i * 7919 + (PROMPT_LEN + j) * 104729) % 48000 for j in range(COMPLETION_LEN)]
        rejected = [1000 + (i * 7919 + (2 * PROMPT_LEN + j) * 104729 + 17) % 48000 for j in range(COMPLETION_LEN)]
        out.append((prompt, chosen, rejected))
    return out


def batch_ids():
    """[8, 128]: the 4 prompt+chosen rows, then the 4 prompt+rejected rows."""
    import torch
    ps = pairs()
    return torch.tensor([p + c for p, c, _ in ps] + [p + r for p, _, r in ps], dtype=torch.long)


def check_losses(case, losses):
    import torch
    assert losses, "no step ran"
    assert all(bool(torch.isfinite(l)) for l in losses), [float(l) for l in losses]
    first = float(losses[0])
    print(f"dpo.py: case {case}: step 1 loss {first:.6f} (log 2 = {math.log(2):.6f}); "
          f"last {float(losses[-1]):.6f} after {len(losses)} steps", file=sys.stderr, flush=True)
    assert abs(first - math.log(2)) < 1e-4, f"step 1 loss {first} != log 2: not DPO with policy == reference?"


def trl_case(threads):
    import dataclasses
    import torch
    import datasets
    from transformers import AutoTokenizer, PrinterCallback, TrainerCallback
    from trl import DPOConfig, DPOTrainer
    from trl.trainer.dpo_trainer import DataCollatorForPreference
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()

    base = load_model()
    check_model(base)
    # transformers marks a model loaded from a GGUF file as quantized (hf_quantizer = its GgufHfQuantizer, whose
    # is_trainable is False), so Trainer.__init__ refuses to train it. Here every weight was dequantised at load
    # (plain nn.Linear / nn.Embedding with float32 weights, asserted; no GGUF-packed module kept): drop the mark.
    assert not getattr(base.hf_quantizer, "packed_modules", None), "GGUF-packed modules kept"
    plain = ("torch.", "transformers.models.", "transformers.activations")
    assert all(type(m).__module__.startswith(plain) for m in base.modules()), "a non-plain module"
    base.hf_quantizer, base.is_quantized = None, False
    expected = lora_count(base)
    tok = AutoTokenizer.from_pretrained(SMOL_DIR, gguf_file=SMOL_GGUF)
    ps = pairs()
    train_dataset = datasets.Dataset.from_dict({"prompt_ids": [p for p, _, _ in ps],
                                                "chosen_ids": [c for _, c, _ in ps],
                                                "rejected_ids": [r for _, _, r in ps]})
    want = batch_ids()
    want_pairs = sorted((tuple(want[i].tolist()), tuple(want[PAIRS + i].tolist())) for i in range(PAIRS))
    want_completion = torch.zeros_like(want)
    want_completion[:, PROMPT_LEN:] = 1
    trl_losses = []

    class PreTokenizedDPOTrainer(DPOTrainer):
        """TRL 1.16's DPOTrainer, but taking a dataset already in its tokenized form (prompt_ids / chosen_ids /
        rejected_ids) as it is, and recording the loss of every step (in trl_losses)."""

        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
            return dataset

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            trl_losses.append((loss[0] if return_outputs else loss).detach())
            return loss

    class CheckedCollator:
        """TRL's DataCollatorForPreference; asserts once that it built exactly the ids above."""

        def __init__(self, inner):
            self.inner, self.checked = inner, False

        def __call__(self, examples):
            batch = self.inner(examples)
            if not self.checked:
                ids = batch["input_ids"]
                assert tuple(ids.shape) == (2 * PAIRS, PROMPT_LEN + COMPLETION_LEN), tuple(ids.shape)
                got = sorted((tuple(ids[i].tolist()), tuple(ids[PAIRS + i].tolist())) for i in range(PAIRS))
                assert got == want_pairs, "the batch TRL builds is not the 4 pairs (chosen rows first)"
                assert bool((batch["attention_mask"] == 1).all()), "padding in the batch"
                assert torch.equal(batch["completion_mask"], want_completion), "completion_mask is not 64..127"
                self.checked = True
            return batch

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times, self.t0, self.steps = [], None, 0

        def on_train_begin(self, args, state, control, model=None, **kw):
            torch.set_num_threads(threads)  # in case anything in the Trainer stack changed it
            check_model(model.get_base_model())

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
    collator = CheckedCollator(DataCollatorForPreference(pad_token_id=tok.pad_token_id if tok.pad_token_id is not None
                                                         else tok.eos_token_id, max_length=None))
    # TRL defaults to activation checkpointing; transformers 5 renamed gradient_checkpointing (now a deprecated
    # alias) to activation_checkpointing: switch it off by every name this version has.
    fields = {f.name for f in dataclasses.fields(DPOConfig)}
    no_ckpt = {k: False for k in ("activation_checkpointing", "gradient_checkpointing") if k in fields}
    with tempfile.TemporaryDirectory(prefix="dpo-trl-") as out:
        config = DPOConfig(
            output_dir=out,
            beta=BETA,
            loss_type=["sigmoid"],
            per_device_train_batch_size=PAIRS,
            gradient_accumulation_steps=1,
            learning_rate=LR,
            lr_scheduler_type="constant",
            warmup_steps=0,
            adam_beta1=BETAS[0], adam_beta2=BETAS[1], adam_epsilon=EPS,
            weight_decay=0.0,
            max_grad_norm=MAX_GRAD_NORM,
            max_length=None,
            precompute_ref_log_probs=False,
            bf16=False, fp16=False,
            use_cpu=True,
            seed=0,
            max_steps=TRL_MAX_STEPS,
            logging_steps=10**6,
            save_strategy="no",
            report_to=[],
            dataloader_num_workers=0,
            disable_tqdm=True,
            **no_ckpt,
        )
        trainer = PreTokenizedDPOTrainer(model=base, ref_model=None, args=config, data_collator=collator,
                                         train_dataset=train_dataset, processing_class=tok,
                                         peft_config=lora_config(), callbacks=[timer])
        trainer.remove_callback(PrinterCallback)  # it prints the final log dict on stdout (disable_tqdm=True)
        assert trainer.ref_model is None, "TRL built a separate reference model"
        named = check_adapters(trainer.model, expected)
        trainer.train()
        threads_used = torch.get_num_threads()
    assert threads_used == threads, (threads_used, threads)
    assert collator.checked, "the collator never ran"
    assert len(timer.times) >= MIN_STEPS, f"only {len(timer.times)} timed steps"
    assert len(trl_losses) == timer.steps, (len(trl_losses), timer.steps)
    check_losses("trl", trl_losses)
    check_model(trainer.model.get_base_model())
    assert any(bool(p.detach().abs().max() > 0) for n, p in named if ".lora_B." in n), "lora_B still zero"
    emit(BENCH, f"trl.{METRIC}.seconds_per_step", statistics.median(timer.times), "s")
    emit(BENCH, f"trl.{METRIC}.peak_rss", peak_rss_mb(), "MB")


def peft_case():
    import torch
    import torch.nn.functional as F
    from peft import get_peft_model

    base = load_model()
    check_model(base)
    expected = lora_count(base)
    torch.manual_seed(0)  # the lora_A init
    model = get_peft_model(base, lora_config())
    model.train()
    named = check_adapters(model, expected)
    trainable = [p for _, p in named]
    opt = torch.optim.AdamW(trainable, lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0, fused=True)

    ids = batch_ids()
    mask = torch.ones_like(ids)
    targets = ids[:, PROMPT_LEN:].unsqueeze(-1)          # [8, 64, 1]: the completion tokens
    keep = COMPLETION_LEN + 1                             # positions 63..127; the last one predicts nothing
    losses = []

    def completion_logps():
        """Summed log-probs of the 64 completion tokens of each of the 8 sequences, [8]."""
        logits = model(input_ids=ids, attention_mask=mask, use_cache=False, logits_to_keep=keep).logits[:, :-1]
        return (logits.gather(-1, targets).squeeze(-1) - logits.logsumexp(-1)).sum(-1)

    def step():
        policy = completion_logps()
        with torch.no_grad(), model.disable_adapter():
            ref = completion_logps()
        pi_c, pi_r = policy.chunk(2)
        ref_c, ref_r = ref.chunk(2)
        loss = -F.logsigmoid(BETA * ((pi_c - pi_r) - (ref_c - ref_r))).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        opt.step()
        opt.zero_grad()
        losses.append(loss.detach())

    sec = median_seconds(step, warmup=WARMUP_STEPS, min_reps=MIN_STEPS, min_total=MIN_TOTAL_S)
    check_losses("peft", losses)
    check_model(model.get_base_model())
    assert any(bool(p.detach().abs().max() > 0) for n, p in named if ".lora_B." in n), "lora_B still zero"
    emit(BENCH, f"peft.{METRIC}.seconds_per_step", sec, "s")
    emit(BENCH, f"peft.{METRIC}.peak_rss", peak_rss_mb(), "MB")


def main():
    args = parse_args(__doc__.splitlines()[0], cases=CASES)
    if args.case is None:
        sys.exit(run_cases_in_subprocesses(__file__, CASES, args.threads))
    quiet_transformers()
    if args.case == "trl":
        trl_case(args.threads)
    else:
        peft_case()


if __name__ == "__main__":
    main()
