#!/usr/bin/env python3
"""The KL trade-off of PPO-RLHF at LM scale: PPO runs that differ only in kl_coef (β).

    python3 scripts/ppo_kl_sweep.py [--rlhf .build/release/rlhf] [--pipeline examples/pipeline.yaml]
                                    [--pipeline-dir output/pipeline] [--betas 0.01,0.05,0.2]
                                    [--steps N] [--out output/kl-sweep]

It reads the `ppo:` section of the pipeline config and the SFT and reward-model checkpoints a finished
`rlhf pipeline` run left (their completed.json), then runs `rlhf ppo` once per β with the same seed,
prompts and everything else, and prints per β the held-out mean score before and after, its gain, and the
final KL to the reference (both measured by `rlhf ppo` on the held-out prompts). The expected shape: as β
grows, the final KL and the score gain both shrink. Results also go to <out>/sweep.json.

Standard library plus PyYAML (a dependency of the benchmark peers' environment).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import yaml


def stage_checkpoint(pipeline_dir, stage):
    path = os.path.join(pipeline_dir, stage, "completed.json")
    try:
        with open(path) as f:
            return json.load(f)["checkpoint"]
    except (OSError, KeyError, json.JSONDecodeError) as e:
        sys.exit(f"error: {path}: {e} (run `rlhf pipeline --config examples/pipeline.yaml` first)")


def training_tail(path):
    """Mean training-batch score and KL over the last quarter of the run's steps (more episodes than the
    held-out set, so a second, less noisy view of where each run ends)."""
    rows = []
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if "objective/scores" in r and "objective/kl" in r:
                rows.append(r)
    tail = rows[-max(1, len(rows) // 4):]
    return {"tail_steps": len(tail), "tail_score": sum(r["objective/scores"] for r in tail) / len(tail),
            "tail_kl": sum(r["objective/kl"] for r in tail) / len(tail)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rlhf", default=".build/release/rlhf")
    ap.add_argument("--pipeline", default="examples/pipeline.yaml")
    ap.add_argument("--pipeline-dir", default=None, help="the pipeline's output_dir (default: the config's)")
    ap.add_argument("--betas", default="0.01,0.05,0.2")
    ap.add_argument("--steps", type=int, default=None, help="PPO steps per run (default: the config's max_steps)")
    ap.add_argument("--out", default="output/kl-sweep")
    args = ap.parse_args()

    with open(args.pipeline) as f:
        pipeline = yaml.safe_load(f)
    pipeline_dir = args.pipeline_dir or pipeline.get("output_dir", "output/pipeline")
    sft, rm = stage_checkpoint(pipeline_dir, "sft"), stage_checkpoint(pipeline_dir, "reward")
    ppo = dict(pipeline["ppo"])
    ppo.update({"model": sft, "reward_model": rm, "progress": False, "seed": pipeline.get("seed", 42)})
    if args.steps:
        ppo["max_steps"] = args.steps
    results = []
    for beta in [float(b) for b in args.betas.split(",")]:
        out = os.path.join(args.out, f"beta-{beta:g}")
        flags = {**ppo, "kl_coef": beta, "output_dir": out}
        cmd = [args.rlhf, "ppo"]
        for k, v in flags.items():
            cmd += ["--" + k.replace("_", "-"), "null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)]
        print(f"β = {beta:g}: {' '.join(cmd[:2])} ... --kl-coef {beta:g} --output-dir {out}", flush=True)
        start = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"error: rlhf ppo failed for β = {beta:g}:\n{proc.stderr[-2000:]}")
        text = proc.stdout
        score = re.search(r"mean score\s+(-?[\d.]+) → (-?[\d.]+)", text)
        kl = re.search(r"KL to reference\s+(-?[\d.]+) → (-?[\d.]+)", text)
        if not score or not kl:
            sys.exit(f"error: no held-out figures in the output for β = {beta:g}:\n{text}")
        row = {"kl_coef": beta, "score_before": float(score.group(1)), "score_after": float(score.group(2)),
               "score_gain": float(score.group(2)) - float(score.group(1)), "kl_after": float(kl.group(2)),
               "minutes": (time.time() - start) / 60}
        row.update(training_tail(os.path.join(out, "metrics.jsonl")))
        results.append(row)
        print(f"  score {row['score_before']:.3f} → {row['score_after']:.3f} (gain {row['score_gain']:+.3f}), "
              f"KL {row['kl_after']:.3f} nats; last {row['tail_steps']} training steps: score "
              f"{row['tail_score']:.3f}, KL {row['tail_kl']:.3f}; {row['minutes']:.1f} min", flush=True)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "sweep.json"), "w") as f:
        json.dump(results, f, indent=2)
    print("\n| kl_coef | held-out score before → after | gain | final KL (nats/response) "
          "| training score, last quarter | training KL, last quarter |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['kl_coef']:g} | {r['score_before']:.3f} → {r['score_after']:.3f} | {r['score_gain']:+.3f} "
              f"| {r['kl_after']:.3f} | {r['tail_score']:.3f} | {r['tail_kl']:.3f} |")
    kls, gains = [r["kl_after"] for r in results], [r["score_gain"] for r in results]
    monotone = all(a >= b for a, b in zip(kls, kls[1:])) and all(a >= b for a, b in zip(gains, gains[1:]))
    print(f"\nKL and score gain {'both decrease' if monotone else 'do NOT both decrease'} as kl_coef grows.")


if __name__ == "__main__":
    main()
