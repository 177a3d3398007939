#!/usr/bin/env python3
"""DPO loss values and gradients computed by TRL's own code, for the RLHFTraining tests.

Writes Tests/RLHFTrainingTests/Resources/dpo-goldens.json. Usage:

    python3 scripts/dpo_goldens.py [--out PATH] [--wheel-dir DIR]

Needs torch, pip and PyPI (or --wheel-dir holding the wheel).

Where the code comes from: the pinned wheel trl==1.16.0 (`pip download --no-deps`, sha256 checked). In it,
`DPOTrainer._compute_loss` (trl/trainer/dpo_trainer.py) computes the per-sequence loss in a chain
`if loss_type == "sigmoid": … elif …` inside its loop over loss types. The script cuts that `if` statement
out of the method with `ast` and execs it, unchanged, in a namespace holding what it reads: `self` (a
SimpleNamespace with `beta` and `label_smoothing`), `delta_score`, `chosen_scores`, `rejected_scores`,
`completion_mask`, `device`, torch, F and math; TRL's standard DPO ("reverse_kl") sets
`chosen_scores = chosen_logps − ref_chosen_logps` (the same for rejected) and `delta_score` as their
difference; the loss is `per_sequence_loss.mean()`. Gradients are torch autograd's, with respect to the
policy's summed log-probs of the chosen and rejected completions. Everything is float64.

`rpo_cases`: RPO as TRL 1.16 spells it (loss_type ["sigmoid", "sft"], loss_weights [1, alpha]; the loop adds
each per_sequence_loss.mean() times its weight), on per-token log-probs of 2B rows of varying length (chosen
rows first, zero outside the completion mask), with the gradient with respect to each token's log-prob.

`orpo_cases`: ORPO from the same wheel's trl/experimental/orpo/orpo_trainer.py (`log1mexp` and
`ORPOTrainer.odds_ratio_loss`, exec'd unchanged) on per-token means, plus the chosen tokens' mean NLL.
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


def loss_chain(source):
    """The `if loss_type == "sigmoid": …` statement of DPOTrainer._compute_loss."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "_compute_loss":
            for inner in ast.walk(node):
                if (isinstance(inner, ast.If) and isinstance(inner.test, ast.Compare)
                        and isinstance(inner.test.left, ast.Name) and inner.test.left.id == "loss_type"
                        and isinstance(inner.test.comparators[0], ast.Constant) and inner.test.comparators[0].value == "sigmoid"):
                    lines = source.splitlines()[inner.lineno - 1:inner.end_lineno]
                    return textwrap.dedent("\n".join(lines)), inner.lineno
    raise SystemExit("DPOTrainer._compute_loss has no `if loss_type == \"sigmoid\"` chain")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "Tests/RLHFTrainingTests/Resources/dpo-goldens.json"))
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
    source = zipfile.ZipFile(path).read("trl/trainer/dpo_trainer.py").decode()
    chain, line = loss_chain(source)
    code = compile(chain, "trl/trainer/dpo_trainer.py", "exec")

    torch.manual_seed(5)
    b = 6
    def inputs():
        return [round(float(x), 4) for x in (-40 + 8 * torch.rand(b, dtype=torch.float64))]
    cases = []
    for loss_type, beta, eps in [("sigmoid", 0.1, 0.0), ("sigmoid", 0.5, 0.0), ("hinge", 0.1, 0.0), ("hinge", 2.0, 0.0),
                                 ("ipo", 0.1, 0.0), ("ipo", 0.5, 0.0), ("robust", 0.1, 0.1), ("robust", 0.5, 0.3)]:
        c, r, rc, rr = inputs(), inputs(), inputs(), inputs()
        lengths_c = [int(x) for x in torch.randint(3, 20, (b,))]
        lengths_r = [int(x) for x in torch.randint(3, 20, (b,))]
        chosen = torch.tensor(c, dtype=torch.float64, requires_grad=True)
        rejected = torch.tensor(r, dtype=torch.float64, requires_grad=True)
        chosen_scores = chosen - torch.tensor(rc, dtype=torch.float64)
        rejected_scores = rejected - torch.tensor(rr, dtype=torch.float64)
        width = max(lengths_c + lengths_r)
        completion_mask = torch.tensor([[1.0] * n + [0.0] * (width - n) for n in lengths_c + lengths_r], dtype=torch.float64)
        ns = {"self": types.SimpleNamespace(beta=beta, label_smoothing=eps), "loss_type": loss_type, "torch": torch, "F": F,
              "math": math, "device": "cpu", "delta_score": chosen_scores - rejected_scores, "chosen_scores": chosen_scores,
              "rejected_scores": rejected_scores, "completion_mask": completion_mask}
        exec(code, ns)
        loss = ns["per_sequence_loss"].mean()
        loss.backward()
        cases.append({
            "loss_type": loss_type, "beta": beta, "label_smoothing": eps,
            "chosen_logps": c, "rejected_logps": r, "ref_chosen_logps": rc, "ref_rejected_logps": rr,
            "chosen_lengths": lengths_c, "rejected_lengths": lengths_r,
            "loss": loss.item(), "grad_chosen": chosen.grad.tolist(), "grad_rejected": rejected.grad.tolist(),
        })
    # RPO: loss_type ["sigmoid", "sft"] with loss_weights [1, alpha], as TRL's loop adds them, on per-token
    # log-probs (rows of varying length, zero outside the completion mask, as TRL's masked labels leave them)
    rpo = []
    for beta, alpha in [(0.1, 1.0), (0.5, 0.3)]:
        lengths = [int(x) for x in torch.randint(3, 12, (2 * b,))]
        width = max(lengths)
        mask = torch.tensor([[1.0] * n + [0.0] * (width - n) for n in lengths], dtype=torch.float64)
        tokens = [[round(float(x), 4) for x in (-4 * torch.rand(n, dtype=torch.float64))] for n in lengths]
        per_token = torch.tensor([t + [0.0] * (width - len(t)) for t in tokens], dtype=torch.float64, requires_grad=True)
        ref = [round(float(x), 4) for x in (-4 * torch.rand(2 * b, dtype=torch.float64) * torch.tensor(lengths))]
        logps = per_token.sum(dim=1)
        chosen_logps, rejected_logps = logps.chunk(2, dim=0)
        ref_t = torch.tensor(ref, dtype=torch.float64)
        chosen_scores, rejected_scores = chosen_logps - ref_t[:b], rejected_logps - ref_t[b:]
        loss = 0.0
        for loss_type, weight in [("sigmoid", 1.0), ("sft", alpha)]:
            ns = {"self": types.SimpleNamespace(beta=beta, label_smoothing=0.0), "loss_type": loss_type, "torch": torch, "F": F,
                  "math": math, "device": "cpu", "delta_score": chosen_scores - rejected_scores, "chosen_scores": chosen_scores,
                  "rejected_scores": rejected_scores, "completion_mask": mask, "shift_completion_mask": mask,
                  "per_token_logps": per_token}
            exec(code, ns)
            loss = loss + ns["per_sequence_loss"].mean() * weight
        loss.backward()
        rpo.append({
            "beta": beta, "rpo_alpha": alpha, "token_logps": tokens, "ref_logps": ref, "loss": loss.item(),
            "grad_token_logps": [per_token.grad[i, :n].tolist() for i, n in enumerate(lengths)],
        })
    # ORPO: trl/experimental/orpo/orpo_trainer.py's `log1mexp` and `ORPOTrainer.odds_ratio_loss`, exec'd unchanged;
    # the per-token means as its get_batch_logps(average_log_prob=True) takes them; the NLL is its cross-entropy
    # over the chosen tokens, i.e. minus the mean of their log-probs; loss = nll − losses.mean() as in
    # get_batch_loss_metrics
    orpo_source = zipfile.ZipFile(path).read("trl/experimental/orpo/orpo_trainer.py").decode()
    orpo_ns = {"torch": torch, "F": F}
    for node in ast.parse(orpo_source).body:
        if isinstance(node, ast.FunctionDef) and node.name == "log1mexp":
            exec(compile(ast.Module([node], []), "orpo_trainer.py", "exec"), orpo_ns)
        if isinstance(node, ast.ClassDef) and node.name == "ORPOTrainer":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "odds_ratio_loss":
                    item.decorator_list = []
                    exec(compile(ast.Module([item], []), "orpo_trainer.py", "exec"), orpo_ns)
    orpo = []
    for beta in [0.1, 1.0]:
        lengths = [int(x) for x in torch.randint(3, 12, (2 * b,))]
        tokens = [[round(float(x), 4) for x in (-3 * torch.rand(n, dtype=torch.float64))] for n in lengths]
        flat = torch.tensor([x for t in tokens for x in t], dtype=torch.float64, requires_grad=True)
        pieces = flat.split(lengths)
        means = torch.stack([p.mean() for p in pieces])
        nll = -torch.cat(pieces[:b]).mean()
        trainer = types.SimpleNamespace(beta=beta, accelerator=types.SimpleNamespace(device="cpu"))
        losses, _, _, ratio, log_odds = orpo_ns["odds_ratio_loss"](trainer, means[:b], means[b:])
        loss = nll - losses.mean()
        loss.backward()
        orpo.append({"beta": beta, "token_logps": tokens, "loss": loss.item(), "log_odds_ratio": ratio.item(),
                     "log_odds_chosen": log_odds.item(), "grad_token_logps": [g.tolist() for g in flat.grad.split(lengths)]})
    out = {"source": f"trl==1.16.0 trl/trainer/dpo_trainer.py DPOTrainer._compute_loss, the loss_type chain at line {line}; "
                     "trl/experimental/orpo/orpo_trainer.py log1mexp and ORPOTrainer.odds_ratio_loss",
           "cases": cases, "rpo_cases": rpo, "orpo_cases": orpo}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {a.out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
