#!/usr/bin/env python3
"""GRPO and RLOO advantages, losses and gradients computed by TRL's own code, for the RLHFTraining tests.

Writes Tests/RLHFTrainingTests/Resources/grpo-goldens.json. Usage:

    python3 scripts/grpo_goldens.py [--out PATH] [--wheel-dir DIR]

Needs torch, pip and PyPI (or --wheel-dir holding the wheel).

Where the code comes from: the pinned wheel trl==1.16.0 (`pip download --no-deps`, sha256 checked). The script
cuts line ranges out of its sources and execs them unchanged, in namespaces that hold what they read (`self`
as a SimpleNamespace with the trainer's settings, the tensors, torch, F, and `nanstd` exec'd from
trl/trainer/utils.py):
  * GRPO advantages: trl/trainer/grpo_trainer.py, `_generate_and_score_completions`, from
    `unscorable_mask = ...` to `advantages = torch.nan_to_num(...)` (multi_objective_aggregation
    "sum_then_normalize", TRL's default), for scale_rewards group, batch and none;
  * GRPO loss: `_compute_loss`, from `log_ratio = ...` up to `if self._entropy_bonus_enabled:` (token-level
    importance sampling, no off-policy mask, no entropy mask, no vLLM), for loss_type grpo, bnpo, dr_grpo and
    dapo, with β = 0 and β > 0 (the k3 KL to the reference), ε = 0.2 and ε_high = 0.28; one process, one
    micro-batch per generation batch (current_gradient_accumulation_steps = steps_per_generation = 1), so
    dapo's normaliser is num_items_in_batch = the batch's completion tokens;
  * RLOO advantages: trl/trainer/rloo_trainer.py, from `unscorable_mask = ...` to
    `advantages = torch.nan_to_num(...)` (the KL folded into the reward with β, from the old and reference
    log-probs summed over each completion, `gather` the identity; the leave-one-out baseline;
    normalize_advantages on and off);
  * RLOO loss: `_compute_loss`, from `logps = (per_token_logps * completion_mask).sum(1)` to
    `loss = per_sequence_loss.mean()`.
Gradients are torch autograd's with respect to the per-token log-probs. Everything is float64. A reward of NaN
stands for a reward function that returned None; a row whose every reward is NaN is unscorable.
"""
import argparse
import ast
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
import types
import zipfile

WHEEL = "trl-1.16.0-py3-none-any.whl"
SHA256 = "c4726e139dd40e1a41661511c639c8a68416782b2e3e8c0befebd77bb7ba0396"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lines_between(source, start, end, inclusive_end):
    """The dedented source lines from the first line containing `start` to the one containing `end`."""
    lines = source.splitlines()
    i = next(k for k, l in enumerate(lines) if start in l)
    j = next(k for k in range(i, len(lines)) if end in lines[k])
    return textwrap.dedent("\n".join(lines[i:j + 1] if inclusive_end else lines[i:j])), i + 1


