#!/usr/bin/env python3
"""PPO reference values computed by TRL's own code, for the RLHFTraining tests.

Writes Tests/RLHFTrainingTests/Resources/ppo-goldens.json. Usage:

    python3 scripts/ppo_goldens.py [--out PATH] [--wheel-dir DIR]   # (re)write the JSON
    python3 scripts/ppo_goldens.py --check [--wheel-dir DIR]        # regenerate in memory and compare

`--check` fails (exit 1) when any number differs from the committed file by more than 1e-12, or when a
key, shape or string differs. Needs: torch, numpy, pip, and PyPI (or --wheel-dir holding the wheels).

Where the code comes from
-------------------------
Current trl (1.x) ships no PPO, and old trl cannot be imported next to transformers 5. So the script
fetches pinned trl wheels with `pip download trl==X --no-deps` (sha256 checked), reads the source
files out of the wheel with zipfile, cuts the named definitions out with `ast`, and execs them in a
namespace that holds torch, numpy, F, warnings and the typing names they need. Nothing is
re-implemented; the one hand-written piece is the `self` stand-in (a types.SimpleNamespace carrying
only the attributes the methods read: `config.<field>` and `kl_ctl.value`, plus `_kl_penalty` bound to
it, which compute_rewards calls). A missing attribute would raise, so each case's config lists
exactly what TRL reads. Line numbers below are those of the pinned wheels (also written into each
case's "source" string, taken from the AST at run time).

  trl==0.11.4 (last release with the original PPOTrainer):
    trl/core.py                 masked_mean (136-141), masked_var (144-160), masked_whiten (163-169),
                                clip_by_value (172-178), entropy_from_logits (181-185),
                                flatten_dict (73-87; builds loss()'s stats dict)
    trl/trainer/ppo_trainer.py  PPOTrainer.compute_rewards (1112-1148), PPOTrainer._kl_penalty
                                (1150-1164), PPOTrainer.compute_advantages (1166-1192),
                                PPOTrainer.loss (1194-1281)
    trl/trainer/utils.py        AdaptiveKLController (54-69), FixedKLController (72-79)
  trl==0.19.1 (the later PPO trainer, ex-PPOv2):
    trl/trainer/ppo_trainer.py  PPOTrainer.train, lines 510-511, the k1/k3 KL estimator, inline:
                                    logr = ref_logprobs - logprobs
                                    kl = -logr if args.kl_estimator == "k1" else (logr.exp() - 1) - logr  # ...
  trl==0.29.1 (same trainer, moved to trl.experimental):
    trl/experimental/ppo/ppo_trainer.py  PPOTrainer.train, lines 769-770: the same two lines, verbatim;
                                masked_mean/masked_var/masked_whiten (246-279), checked to give
                                bit-identical results to 0.11.4's on the masked_stats case.
  The two inline lines are cut out of the wheel's text (asserted equal to the text above) and exec'd
  with `args = SimpleNamespace(kl_estimator=...)`; 0.19.1 and 0.29.1 must agree bit for bit.

Data
----
All tensors are float64 (masks too, as 1.0/0.0, so masked means and clip fractions are exact ratios
rather than TRL's float32 `.float()` fractions over a LongTensor mask). Shapes are batch 4 x 7 tokens;
the mask rows are right-padded with real lengths 7, 5, 3, 1. Random inputs come from torch.manual_seed
(one seed per case) and are rounded to 4 decimals, so the JSON inputs are short and exact. Outputs are
written with Python's shortest round-trip float repr. TRL computes every token, padding included
(e.g. compute_rewards' KL at padded positions, masked_whiten at padded positions): the outputs are
the whole tensors exactly as TRL returns them; compare only where the mask is 1 if the Swift code
zeroes padding.
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
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "Tests", "RLHFTrainingTests", "Resources", "ppo-goldens.json")
TOLERANCE = 1e-12

# PyPI wheels are immutable; pin their hashes so a different file can never slip in.
WHEELS = {
    "0.11.4": "071d64164c152ef65b44d15f878793b28d3340310c9e157dc3608bbe5fa549a9",
    "0.19.1": "8a2d4277b4ba7221eaab545a35ee89b6fbb8721fa3709ac01876a8c1bd7fd78a",
    "0.29.1": "f9490cd1af93f3dce1cfdfe0fa1de108dbc46a2f6c2f90485cc2b4021c43eef3",
}
OLD = "0.11.4"
K3_SOURCES = [("0.19.1", "trl/trainer/ppo_trainer.py"), ("0.29.1", "trl/experimental/ppo/ppo_trainer.py")]
K3_LINES = [
    "logr = ref_logprobs - logprobs",
    'kl = -logr if args.kl_estimator == "k1" else (logr.exp() - 1) - logr  # Else statement is k3',
]
LENGTHS = [7, 5, 3, 1]
B, T, V = 4, 7, 5


# ----------------------------------------------------------------------------------------------
# Fetching TRL's source


def fetch_wheels(wheel_dir):
    """Return {version: path}; downloads with pip into wheel_dir what is not there already."""
    paths = {}
    for version, sha in WHEELS.items():
        path = os.path.join(wheel_dir, f"trl-{version}-py3-none-any.whl")
        if not os.path.exists(path):
            subprocess.run([sys.executable, "-m", "pip", "download", f"trl=={version}", "--no-deps",
                            "--only-binary=:all:", "-q", "-d", wheel_dir], check=True)
        with open(path, "rb") as f:
            got = hashlib.sha256(f.read()).hexdigest()
        if got != sha:
            sys.exit(f"{path}: sha256 {got}, expected {sha}")
        paths[version] = path
    return paths


class WheelSource:
    def __init__(self, version, wheel_path):
        self.version = version
        self.zip = zipfile.ZipFile(wheel_path)
        self.texts = {}

    def text(self, path):
        if path not in self.texts:
            self.texts[path] = self.zip.read(path).decode("utf-8")
        return self.texts[path]

    def definition(self, path, name, cls=None):
        """(source text dedented, first line, last line) of a top-level def/class, or of a method."""
        text = self.text(path)
        body = ast.parse(text).body
        if cls is not None:
            body = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == cls).body
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
                if node.decorator_list:
                    raise ValueError(f"{path}:{name} is decorated; not handled")
                src = textwrap.dedent(ast.get_source_segment(text, node, padded=True))
                return src, node.lineno, node.end_lineno
        raise KeyError(f"trl=={self.version} {path}: no {cls + '.' if cls else ''}{name}")


def base_namespace():
    return {"torch": torch, "np": np, "F": F, "nn": torch.nn, "warnings": warnings, "Mapping": Mapping,
            "Any": Any, "Dict": Dict, "List": List, "Literal": Literal, "Optional": Optional,
            "Tuple": Tuple, "Union": Union, "__name__": "trl_extracted"}


class Extracted:
    """Definitions exec'd out of one wheel. `ns` is the module namespace the functions see (so
    compute_advantages finds masked_whiten there); methods are kept apart in `methods`."""

    def __init__(self, src: WheelSource):
        self.src = src
        self.ns = base_namespace()
        self.methods = {}
        self.where = {}

    def load(self, path, names, cls=None):
        for name in names:
            code, first, last = self.src.definition(path, name, cls)
            key = f"{cls}.{name}" if cls else name
            if cls:  # methods go apart from the module namespace (they still see it as globals)
                scope = {}
                exec(compile(code, f"trl-{self.src.version}/{path}:{key}", "exec"), self.ns, scope)
                self.methods[key] = scope[name]
            else:
                exec(compile(code, f"trl-{self.src.version}/{path}:{key}", "exec"), self.ns)
            self.where[key] = f"{path} {key} (lines {first}-{last})"

    def cite(self, *keys):
        return f"trl=={self.src.version} " + "; ".join(self.where[k] for k in keys)


def inline_lines(src: WheelSource, path, expected):
    """Cut `expected` (consecutive lines, compared stripped) out of `path`; return (code, first line)."""
    lines = src.text(path).splitlines()
    hits = [i for i, l in enumerate(lines) if l.strip() == expected[0]]
    if len(hits) != 1:
        raise ValueError(f"trl=={src.version} {path}: {len(hits)} lines equal {expected[0]!r}")
    i = hits[0]
    got = [l.strip() for l in lines[i:i + len(expected)]]
    if got != expected:
        raise ValueError(f"trl=={src.version} {path}:{i + 1}: lines differ:\n{got}\n{expected}")
    # Which method holds them (for the citation).
    tree = ast.parse(src.text(path))
    owner = "module"
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
            if fn.lineno <= i + 1 <= fn.end_lineno:
                owner = f"{cls.name}.{fn.name}"
    return textwrap.dedent("\n".join(lines[i:i + len(expected)])) + "\n", i + 1, owner


# ----------------------------------------------------------------------------------------------
# Inputs


def rand(gen, *shape, scale=1.0, shift=0.0):
    return torch.round(torch.randn(*shape, generator=gen, dtype=torch.float64) * scale + shift, decimals=4)


def uniform(gen, *shape, low=0.0, high=1.0):
    return torch.round(torch.rand(*shape, generator=gen, dtype=torch.float64) * (high - low) + low, decimals=4)


def make_mask():
    mask = torch.zeros(B, T, dtype=torch.float64)
    for row, n in enumerate(LENGTHS):
        mask[row, :n] = 1.0
    return mask


def gen(seed):
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def J(x):
    """Tensor / number -> plain JSON number or nested list."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        return float(x) if x.dim() == 0 else x.tolist()
    if isinstance(x, (np.floating, np.integer)):
        return float(x)
    return x


