#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench ppo-step`: one PPO step on SmolLM2-135M + LoRA with a MiniLM reward model
(a plain loop over transformers' generate, PEFT's LoRA and TRL's PPO losses).

    python3 bench/peer/ppo.py [--threads N] [--json] [--case step]

Why a plain loop: TRL 1.16 (installed) ships no PPO trainer (neither `trl.PPOTrainer` nor
`trl.experimental.ppo` imports, and no module of the package is about PPO), so this script writes TRL's PPO
step (the former PPOv2Trainer, ../shared/reference/rlhf-toolkits.md section 2.1) out by hand, with the value
head on the policy's trunk as `rlhf` has it (one forward gives log-probs and values).

Models (loading is not timed):
  policy     models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf as transformers dequantises it (float32, as in
             bench/peer/sft.py), wrapped by peft.get_peft_model with LoraConfig(r=16, lora_alpha=32,
             lora_dropout=0.0, target_modules=[q,k,v,o,gate,up,down]_proj, bias="none") (torch.manual_seed(0)
             before; PEFT's default init: lora_B = 0); value head torch.nn.Linear(576, 1), weight N(0, 1/sqrt(577)),
             bias 0, on the final (normed) hidden states (output_hidden_states=True, hidden_states[-1]).
  reference  the same PeftModel inside `with model.disable_adapter():`.
  reward     AutoModelForSequenceClassification.from_pretrained(models/minilm, num_labels=1) (a BERT with a new,
             random head; torch.manual_seed(0) before), eval mode, reading [CLS] prompt [SEP] response [SEP]
             (the models/minilm tokenizer on the decoded texts, as a pair, padding=True, truncation at 512).
  attn_implementation left at the transformers default ("sdpa"); fp32 throughout; no dropout anywhere.

Prompts: 8 prompts of exactly 32 policy tokens, prompt i token j = 1000 + (i*7919 + j*104729) % 48000 (the ids
`rlhf bench ppo-step` uses); no padding. The prompt text for the reward model is tokenizer.decode(ids,
skip_special_tokens=True).

One step (TRL's PPO with num_ppo_epochs=1, num_mini_batches=1, per_device_train_batch_size=8, kl_coef 0.05 (k1),
gamma 1, lam 0.95, cliprange 0.2, cliprange_value 0.2, vf_coef 0.1, temperature 0.7, lr 3e-6 constant):
  generation  under torch.no_grad(): model.generate(ids, attention_mask=ones, do_sample=True, temperature=0.7,
              top_k=0, top_p=1.0, max_new_tokens=48, min_new_tokens=48, use_cache=True, pad_token_id=eos)
              (min_new_tokens = stop_token none on our side: every response has 48 tokens).
  scoring     under torch.no_grad(): the policy forward over the 8 x 80 query+response tokens with
              logits_to_keep=49 (the LM head runs only over the positions that predict response tokens, as ours
              does), log-probs of the sampled tokens under logits / (0.7 + 1e-7), values from the value head at
              the same positions; the reference forward (adapters off), its log-probs likewise; the reward
              model's scores of the decoded prompt/response pairs (decoding and tokenizing included).
  (untimed in any part, counted in the step) token rewards -0.05 * (logp - ref_logp) with the score on the last
              token, GAE (reverse loop), advantages whitened (mean-shifted, unbiased variance).
  update      1 epoch, 1 minibatch of all 8 (a random permutation, as TRL takes): the same forward with
              gradients, policy loss max(-A*ratio, -A*clamp(ratio, 0.8, 1.2)).mean(), value loss
              0.5 * max((v - R)^2, (clamp(v, V_old +- 0.2) - R)^2).mean(), loss = pg + 0.1 * vf, backward, TRL's
              statistics (entropy of the tempered distributions under no_grad, approx KL, clip fractions),
              clip_grad_norm_(trainable, 1.0), AdamW (lr 3e-6, betas (0.9, 0.999), eps 1e-8, weight_decay 0,
              fused=True), zero_grad. Trainable: the LoRA weights (4.88M) and the value head.
Timing: 1 warm-up step, then 3 timed steps (time.perf_counter); every figure is the median of its own 3 values.

Metrics (bench "ppo-step"), all "s" except peak_rss:
  smollm2.lora16.8x32+48.seconds_per_step  the whole step
  smollm2.lora16.8x32+48.generation / .scoring / .update  its parts as above
  smollm2.lora16.8x32+48.peak_rss  getrusage(RUSAGE_SELF).ru_maxrss / 1024 at the end, "MB": the high-water mark
      of this process since it started (python + torch + peft import, both models' loading, the steps).

Without --case, the one case runs in its own subprocess, as the other peers do.
"""
import os
import statistics
import sys
import time

# No progress bars on stderr (the GGUF dequantisation has one); must be set before torch imports tqdm.
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import emit, parse_args, peak_rss_mb, quiet_transformers, run_cases_in_subprocesses  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SMOL_DIR = os.path.join(ROOT, "models", "smollm2")
SMOL_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_DIR = os.path.join(ROOT, "models", "minilm")
CASES = ["step"]
BENCH = "ppo-step"
METRIC = "smollm2.lora16.8x32+48"
PROMPTS, PROMPT_LEN, RESPONSE_LEN = 8, 32, 48
TEMPERATURE = 0.7
KL_COEF, GAMMA, LAM = 0.05, 1.0, 0.95
CLIPRANGE, CLIPRANGE_VALUE, VF_COEF = 0.2, 0.2, 0.1
LR, BETAS, EPS, MAX_GRAD_NORM = 3e-6, (0.9, 0.999), 1e-8, 1.0
WARMUP_STEPS, TIMED_STEPS = 1, 3
LORA_R, LORA_ALPHA = 16, 32
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def prompt_ids():
    """The 8 x 32 prompt ids (the same formula as Sources/RLHFBench/PPOBench.swift)."""
    return [[1000 + (i * 7919 + j * 104729) % 48000 for j in range(PROMPT_LEN)] for i in range(PROMPTS)]


def whiten(x, shift_mean=True):
    """TRL's masked_whiten with every position real: unbiased variance, rsqrt(var + 1e-8)."""
    import torch
    mean, var = x.mean(), x.var(unbiased=True)
    w = (x - mean) * torch.rsqrt(var + 1e-8)
    return w if shift_mean else w + mean


def step_case():
    import warnings
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*is deprecated", category=FutureWarning)

    tok = AutoTokenizer.from_pretrained(SMOL_DIR, gguf_file=SMOL_GGUF)
    base = AutoModelForCausalLM.from_pretrained(SMOL_DIR, gguf_file=SMOL_GGUF, dtype=torch.float32)
    torch.manual_seed(0)
    model = get_peft_model(base, LoraConfig(r=LORA_R, lora_alpha=LORA_ALPHA, lora_dropout=0.0,
                                            target_modules=LORA_TARGETS, bias="none", task_type="CAUSAL_LM"))
    hidden = base.config.hidden_size
    v_head = torch.nn.Linear(hidden, 1)
    with torch.no_grad():
        v_head.weight.normal_(0.0, 1.0 / (hidden + 1) ** 0.5)
        v_head.bias.zero_()
    torch.manual_seed(0)
    rm = AutoModelForSequenceClassification.from_pretrained(MINILM_DIR, num_labels=1, dtype=torch.float32)
    rm.eval()
    rm_tok = AutoTokenizer.from_pretrained(MINILM_DIR)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert not any(isinstance(m, torch.nn.Dropout) and m.p > 0 for m in model.modules()), "dropout > 0"
    trainable = [p for p in model.parameters() if p.requires_grad] + list(v_head.parameters())
    opt = torch.optim.AdamW(trainable, lr=LR, betas=BETAS, eps=EPS, weight_decay=0.0, fused=True)

    ids = prompt_ids()
    queries = torch.tensor(ids, dtype=torch.long)
    texts = [tok.decode(q, skip_special_tokens=True) for q in ids]
    pad = model.generation_config.pad_token_id
    if pad is None:
        pad = tok.eos_token_id
    ctx, temp = PROMPT_LEN, TEMPERATURE + 1e-7

    def forward(query_responses, with_values):
        """Tempered log-prob inputs (logits [B, R, V]) and values [B, R] of the response positions."""
        out = model(input_ids=query_responses, attention_mask=torch.ones_like(query_responses),
                    output_hidden_states=with_values, logits_to_keep=RESPONSE_LEN + 1, use_cache=False)
        logits = out.logits[:, :-1] / temp
        values = v_head(out.hidden_states[-1][:, ctx - 1:-1]).squeeze(-1) if with_values else None
        return logits, values

    def logprobs_of(logits, responses):
        return torch.gather(F.log_softmax(logits, dim=-1), 2, responses.unsqueeze(-1)).squeeze(-1)

    def one_step():
        t0 = time.perf_counter()
        model.eval()
        with torch.no_grad():
            qr = model.generate(input_ids=queries, attention_mask=torch.ones_like(queries), do_sample=True,
                                temperature=TEMPERATURE, top_k=0, top_p=1.0, max_new_tokens=RESPONSE_LEN,
                                min_new_tokens=RESPONSE_LEN, use_cache=True, pad_token_id=pad)
        assert tuple(qr.shape) == (PROMPTS, PROMPT_LEN + RESPONSE_LEN), tuple(qr.shape)
        responses = qr[:, ctx:]
        t1 = time.perf_counter()
        with torch.no_grad():
            logits, values = forward(qr, True)
            logprobs = logprobs_of(logits, responses)
            del logits
            with model.disable_adapter():
                ref_logits, _ = forward(qr, False)
            ref_logprobs = logprobs_of(ref_logits, responses)
            del ref_logits
            enc = rm_tok(texts, tok.batch_decode(responses, skip_special_tokens=True), padding=True, truncation=True,
                         max_length=512, return_tensors="pt")
            scores = rm(**enc).logits.squeeze(-1)
        t2 = time.perf_counter()
        with torch.no_grad():
            kl = logprobs - ref_logprobs                                     # k1
            rewards = -KL_COEF * kl
            rewards[:, -1] += scores
            lastgaelam, advantages_reversed = 0, []
            for t in reversed(range(RESPONSE_LEN)):
                nextvalues = values[:, t + 1] if t < RESPONSE_LEN - 1 else 0.0
                delta = rewards[:, t] + GAMMA * nextvalues - values[:, t]
                lastgaelam = delta + GAMMA * LAM * lastgaelam
                advantages_reversed.append(lastgaelam)
            advantages = torch.stack(advantages_reversed[::-1], dim=1)
            returns = advantages + values
            advantages = whiten(advantages)
        t3 = time.perf_counter()
        model.train()
        order = torch.randperm(PROMPTS)                                      # 1 minibatch of all 8
        mb_qr, mb_resp = qr[order], responses[order]
        mb_adv, mb_ret, mb_val, mb_lp = advantages[order], returns[order], values[order], logprobs[order]
        logits, vpred = forward(mb_qr, True)
        new_logprobs = logprobs_of(logits, mb_resp)
        vpredclipped = mb_val + torch.clamp(vpred - mb_val, -CLIPRANGE_VALUE, CLIPRANGE_VALUE)
        vf_losses = torch.max((vpred - mb_ret) ** 2, (vpredclipped - mb_ret) ** 2)
        vf_loss = 0.5 * vf_losses.mean()
        logratio = new_logprobs - mb_lp
        ratio = torch.exp(logratio)
        pg_losses = torch.max(-mb_adv * ratio, -mb_adv * torch.clamp(ratio, 1.0 - CLIPRANGE, 1.0 + CLIPRANGE))
        pg_loss = pg_losses.mean()
        loss = pg_loss + VF_COEF * vf_loss
        loss.backward()
        with torch.no_grad():                                                # TRL's statistics
            prob_dist = F.softmax(logits, dim=-1)
            entropy = (torch.logsumexp(logits, dim=-1) - (prob_dist * logits).sum(-1)).mean()
            approxkl = 0.5 * (logratio ** 2).mean()
            pg_clipfrac = ((-mb_adv * ratio) < (-mb_adv * torch.clamp(ratio, 0.8, 1.2))).float().mean()
            vf_clipfrac = ((vpred - mb_ret) ** 2 < (vpredclipped - mb_ret) ** 2).float().mean()
            stats = torch.stack([entropy, approxkl, pg_clipfrac, vf_clipfrac, pg_loss.detach(), vf_loss.detach()])
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        opt.step()
        opt.zero_grad()
        t4 = time.perf_counter()
        assert bool(torch.isfinite(stats).all()), stats
        return t4 - t0, t1 - t0, t2 - t1, t4 - t3

    for _ in range(WARMUP_STEPS):
        one_step()
    times = [one_step() for _ in range(TIMED_STEPS)]
    assert any(bool(p.detach().abs().max() > 0) for n, p in model.named_parameters() if ".lora_B." in n), "lora_B still 0"
    for k, name in enumerate(["seconds_per_step", "generation", "scoring", "update"]):
        emit(BENCH, f"{METRIC}.{name}", statistics.median(t[k] for t in times), "s")
    emit(BENCH, f"{METRIC}.peak_rss", peak_rss_mb(), "MB")


def main():
    args = parse_args(__doc__.splitlines()[0], cases=CASES)
    if args.case is None:
        sys.exit(run_cases_in_subprocesses(__file__, CASES, args.threads))
    quiet_transformers()
    step_case()


if __name__ == "__main__":
    main()
