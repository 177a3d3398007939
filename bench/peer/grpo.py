#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench grpo-step`: one GRPO step on SmolLM2-135M + LoRA (TRL's GRPOTrainer; PEFT + PyTorch).

    python3 bench/peer/grpo.py [--threads N] [--json] [--case trl|peft]

Model: models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf as transformers dequantises it, as bench/peer/dpo.py loads it,
    AutoModelForCausalLM.from_pretrained(models/smollm2, gguf_file=SmolLM2-135M-Instruct.Q4_1.gguf, dtype=float32)
(LlamaForCausalLM, 30 layers, hidden 576, vocabulary 49152, LM head tied to the embedding). model.train() (also
during generation, as TRL leaves it; Llama has no dropout: asserted, no Dropout module with p > 0, attention_dropout
0). attn_implementation is left at the transformers default ("sdpa"); no torch.compile, no gradient (activation)
checkpointing (asserted), fp32 throughout (asserted). Loading is not timed.

LoRA (both cases): LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=["q_proj", "k_proj", "v_proj",
"o_proj", "gate_proj", "up_proj", "down_proj"], bias="none", task_type="CAUSAL_LM"), PEFT's default init (lora_A
Kaiming-uniform after torch.manual_seed(0); lora_B = 0; scale alpha/r = 2). Trainable: the adapter weights only
(4.88M parameters, asserted). No reference model (beta 0).

Prompts (both cases): 4 prompts of exactly 32 token ids, no padding, prompt i token j (the ids of `rlhf bench
ppo-step`, bench/peer/ppo.py, its first 4 prompts):
    prompt[i][j] = 1000 + (i*7919 + j*104729) % 48000          i = 0..3, j = 0..31
The same 4 prompts every step.

One step (both cases), G = 8 completions per prompt, 32 completions of exactly 64 tokens:
  generation  under torch.no_grad(): transformers' generate on the PEFT model (adapters on) over the 32 prompt rows
              (each prompt 8 times), do_sample=True, temperature 1.0, top_p 1.0, top_k 0 (off), min_p None, no
              repetition penalty, max_new_tokens=64 and min_new_tokens=64 (transformers' MinNewTokensLength
              processor sets the EOS logit, id 2 <|im_end|>, the model's only eos, to -inf at every one of the 64
              positions: no completion stops early; asserted, every completion has 64 tokens), use_cache=True
              (DynamicCache), attention_mask all ones.
  reward      one programmatic reward function: the share of a completion's 64 token ids that are even
              (sum(id % 2 == 0) / 64), computed from the completion ids (no text); weight 1.
  advantages  per prompt group of 8 ("group" scaling): A = (r - mean_group(r)) / (std_group(r) + 1e-4), std with
              Bessel's correction (TRL's nanstd); one advantage per completion, on all of its 64 tokens.
  update      one optimizer step over all 32 completions (per_device_train_batch_size 32, gradient_accumulation_steps
              1, steps_per_generation 1, num_iterations 1, so on-policy): the policy forward with gradients over the
              32 x 96 prompt+completion ids, the log-probs logp of the 64 completion tokens of each row at
              temperature 1; ratio = exp(logp - logp.detach()) (= 1: num_iterations 1 needs no "old" forward);
              per-token loss -min(ratio * A, clamp(ratio, 0.8, 1.2) * A) (epsilon 0.2 both sides); "dapo"
              aggregation: the sum over the 32 x 64 tokens / 2048 (the tokens in the batch); beta 0, so no KL term
              and no reference forward. loss.backward(); clip_grad_norm_(adapter weights, 1.0); AdamW step;
              zero_grad (gradients set to None).
AdamW: lr 1e-6 (TRL's GRPO default), constant, betas (0.9, 0.999), eps 1e-8, weight_decay 0, fused=True (the fused
CPU kernel; transformers' Trainer's default optimizer adamw_torch_fused is the same).
Checks: the advantages of a group sum to zero and the ratio is 1, so every step's loss is 0 (|loss| < 1e-4,
asserted; its gradient is not zero); the losses and advantages are finite, the rewards in [0, 1]; lora_B has moved
off zero at the end. The first and last step's mean reward and loss are printed on stderr.