def make_self(ext, kl_coef=None, **config):
    self = types.SimpleNamespace(config=types.SimpleNamespace(**config))
    if kl_coef is not None:
        self.kl_ctl = types.SimpleNamespace(value=kl_coef)
    self._kl_penalty = types.MethodType(ext.methods["PPOTrainer._kl_penalty"], self)
    return self


# ----------------------------------------------------------------------------------------------
# Cases


def case_masked_stats(ext, new_ext):
    g = gen(1)
    values = rand(g, B, T, scale=2.0, shift=0.5)
    mask = make_mask()
    ns = ext.ns
    out = {
        "mean": ns["masked_mean"](values, mask),
        "var_unbiased": ns["masked_var"](values, mask, unbiased=True),
        "var_biased": ns["masked_var"](values, mask, unbiased=False),
        "row_mean": ns["masked_mean"](values, mask, axis=1),
        "whiten_shift_mean": ns["masked_whiten"](values, mask, shift_mean=True),
        "whiten_no_shift_mean": ns["masked_whiten"](values, mask, shift_mean=False),
    }
    n = new_ext.ns  # the later trainer's copies must agree exactly
    for key, again in [("mean", n["masked_mean"](values, mask)),
                       ("var_unbiased", n["masked_var"](values, mask, unbiased=True)),
                       ("whiten_shift_mean", n["masked_whiten"](values, mask, shift_mean=True)),
                       ("whiten_no_shift_mean", n["masked_whiten"](values, mask, shift_mean=False))]:
        assert torch.equal(out[key], again), key
    return {
        "source": ext.cite("masked_mean", "masked_var", "masked_whiten")
                  + " (bit-identical to the later trainer's copies: "
                  + new_ext.cite("masked_mean", "masked_var", "masked_whiten") + ")."
                  + " row_mean is masked_mean(values, mask, axis=1); whiten uses rsqrt(var_unbiased + 1e-8).",
        "inputs": {"values": J(values), "mask": J(mask)},
        "outputs": {k: J(v) for k, v in out.items()},
    }


