#!/usr/bin/env python3
"""Optimizer, clipping and LR-schedule goldens for RLHFOptim tests.

Writes Tests/RLHFOptimTests/Resources/optim_goldens.json from PyTorch (float32, CPU) and
HF `transformers` schedules. Needs: torch, transformers. Run from anywhere:

    python3 scripts/goldens/optim_goldens.py [--out PATH]

JSON layout (all tensors flattened row-major, with their shape alongside):
  problem:    x [5,3], y [5,4], w [3,4], b [4] (initial), loss = mean((x @ w + b - y)**2)
  optimizers: {name: {torch, hyper, clip_max_norm?, steps: [{step, loss, grads{w,b},
               total_norm?, params_after{w,b}}]}}  -- `loss` is before the step, `grads` are
               what the optimizer consumed (after clipping), `total_norm` is what
               clip_grad_norm_ returned (pre-clip global L2 norm).
  schedules:  {name: {function, args, base_lr, steps, lr[], multiplier[]}} -- lr[i] is
               scheduler.get_last_lr()[0] before the (i+1)-th optimizer.step(); multiplier[i]
               is the raw lr_lambda(i).
Tensor floats are float(x) of float32 values, so they round-trip exactly to Float; schedule
lr/multiplier values are Python (float64) numbers, as transformers computes them. Note that HF
cosine schedules are not clamped after num_training_steps: they rise again (steps 101..110 show it).
"""
import argparse
import json
import os

import torch
import transformers
from transformers import (
    get_constant_schedule,
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_linear_schedule_with_warmup,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(ROOT, "Tests", "RLHFOptimTests", "Resources", "optim_goldens.json")
STEPS = 20


def flat(t):
    return [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def tensor(t):
    return {"shape": list(t.shape), "data": flat(t)}


# name -> (constructor, hyperparameters recorded in the JSON, clip max_norm or None)
OPTIMIZERS = [
    ("sgd", "SGD", dict(lr=0.1), None),
    ("sgd_momentum", "SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01), None),
    ("sgd_nesterov", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True), None),
    ("adam", "Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1), None),
    ("adamw", "AdamW", dict(lr=0.01, betas=(0.9, 0.95), eps=1e-6, weight_decay=0.1), None),
    ("adamw_clip", "AdamW", dict(lr=0.05, weight_decay=0.01), 0.5),
]


def full_hyper(opt):
    """The optimizer's resolved defaults for its (single) param group, JSON-friendly."""
    g = opt.param_groups[0]
    keep = ["lr", "momentum", "dampening", "weight_decay", "nesterov", "betas", "eps", "amsgrad", "maximize"]
    out = {}
    for k in keep:
        if k in g:
            v = g[k]
            out[k] = list(v) if isinstance(v, tuple) else v
    return out


def run_optimizer(problem, cls_name, hyper, clip):
    x, y, w0, b0 = problem
    w = w0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    params = [w, b]
    opt = getattr(torch.optim, cls_name)(params, foreach=False, **hyper)
    steps = []
    for i in range(STEPS):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        rec = {"step": i + 1, "loss": float(loss.item())}
        if clip is not None:
            total = torch.nn.utils.clip_grad_norm_(params, max_norm=clip, foreach=False)
            rec["total_norm"] = float(total.item())
        rec["grads"] = {"w": flat(w.grad), "b": flat(b.grad)}
        opt.step()
        rec["params_after"] = {"w": flat(w), "b": flat(b)}
        steps.append(rec)
    return opt, steps


SCHEDULES = [
    ("constant", get_constant_schedule, {}),
    ("constant_with_warmup", get_constant_schedule_with_warmup, dict(num_warmup_steps=10)),
    ("linear_with_warmup", get_linear_schedule_with_warmup, dict(num_warmup_steps=10, num_training_steps=100)),
    ("cosine_with_warmup", get_cosine_schedule_with_warmup, dict(num_warmup_steps=10, num_training_steps=100)),
    ("cosine_with_warmup_1.5_cycles", get_cosine_schedule_with_warmup,
     dict(num_warmup_steps=10, num_training_steps=100, num_cycles=1.5)),
]
SCHEDULE_BASE_LR = 1e-3
SCHEDULE_STEPS = 111  # steps 0..110, past num_training_steps on purpose


def run_schedule(fn, args):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=SCHEDULE_BASE_LR)
    sched = fn(opt, **args)
    lam = sched.lr_lambdas[0]
    lrs, mults = [], []
    for i in range(SCHEDULE_STEPS):
        lrs.append(float(sched.get_last_lr()[0]))
        mults.append(float(lam(i)))
        opt.step()
        sched.step()
    return lrs, mults


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    a = ap.parse_args()

    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    w0 = torch.randn(3, 4)
    b0 = torch.randn(4)
    x = torch.randn(5, 3)
    y = torch.randn(5, 4)
    problem = (x, y, w0, b0)

    optimizers = {}
    for name, cls_name, hyper, clip in OPTIMIZERS:
        opt, steps = run_optimizer(problem, cls_name, hyper, clip)
        entry = {
            "torch": f"torch.optim.{cls_name}(params, foreach=False, "
                     + ", ".join(f"{k}={v!r}" for k, v in hyper.items()) + ")",
            "hyper": full_hyper(opt),
        }
        if clip is not None:
            entry["clip_max_norm"] = clip
            entry["clip"] = "torch.nn.utils.clip_grad_norm_(params, max_norm=%r) before each step" % clip
        entry["steps"] = steps
        optimizers[name] = entry

    schedules = {}
    for name, fn, args in SCHEDULES:
        lrs, mults = run_schedule(fn, args)
        schedules[name] = {
            "function": fn.__name__,
            "args": args,
            "base_lr": SCHEDULE_BASE_LR,
            "steps": SCHEDULE_STEPS,
            "lr": lrs,
            "multiplier": mults,
        }

    doc = {
        "generator": "scripts/goldens/optim_goldens.py",
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "dtype": "float32",
        "seed": 0,
        "problem": {
            "loss": "mean((x @ w + b - y)**2)",
            "draw_order": "torch.manual_seed(0); w=randn(3,4); b=randn(4); x=randn(5,3); y=randn(5,4)",
            "x": tensor(x),
            "y": tensor(y),
            "w": tensor(w0),
            "b": tensor(b0),
        },
        "optimizers": optimizers,
        "schedules": schedules,
    }

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    # Compact, but one entry per line (problem fields, optimizers, schedules) for readable diffs.
    def compact(v):
        return json.dumps(v, separators=(",", ":"))

    def block(d, indent):
        pad = " " * indent
        lines = []
        for k, v in d.items():
            if k in ("problem", "optimizers", "schedules"):
                lines.append(f"{pad}{json.dumps(k)}: " + block(v, indent + 1))
            else:
                lines.append(f"{pad}{json.dumps(k)}: {compact(v)}")
        return "{\n" + ",\n".join(lines) + "\n" + " " * (indent - 1) + "}"

    text = block(doc, 1) + "\n"
    json.loads(text)  # sanity: still valid JSON
    with open(a.out, "w") as f:
        f.write(text)
    print(f"wrote {os.path.relpath(a.out)} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