def function_source(source, name):
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node)
    raise SystemExit(f"no function {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/RLHFTrainingTests/Resources/grpo-goldens.json"))
    ap.add_argument("--wheel-dir")
    a = ap.parse_args()
    import torch
    import torch.nn.functional as F

    wheel_dir = a.wheel_dir or tempfile.mkdtemp()
    path = os.path.join(wheel_dir, WHEEL)
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "trl==1.16.0", "-d", wheel_dir], check=True)
    if hashlib.sha256(open(path, "rb").read()).hexdigest() != SHA256:
        raise SystemExit(f"{path}: sha256 differs from the pinned one")
    wheel = zipfile.ZipFile(path)
    grpo = wheel.read("trl/trainer/grpo_trainer.py").decode()
    rloo = wheel.read("trl/trainer/rloo_trainer.py").decode()
    utils = wheel.read("trl/trainer/utils.py").decode()
    helpers = {"torch": torch}
    exec(function_source(utils, "nanstd"), helpers)
    nanstd = helpers["nanstd"]

    grpo_adv, grpo_adv_line = lines_between(grpo, "unscorable_mask = torch.isnan(rewards_per_func)", "advantages = torch.nan_to_num(advantages", True)
    grpo_loss, grpo_loss_line = lines_between(grpo, "log_ratio = per_token_logps - old_per_token_logps", "if self._entropy_bonus_enabled:", False)
    rloo_adv, rloo_adv_line = lines_between(rloo, "unscorable_mask = torch.isnan(rewards_per_func)", "advantages = torch.nan_to_num(advantages", True)
    rloo_loss, rloo_loss_line = lines_between(rloo, "logps = (per_token_logps * completion_mask).sum(1)", "loss = per_sequence_loss.mean()", True)

    torch.manual_seed(11)
    t64 = torch.float64

    def rounded(x):
        return [[round(float(v), 4) for v in row] for row in x] if x.dim() == 2 else [round(float(v), 4) for v in x]

    # rewards of 3 prompts × 4 generations from 2 reward functions; one None from function 1, one unscorable row
    g, n_funcs = 4, 2
    rewards = torch.tensor(rounded(torch.randn(3 * g, n_funcs, dtype=t64) * 2), dtype=t64)
    rewards[1, 1] = float("nan")
    rewards[6, :] = float("nan")
    weights = [1.0, 0.5]
    advantage_cases = []
    for scale in ["group", "batch", "none"]:
        ns = {"torch": torch, "nanstd": nanstd, "rewards_per_func": rewards.clone(), "num_generations": g, "device": "cpu",
              "self": types.SimpleNamespace(multi_objective_aggregation="sum_then_normalize", scale_rewards=scale,
                                            reward_weights=torch.tensor(weights, dtype=t64))}
        exec(compile(grpo_adv, "grpo_trainer.py", "exec"), ns)
        advantage_cases.append({"scale_rewards": scale, "advantages": ns["advantages"].tolist()})

    # per-token log-probs of 4 completions of up to 6 tokens (right-padded), old and reference log-probs
    b, t = 4, 6
    lengths = [6, 3, 5, 1]
    mask = torch.tensor([[1.0] * n + [0.0] * (t - n) for n in lengths], dtype=t64)
    logps = torch.tensor(rounded(-3 * torch.rand(b, t, dtype=t64)), dtype=t64)
    old = torch.tensor(rounded(logps + 0.3 * torch.randn(b, t, dtype=t64)), dtype=t64)
    ref = torch.tensor(rounded(logps + 0.5 * torch.randn(b, t, dtype=t64)), dtype=t64)
    adv = torch.tensor([round(float(x), 4) for x in torch.randn(b, dtype=t64)], dtype=t64)
    loss_cases = []
    for loss_type in ["grpo", "bnpo", "dr_grpo", "dapo"]:
        for beta, eps_high in [(0.0, 0.2), (0.04, 0.28)]:
            per_token = logps.clone().requires_grad_(True)
            args = types.SimpleNamespace(delta=None, use_bias_correction_kl=False)
            trainer = types.SimpleNamespace(
                importance_sampling_level="token", beta=beta, args=args, loss_type=loss_type, epsilon_low=0.2, epsilon_high=eps_high,
                off_policy_mask_threshold=None, use_vllm=False, vllm_importance_sampling_correction=False,
                model=types.SimpleNamespace(training=True), current_gradient_accumulation_steps=1, max_completion_length=t,
                accelerator=types.SimpleNamespace(num_processes=1))
            args.steps_per_generation = 1
            ns = {"torch": torch, "self": trainer, "per_token_logps": per_token, "old_per_token_logps": old, "mask": mask,
                  "advantages": adv.unsqueeze(1), "entropy_mask": None, "inputs": {"ref_per_token_logps": ref, "num_items_in_batch": mask.sum()}}
            exec(compile(grpo_loss, "grpo_trainer.py", "exec"), ns)
            ns["loss"].backward()
            loss_cases.append({"loss_type": loss_type, "beta": beta, "epsilon": 0.2, "epsilon_high": eps_high, "loss": ns["loss"].item(),
                               "grad": [per_token.grad[i, :n].tolist() for i, n in enumerate(lengths)]})

    rloo_cases = []
    for beta, normalize in [(0.05, False), (0.05, True), (0.0, False)]:
        old_r = old.repeat(3, 1)
        ref_r = ref.repeat(3, 1)
        mask_r = mask.repeat(3, 1)
        trainer = types.SimpleNamespace(beta=beta, reward_clip_range=None, normalize_advantages=normalize,
                                        reward_weights=torch.tensor(weights, dtype=t64))
        ns = {"torch": torch, "nanstd": nanstd, "self": trainer, "rewards_per_func": rewards.clone(), "num_generations": g, "device": "cpu",
              "old_per_token_logps": old_r, "ref_per_token_logps": ref_r, "completion_mask": mask_r, "gather": lambda x: x}
        exec(compile(rloo_adv, "rloo_trainer.py", "exec"), ns)   # with its KL lines (per_token_kl = old − ref, summed)
        rloo_cases.append({"beta": beta, "normalize_advantages": normalize, "advantages": ns["advantages"].tolist()})

    per_token = logps.clone().requires_grad_(True)
    old_logps = (old * mask).sum(1)
    ns = {"torch": torch, "self": types.SimpleNamespace(epsilon_low=0.2, epsilon_high=0.2), "per_token_logps": per_token,
          "completion_mask": mask, "inputs": {"old_logps": old_logps, "advantages": adv}}
    exec(compile(rloo_loss, "rloo_trainer.py", "exec"), ns)
    ns["loss"].backward()
    rloo_loss_case = {"epsilon": 0.2, "loss": ns["loss"].item(), "grad": [per_token.grad[i, :n].tolist() for i, n in enumerate(lengths)]}

    out = {
        "source": f"trl==1.16.0: grpo_trainer.py lines {grpo_adv_line} (advantages) and {grpo_loss_line} (loss), "
                  f"rloo_trainer.py lines {rloo_adv_line} (advantages) and {rloo_loss_line} (loss)",
        "num_generations": g, "reward_weights": weights, "rewards_per_func": [[None if math.isnan(v) else v for v in row] for row in rewards.tolist()],
        "lengths": lengths, "logps": [row[:n] for row, n in zip(logps.tolist(), lengths)],
        "old_logps": [row[:n] for row, n in zip(old.tolist(), lengths)], "ref_logps": [row[:n] for row, n in zip(ref.tolist(), lengths)],
        "max_completion_length": t, "advantages": adv.tolist(),
        "grpo_advantages": advantage_cases, "grpo_losses": loss_cases, "rloo_advantages": rloo_cases, "rloo_loss": rloo_loss_case,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