def case_kl_estimators(ext, new_srcs):
    g = gen(2)
    logprobs = -uniform(g, B, T, low=0.05, high=3.0)
    ref_logprobs = torch.round(logprobs + rand(g, B, T, scale=0.5), decimals=4)
    out = {}
    for kind in ["kl", "abs", "mse"]:
        self = make_self(ext, kl_penalty=kind)
        out[kind] = self._kl_penalty(logprobs, ref_logprobs)
    cites = []
    results = {}
    for src, path in new_srcs:
        code, line, owner = inline_lines(src, path, K3_LINES)
        for est in ["k1", "k3"]:
            scope = {"torch": torch, "ref_logprobs": ref_logprobs.clone(),
                     "logprobs": logprobs.clone(), "args": types.SimpleNamespace(kl_estimator=est)}
            exec(compile(code, f"trl-{src.version}/{path}:{line}", "exec"), scope)
            results.setdefault(est, []).append(scope["kl"])
        cites.append(f"trl=={src.version} {path} {owner} lines {line}-{line + len(K3_LINES) - 1}")
    for est, got in results.items():
        assert all(torch.equal(got[0], x) for x in got[1:]), est
        out[est] = got[0]
    return {
        "source": ext.cite("PPOTrainer._kl_penalty") + ' for kl/abs/mse (config.kl_penalty); k1/k3: '
                  + "; ".join(cites) + ' (inline, verbatim: ' + " / ".join(K3_LINES) + ")",
        "inputs": {"logprobs": J(logprobs), "ref_logprobs": J(ref_logprobs)},
        "outputs": {k: J(v) for k, v in out.items()},
    }