Cases:
  trl   TRL's own GRPOTrainer (trl 1.16) with model = the base transformers model and peft_config = the LoraConfig
        above (TRL wraps it itself, after set_seed(0)), reward_funcs = [the reward function above] (TRL 1.16 passes
        it prompts, completions (decoded text) and completion_ids (lists of ids, cut after the first EOS: there is
        none) as keyword arguments; it reads completion_ids only), processing_class = the models/smollm2 GGUF
        tokenizer. GRPOConfig(num_generations=8, max_completion_length=64, per_device_train_batch_size=32,
        gradient_accumulation_steps=1, steps_per_generation=1, num_iterations=1, beta=0.0, loss_type="dapo",
        scale_rewards="group", epsilon=0.2 (epsilon_high None: 0.2), importance_sampling_level="token" (default),
        temperature=1.0, top_p=1.0, top_k=0, min_p=None, repetition_penalty=1.0, generation_kwargs={"min_new_tokens":
        64}, use_vllm=False, use_transformers_continuous_batching=False, mask_truncated_completions=False,
        top_entropy_quantile=1.0, entropy_coef=0.0 (defaults), learning_rate=1e-6, lr_scheduler_type="constant",
        warmup_steps=0, weight_decay=0, adam betas/eps as above, optim left at its default (adamw_torch_fused),
        max_grad_norm=1.0, activation_checkpointing=False and gradient_checkpointing=False (TRL's default is True),
        bf16=False (TRL's default is True), fp16=False, use_cpu=True, seed=0, logging only at the end,
        log_completions=False, save_strategy="no", report_to=[], dataloader_num_workers=0, disable_tqdm=True (and
        TQDM_DISABLE=1)). The dataset: 4 rows {"prompt": text}; TRL's RepeatSampler draws each prompt 8 times
        (shuffle_dataset left True: the order of the 4 groups changes; nothing depends on it).
        GGUF: transformers marks a model loaded from a GGUF file as quantized (its hf_quantizer, whose is_trainable
        is False), and Trainer.__init__ then refuses to train it, although every weight was dequantised to a plain
        float32 nn.Linear / nn.Embedding at load; the case asserts that and clears the mark (model.hf_quantizer =
        None, model.is_quantized = False) before handing the model to TRL, as dpo.py does.
        Pre-tokenized prompts: TRL 1.16's GRPOTrainer only takes text prompts and tokenizes them itself
        (_tokenize_prompts: processing_class(text=prompts)), and these ids do not survive a decode/encode round trip
        (3 of the 4 decodings re-tokenize to 33 to 37 other ids). So the dataset's prompt column holds each prompt's
        decoding (tokenizer.decode(ids), 4 distinct texts), and a subclass overrides _tokenize_prompts to return the
        32-id list of each prompt text (a dict lookup, no tokenization). It asserts once that the 32 prompt rows TRL
        then hands its generation are the 4 prompts, 8 consecutive times each, and that the ids the model's first
        forward (generate's prefill) receives are exactly those [32, 32] ids, no padding; at every step that every
        completion has 64 tokens, and that the batch TRL builds for its loss is the 32 x 32 prompt ids (mask all
        ones), the 32 x 64 completion ids (mask all ones, 2048 tokens), with no old or reference log-probs.
        Everything else is TRL's own: its generate call (with its GenerationConfig: pad and eos id 2, bos 1,
        cache_implementation None, disable_compile), reward call, advantages, shuffle of the 32 rows and _compute_loss.
        The subclass also records the loss each compute_loss returns (a detached tensor; no sync).
        What TRL does beyond the spec inside its step: it decodes the 32 completions to text (batch_decode, for the
        reward functions and its logs); it patches the model with its fused LM head (add_fused_lm_head), which returns
        per-token log-probs (and here entropies) without materialising the [32, 95, 49152] logits, in tiles of <= 4096
        tokens x 32768 vocabulary columns with an online logsumexp; on CPU (no Triton) it scores every one of the
        32 x 95 next-token positions (the 31 prompt positions included, masked to 0 afterwards) and recomputes the
        tiles in the backward. It also computes, per step, the entropy of every scored position (in the same kernel)
        and about twenty logging metrics (token count, completion lengths, clipped ratio, terminated lengths, reward
        mean/std, frac_reward_zero_std, entropy, clip ratios; .item() calls) and keeps the prompts, completions,
        rewards and advantages for its logs: all part of TRL's step, all timed. It runs the policy forward over the
        whole batch of 32 rows at once (no chunking: its batch_size is per_device_train_batch_size), keeping every
        activation for the backward (no checkpointing): that, not generation, sets its peak RSS.
        Timing: a TrainerCallback times on_step_begin -> on_step_end with time.perf_counter. In transformers 5's
        Trainer (_run_epoch) on_step_begin comes right before training_step, and GRPOTrainer generates inside it
        (training_step -> _prepare_inputs -> _generate_and_score_completions, every step since steps_per_generation
        x num_iterations = 1), so the span holds the whole step: generation, decoding, reward, advantages, the
        policy forward, loss and metrics, backward, clip, optimizer step, scheduler step, zero_grad. Not timed: the
        Trainer fetching the 32 prompt rows (dicts holding one string) from its dataloader just before
        on_step_begin. The dataset has 4 rows, so each step is one epoch of one generation batch. 1 warm-up step,
        then the callback stops training once >= 3 timed steps add up to >= 10 s (max_steps is only a cap); median.
        -> trl.smollm2.lora16.grpo4x8x64.seconds_per_step ("s"), trl.smollm2.lora16.grpo4x8x64.peak_rss ("MB")
  peft  a plain PyTorch loop over peft.get_peft_model(model, LoraConfig above) (torch.manual_seed(0) before):
            qr = model.generate(input_ids=prompts.repeat_interleave(8, 0), attention_mask=ones, do_sample=True,
                                temperature=1.0, top_k=0, top_p=1.0, max_new_tokens=64, min_new_tokens=64,
                                use_cache=True, pad_token_id=2, eos_token_id=2)          # [32, 96], no_grad
            completion = qr[:, 32:]; r = (completion % 2 == 0).float().mean(-1); A as above
            logits = model(input_ids=qr, attention_mask=ones, use_cache=False, logits_to_keep=65).logits[:, :-1]
            logp = logits.gather(-1, completion[..., None]).squeeze(-1) - logits.logsumexp(-1)    # [32, 64]
        (the LM head runs only over the 65 last positions; the log-prob of the target as its logit minus the
        logsumexp of its row, as TRL's selective_log_softmax does for fp32, without a full [32, 64, V] log_softmax
        tensor in the forward). Then the ratio, clipped loss, "dapo" sum / 2048, backward, clip_grad_norm_,
        torch.optim.AdamW(fused=True) step and zero_grad as above. No decoding, no entropy, no metrics.
        Timing: 1 warm-up step, then at least 3 timed steps and >= 10 s in all (common.median_seconds); median.
        -> peft.smollm2.lora16.grpo4x8x64.seconds_per_step ("s"), peft.smollm2.lora16.grpo4x8x64.peak_rss ("MB")
scripts/bench_compare.py compares trl.X and peft.X with our X (two rows, "X (vs TRL)" and "X (vs PEFT)").

peak_rss: getrusage(RUSAGE_SELF).ru_maxrss / 1024 at the end of the case, "MB" -- the high-water mark of the
case's own process since it started (python + torch + peft (+ trl/datasets/accelerate) import, GGUF loading and
dequantisation, the steps).

Without --case, every case runs in its own subprocess (`python grpo.py --case NAME --threads N`), so that each
case's peak RSS is its own; their JSON lines are forwarded to stdout. Both cases need `pip install peft`, the trl
case also `pip install trl` (tested with trl 1.16.0); a case whose module cannot be imported fails and the other
still runs.
"""
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
BENCH = "grpo-step"
METRIC = "smollm2.lora16.grpo4x8x64"
PROMPTS, PROMPT_LEN, GENERATIONS, COMPLETION_LEN = 4, 32, 8, 64
ROWS = PROMPTS * GENERATIONS                       # 32 completions per step
TEMPERATURE, EPSILON, STD_EPS = 1.0, 0.2, 1e-4
LR, BETAS, EPS, MAX_GRAD_NORM = 1e-6, (0.9, 0.999), 1e-8, 1.0
WARMUP_STEPS, MIN_STEPS, MIN_TOTAL_S = 1, 3, 10.0
TRL_MAX_STEPS = 1000          # a cap only: the timing callback stops training earlier
LOSS_TOL = 1e-4               # on-policy GRPO: ratio 1 and zero-sum group advantages make the loss 0


def prompt_ids():
    """The 4 x 32 prompt ids (the same formula as `rlhf bench grpo-step`; bench/peer/ppo.py's first 4 prompts)."""
    return [[1000 + (i * 7919 + j * 104729) % 48000 for j in range(PROMPT_LEN)] for i in range(PROMPTS)]


def even_share(completion_ids, **kwargs):
    """The reward: the share of each completion's token ids that are even. TRL 1.16 calls reward functions with
    prompts=, completions=, completion_ids= and more keyword arguments; only completion_ids is read."""
    assert len(completion_ids) == ROWS, len(completion_ids)
    assert all(len(c) == COMPLETION_LEN for c in completion_ids), sorted({len(c) for c in completion_ids})
    return [sum(1 for t in c if t % 2 == 0) / len(c) for c in completion_ids]


def check_run(case, losses, rewards, advantages):
    """Every step's loss is 0 (ratio 1, zero-sum group advantages), everything finite, rewards in [0, 1]."""
    import torch
    assert losses, "no step ran"
    assert len(rewards) == len(losses) == len(advantages), (len(rewards), len(losses), len(advantages))
    assert all(bool(torch.isfinite(l)) for l in losses), [float(l) for l in losses]
    assert all(bool(torch.isfinite(a).all()) for a in advantages), "an advantage is not finite"
    assert all(0.0 <= min(r) and max(r) <= 1.0 for r in rewards), "a reward outside [0, 1]"
    mean = [sum(r) / len(r) for r in rewards]
    print(f"grpo.py: case {case}: step 1 mean reward {mean[0]:.4f} loss {float(losses[0]):.3g}; "
          f"last mean reward {mean[-1]:.4f} loss {float(losses[-1]):.3g} after {len(losses)} steps",
          file=sys.stderr, flush=True)
    worst = max(abs(float(l)) for l in losses)
    assert worst < LOSS_TOL, f"|loss| {worst} >= {LOSS_TOL}: not on-policy GRPO with zero-sum group advantages?"


def trl_case(threads):
    import dataclasses
    import torch
    import datasets
    from transformers import AutoTokenizer, PrinterCallback, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer
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
    ps = prompt_ids()
    texts = [tok.decode(p) for p in ps]
    assert len(set(texts)) == PROMPTS, "two prompts decode to the same text"
    ids_of = dict(zip(texts, ps))
    train_dataset = datasets.Dataset.from_dict({"prompt": texts})
    trl_losses, trl_rewards, trl_advantages = [], [], []
    first_forward = {}

    def record_first_forward(module, args, kwargs):
        """The ids of the first forward of the backbone in this process: generate's prefill of the warm-up step."""
        ids = kwargs.get("input_ids", args[0] if args else None)
        first_forward["ids"] = None if ids is None else ids.detach().clone()
        hook.remove()

    hook = base.model.register_forward_pre_hook(record_first_forward, with_kwargs=True)

    def reward(completion_ids, **kwargs):
        r = even_share(completion_ids)
        trl_rewards.append(r)
        return r
    reward.__name__ = "even_share"

    class PreTokenizedGRPOTrainer(GRPOTrainer):
        """TRL 1.16's GRPOTrainer, but taking each prompt's ids as they are (looked up by its text, not tokenized),
        checking what reaches generation and the loss, and recording the loss and advantages of every step."""

        prompts_checked = False

        def _tokenize_prompts(self, prompts):
            return [list(ids_of[p]) for p in prompts], None, {}

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, *args, **kwargs):
            if not self.prompts_checked:
                assert len(prompt_ids) == ROWS and num_generations == GENERATIONS, (len(prompt_ids), num_generations)
                groups = [prompt_ids[g * GENERATIONS:(g + 1) * GENERATIONS] for g in range(PROMPTS)]
                assert all(all(row == grp[0] for row in grp) for grp in groups), "a group mixes prompts"
                assert sorted(grp[0] for grp in groups) == sorted(ps), "the prompts TRL generates from are not ours"
            completion_ids, logprobs = super()._generate_single_turn(prompt_ids, images, multimodal_fields,
                                                                     num_generations, *args, **kwargs)
            if not self.prompts_checked:
                ids = first_forward.get("ids")
                assert ids is not None, "no input_ids in the first forward"
                assert ids.tolist() == prompt_ids, "generate's prefill did not get exactly the [32, 32] prompt ids"
                self.prompts_checked = True
            assert len(completion_ids) == ROWS, len(completion_ids)
            assert all(len(c) == COMPLETION_LEN for c in completion_ids), sorted({len(c) for c in completion_ids})
            return completion_ids, logprobs

        def _generate_and_score_completions(self, inputs):
            out = super()._generate_and_score_completions(inputs)
            assert tuple(out["prompt_ids"].shape) == (ROWS, PROMPT_LEN), tuple(out["prompt_ids"].shape)
            assert sorted(out["prompt_ids"].tolist()) == sorted(p for p in ps for _ in range(GENERATIONS))
            assert bool((out["prompt_mask"] == 1).all()), "padding in the prompts"
            assert tuple(out["completion_ids"].shape) == (ROWS, COMPLETION_LEN), tuple(out["completion_ids"].shape)
            assert bool((out["completion_mask"] == 1).all()), "a completion shorter than 64 tokens"
            assert int(out["num_items_in_batch"]) == ROWS * COMPLETION_LEN, int(out["num_items_in_batch"])
            assert tuple(out["advantages"].shape) == (ROWS,), tuple(out["advantages"].shape)
            assert "old_per_token_logps" not in out and "ref_per_token_logps" not in out, sorted(out)
            trl_advantages.append(out["advantages"].detach().clone())
            return out

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            trl_losses.append(loss.detach())
            return loss

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
    # TRL defaults to activation checkpointing; transformers 5 renamed gradient_checkpointing (now a deprecated
    # alias) to activation_checkpointing: switch it off by every name this version has.
    fields = {f.name for f in dataclasses.fields(GRPOConfig)}
    no_ckpt = {k: False for k in ("activation_checkpointing", "gradient_checkpointing") if k in fields}
    with tempfile.TemporaryDirectory(prefix="grpo-trl-") as out:
        config = GRPOConfig(
            output_dir=out,
            num_generations=GENERATIONS,
            max_completion_length=COMPLETION_LEN,
            per_device_train_batch_size=ROWS,
            gradient_accumulation_steps=1,
            steps_per_generation=1,
            num_iterations=1,
            beta=0.0,
            loss_type="dapo",
            scale_rewards="group",
            epsilon=EPSILON,
            temperature=TEMPERATURE,
            top_p=1.0,
            top_k=0,
            min_p=None,
            repetition_penalty=1.0,
            generation_kwargs={"min_new_tokens": COMPLETION_LEN},
            use_vllm=False,
            learning_rate=LR,
            lr_scheduler_type="constant",
            warmup_steps=0,
            adam_beta1=BETAS[0], adam_beta2=BETAS[1], adam_epsilon=EPS,
            weight_decay=0.0,
            max_grad_norm=MAX_GRAD_NORM,
            bf16=False, fp16=False,
            use_cpu=True,
            seed=0,
            max_steps=TRL_MAX_STEPS,
            logging_steps=10**6,
            log_completions=False,
            save_strategy="no",
            report_to=[],
            dataloader_num_workers=0,
            disable_tqdm=True,
            **no_ckpt,
        )
        trainer = PreTokenizedGRPOTrainer(model=base, reward_funcs=[reward], args=config,
                                          train_dataset=train_dataset, processing_class=tok,
                                          peft_config=lora_config(), callbacks=[timer])
        trainer.remove_callback(PrinterCallback)  # it prints the final log dict on stdout (disable_tqdm=True)
        assert trainer.ref_model is None, "TRL built a reference model"
        assert trainer.eos_token_ids == [tok.eos_token_id], trainer.eos_token_ids
        assert trainer.generation_config.min_new_tokens == COMPLETION_LEN, trainer.generation_config
        named = check_adapters(trainer.model, expected)
        trainer.train()
        threads_used = torch.get_num_threads()
    assert threads_used == threads, (threads_used, threads)
    assert trainer.prompts_checked, "generation never ran"
    assert len(timer.times) >= MIN_STEPS, f"only {len(timer.times)} timed steps"
    assert len(trl_losses) == timer.steps, (len(trl_losses), timer.steps)
    check_run("trl", trl_losses, trl_rewards, trl_advantages)
    check_model(trainer.model.get_base_model())
    assert any(bool(p.detach().abs().max() > 0) for n, p in named if ".lora_B." in n), "lora_B still zero"
    emit(BENCH, f"trl.{METRIC}.seconds_per_step", statistics.median(timer.times), "s")
    emit(BENCH, f"trl.{METRIC}.peak_rss", peak_rss_mb(), "MB")


def peft_case():
    import torch
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

    eos = base.generation_config.eos_token_id
    assert eos == 2, eos
    queries = torch.tensor(prompt_ids(), dtype=torch.long).repeat_interleave(GENERATIONS, 0)   # [32, 32]
    qmask = torch.ones_like(queries)
    keep = COMPLETION_LEN + 1                  # positions 31..95; the last one predicts nothing
    losses, rewards_seen, advantages_seen = [], [], []

    def step():
        with torch.no_grad():
            qr = model.generate(input_ids=queries, attention_mask=qmask, do_sample=True, temperature=TEMPERATURE,
                                top_k=0, top_p=1.0, max_new_tokens=COMPLETION_LEN, min_new_tokens=COMPLETION_LEN,
                                use_cache=True, pad_token_id=eos, eos_token_id=eos)
        assert tuple(qr.shape) == (ROWS, PROMPT_LEN + COMPLETION_LEN), tuple(qr.shape)
        completion = qr[:, PROMPT_LEN:]
        rewards = (completion % 2 == 0).float().mean(-1)                                       # [32]
        grouped = rewards.view(PROMPTS, GENERATIONS)
        mean = grouped.mean(1).repeat_interleave(GENERATIONS)
        std = grouped.std(1, correction=1).repeat_interleave(GENERATIONS)
        adv = ((rewards - mean) / (std + STD_EPS)).unsqueeze(1)                                # [32, 1]
        logits = model(input_ids=qr, attention_mask=torch.ones_like(qr), use_cache=False,
                       logits_to_keep=keep).logits[:, :-1]                                     # [32, 64, V]
        if TEMPERATURE != 1.0:
            logits = logits / TEMPERATURE
        logp = logits.gather(-1, completion.unsqueeze(-1)).squeeze(-1) - logits.logsumexp(-1)  # [32, 64]
        ratio = torch.exp(logp - logp.detach())
        per_token = -torch.min(ratio * adv, torch.clamp(ratio, 1 - EPSILON, 1 + EPSILON) * adv)
        loss = per_token.sum() / (ROWS * COMPLETION_LEN)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        opt.step()
        opt.zero_grad()
        losses.append(loss.detach())
        rewards_seen.append(rewards.tolist())
        advantages_seen.append(adv.detach().squeeze(1))

    sec = median_seconds(step, warmup=WARMUP_STEPS, min_reps=MIN_STEPS, min_total=MIN_TOTAL_S)
    check_run("peft", losses, rewards_seen, advantages_seen)
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