def case_compute_rewards(ext):
    g = gen(3)
    scores = rand(g, B, scale=1.5)
    logprobs = -uniform(g, B, T, low=0.05, high=3.0)
    ref_logprobs = torch.round(logprobs + rand(g, B, T, scale=0.5), decimals=4)
    masks = make_mask()
    kl_coef = 0.05
    self = make_self(ext, kl_coef=kl_coef, kl_penalty="kl")
    rewards, non_score_rewards, kls = ext.methods["PPOTrainer.compute_rewards"](self, scores, logprobs,
                                                                                ref_logprobs, masks)
    return {
        "source": ext.cite("PPOTrainer.compute_rewards", "PPOTrainer._kl_penalty")
                  + '; config.kl_penalty="kl", kl_ctl.value=kl_coef. Score added at the last index where'
                  + " mask is nonzero; KL terms are not masked (padding keeps -kl_coef*kl).",
        "inputs": {"scores": J(scores), "logprobs": J(logprobs), "ref_logprobs": J(ref_logprobs),
                   "masks": J(masks), "kl_coef": kl_coef, "kl_penalty": "kl"},
        "outputs": {"rewards": J(rewards), "non_score_rewards": J(non_score_rewards), "kls": J(kls)},
    }


def case_compute_advantages(ext, seed, gamma, lam, whiten_rewards):
    g = gen(seed)
    values = rand(g, B, T, scale=1.0)
    rewards = rand(g, B, T, scale=0.1)
    mask = make_mask()
    for row, n in enumerate(LENGTHS):  # a sequence-level score at each row's last real token
        rewards[row, n - 1] += float(torch.round(torch.randn(1, generator=g, dtype=torch.float64) * 2, decimals=4))
    rewards = torch.round(rewards, decimals=4)

    calls = []
    real = ext.ns["masked_whiten"]

    def spy(values, mask, shift_mean=True):  # records what TRL whitens; returns TRL's own result
        out = real(values, mask, shift_mean=shift_mean)
        calls.append((values.detach().clone(), out.detach().clone()))
        return out

    ext.ns["masked_whiten"] = spy
    try:
        self = make_self(ext, gamma=gamma, lam=lam, whiten_rewards=whiten_rewards)
        v_out, advantages, returns = ext.methods["PPOTrainer.compute_advantages"](self, values, rewards, mask)
    finally:
        ext.ns["masked_whiten"] = real
    assert len(calls) == (2 if whiten_rewards else 1)
    unwhitened = calls[-1][0]
    assert torch.allclose(unwhitened + v_out, returns, rtol=0, atol=1e-12)
    outputs = {"values": J(v_out), "advantages": J(advantages), "returns": J(returns),
               "advantages_unwhitened": J(unwhitened)}
    note = ("advantages = masked_whiten(advantages_unwhitened, mask) (shift_mean=True, unbiased var, +1e-8);"
            " returns = advantages_unwhitened + values; values = values*mask. advantages_unwhitened is the"
            " argument of TRL's final masked_whiten call, captured by wrapping masked_whiten in the namespace.")
    if whiten_rewards:
        outputs["rewards_whitened"] = J(calls[0][1])
        note += (" rewards_whitened = masked_whiten(rewards*mask, mask, shift_mean=False), the rewards the GAE"
                 " loop used; trl 0.11.4 does NOT re-zero padding after this, so padded (whitened) rewards"
                 " flow into the advantages of real tokens.")
    return {
        "source": ext.cite("PPOTrainer.compute_advantages", "masked_whiten") + ". " + note,
        "inputs": {"values": J(values), "rewards": J(rewards), "mask": J(mask),
                   "gamma": gamma, "lam": lam, "whiten_rewards": whiten_rewards},
        "outputs": outputs,
    }


def case_loss(ext):
    g = gen(5)
    mask = make_mask()
    old_logprobs = -uniform(g, B, T, low=0.05, high=3.0)
    logprobs = torch.round(old_logprobs + rand(g, B, T, scale=0.25), decimals=4)
    values = rand(g, B, T, scale=1.0)
    vpreds = torch.round(values + rand(g, B, T, scale=0.25), decimals=4)
    advantages = rand(g, B, T, scale=1.0)
    returns = torch.round(values + rand(g, B, T, scale=0.5), decimals=4)
    logits = rand(g, B, T, V, scale=1.0)
    config = dict(cliprange=0.2, cliprange_value=0.2, vf_coef=0.1, ratio_threshold=10.0)

    lp = logprobs.clone().requires_grad_(True)
    vp = vpreds.clone().requires_grad_(True)
    self = make_self(ext, **config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the ratio_threshold "Skipping batch" warning must not fire
        pg_loss, vf_loss_scaled, stats = ext.methods["PPOTrainer.loss"](
            self, old_logprobs, values, logits, vp, lp, mask, advantages, returns)
    total = pg_loss + vf_loss_scaled  # what PPOTrainer.train_minibatch backpropagates
    total.backward()
    ratio = stats["policy/ratio"]
    assert torch.equal(total.detach(), stats["loss/total"])
    mean_ratio = ext.ns["masked_mean"](ratio, mask)  # the expression loss() compares to ratio_threshold
    m = mask.bool()
    assert 0 < int((ratio[m] > 1.2).sum()) and 0 < int((ratio[m] < 0.8).sum()), "want clipping both ways"
    assert 0 < float(stats["val/clipfrac"]) < 1 and 0 < float(stats["policy/clipfrac"]) < 1
    return {
        "source": ext.cite("PPOTrainer.loss", "clip_by_value", "masked_mean", "masked_var",
                           "entropy_from_logits", "flatten_dict")
                  + ". loss() returns (pg_loss, vf_coef*vf_loss, stats); outputs.stats holds the scalar entries"
                  + " of that stats dict under TRL's own keys (its tensors policy/advantages and policy/ratio"
                  + " are inputs.advantages and outputs.ratio); vf_loss is stats loss/value (unscaled)."
                  + " Gradients are of pg_loss + vf_coef*vf_loss (PPOTrainer.train_minibatch) w.r.t. logprobs"
                  + " and vpreds, from torch autograd (torch.max ties split the gradient evenly; the sum is"
                  + " the same either way). mean_ratio = masked_mean(ratio, mask), loss()'s avg_ratio.",
        "inputs": {"old_logprobs": J(old_logprobs), "values": J(values), "logits": J(logits),
                   "vpreds": J(vpreds), "logprobs": J(logprobs), "mask": J(mask),
                   "advantages": J(advantages), "returns": J(returns), **config},
        "outputs": {
            "pg_loss": J(pg_loss),
            "vf_loss": J(stats["loss/value"]),
            "vf_loss_scaled": J(vf_loss_scaled),
            "loss": J(total),
            "pg_clipfrac": J(stats["policy/clipfrac"]),
            "vf_clipfrac": J(stats["val/clipfrac"]),
            "approxkl": J(stats["policy/approxkl"]),
            "policykl": J(stats["policy/policykl"]),
            "entropy": J(stats["policy/entropy"]),
            "mean_ratio": J(mean_ratio),
            "ratio": J(ratio),
            "grad_logprobs": J(lp.grad),
            "grad_vpreds": J(vp.grad),
            "stats": {k: J(v) for k, v in stats.items() if v.dim() == 0},
        },
    }


def case_kl_controllers(ext):
    current_kls = [1.0, 3.0, 8.0, 12.0, 6.0, 0.5]
    n_steps = 64
    adaptive = ext.ns["AdaptiveKLController"](0.2, 6.0, 10000.0)
    fixed = ext.ns["FixedKLController"](0.2)
    a_vals, f_vals = [], []
    for kl in current_kls:
        adaptive.update(kl, n_steps)
        fixed.update(kl, n_steps)
        a_vals.append(J(adaptive.value))
        f_vals.append(J(fixed.value))
    return {
        "source": ext.cite("AdaptiveKLController", "FixedKLController")
                  + ". value *= 1 + clip(current/target - 1, -0.2, 0.2) * n_steps / horizon, after each update.",
        "inputs": {"init_kl_coef": 0.2, "target": 6.0, "horizon": 10000.0, "n_steps": n_steps,
                   "current_kls": current_kls},
        "outputs": {"adaptive_values": a_vals, "fixed_values": f_vals},
    }


def generate(wheel_dir):
    paths = fetch_wheels(wheel_dir)
    srcs = {v: WheelSource(v, p) for v, p in paths.items()}

    ext = Extracted(srcs[OLD])
    ext.load("trl/core.py", ["flatten_dict", "masked_mean", "masked_var", "masked_whiten", "clip_by_value",
                             "entropy_from_logits"])
    ext.load("trl/trainer/utils.py", ["AdaptiveKLController", "FixedKLController"])
    ext.load("trl/trainer/ppo_trainer.py", ["compute_rewards", "_kl_penalty", "compute_advantages", "loss"],
             cls="PPOTrainer")

    new_ext = Extracted(srcs["0.29.1"])
    new_ext.load("trl/experimental/ppo/ppo_trainer.py", ["masked_mean", "masked_var", "masked_whiten"])

    torch.set_num_threads(1)
    return {
        "meta": {
            "generator": "scripts/ppo_goldens.py",
            "dtype": "float64",
            "shape": [B, T],
            "mask_lengths": LENGTHS,
            "trl_wheels": {f"trl=={v}": f"sha256:{s}" for v, s in WHEELS.items()},
            "note": "Tensors are nested lists, row-major [batch][token] (logits [batch][token][vocab]). "
                    "Masks are 1/0 right-padded. Outputs cover padded positions exactly as TRL returns them.",
        },
        "masked_stats": case_masked_stats(ext, new_ext),
        "kl_estimators": case_kl_estimators(ext, [(srcs[v], p) for v, p in K3_SOURCES]),
        "compute_rewards": case_compute_rewards(ext),
        "compute_advantages": case_compute_advantages(ext, 4, gamma=1.0, lam=0.95, whiten_rewards=False),
        "compute_advantages_whiten": case_compute_advantages(ext, 14, gamma=0.9, lam=0.8, whiten_rewards=True),
        "loss": case_loss(ext),
        "kl_controllers": case_kl_controllers(ext),
    }


# ----------------------------------------------------------------------------------------------
# Output and --check


def dump(obj, indent=0):
    """JSON with dicts one key a line and each innermost list of numbers on one line."""
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {dump(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and isinstance(obj[0], list):
        return "[\n" + ",\n".join(inner + dump(v, indent + 1) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj, allow_nan=False)


def compare(a, b, path, errors):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                errors.append(f"{path}/{k}: only in {'committed' if k in a else 'regenerated'}")
            else:
                compare(a[k], b[k], f"{path}/{k}", errors)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            errors.append(f"{path}: length {len(a)} vs {len(b)}")
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                compare(x, y, f"{path}[{i}]", errors)
    elif isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        if a != b:
            errors.append(f"{path}: {a!r} vs {b!r}")
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not math.isfinite(a) or not math.isfinite(b) or abs(a - b) > TOLERANCE:
            errors.append(f"{path}: {a!r} vs {b!r}")
    elif a != b:
        errors.append(f"{path}: {a!r} vs {b!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    ap.add_argument("--wheel-dir", help="where the trl wheels are (downloaded there if missing); "
                                        "default: a temporary folder")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="trl-wheels-") as tmp:
        goldens = generate(args.wheel_dir or tmp)
    text = dump(goldens) + "\n"
    if args.check:
        with open(args.out) as f:
            committed = json.load(f)
        errors = []
        compare(committed, json.loads(text), "", errors)
        if errors:
            print(f"{args.out}: {len(errors)} difference(s) over {TOLERANCE}:", *errors[:20], sep="\n  ")
            sys.exit(1)
        print(f"{args.out}: matches (tolerance {TOLERANCE})")
        return
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"wrote {args.out} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
