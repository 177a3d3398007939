#!/usr/bin/env python3
"""Kill training runs at random moments and during checkpoint saves, resume them, and check that they end
exactly where an uninterrupted run ends.

For each trainer (`rlhf train-rm` on MiniLM, `rlhf sft`, `rlhf ppo`, `rlhf dpo` (its reference's log-probs
precomputed, so a resume must read them from the checkpoint) and `rlhf grpo` (β > 0 and two iterations per
generation batch, with exact_answer and length rewards on examples/qa) on the SmolLM2 GGUF with LoRA; short
runs of 6 steps that checkpoint every 2), the script runs once without interruption, then for each trial
starts the same run in a new folder and `kill -9`s it:
  * "save" trials: the moment a checkpoint's temporary folder appears (a save in progress) once an
    earlier checkpoint is complete, or
  * "random" trials: at a moment drawn uniformly over the uninterrupted run's duration;
then resumes from the newest complete checkpoint (or starts again if there is none) and compares:
  * every line of metrics.jsonl, every value bit for bit (the wall-clock keys `time/*` and `eps` aside);
  * every file of every checkpoint the resumed run wrote, byte for byte, with the uninterrupted run's;
  * that no temporary or moved-aside folder of the killed process is left in the output folder.

Usage:
  python3 scripts/kill_resume.py [--trials 3] [--seed S] [--only reward,sft,ppo,dpo,grpo] [--rlhf .build/release/rlhf] [--keep]
  python3 scripts/kill_resume.py --short      # what `make test` runs: one trial of each kind per trainer

Exit status 0 when every trial matches; 1 with the differences otherwise.
"""

import argparse
import filecmp
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMOL = os.path.join(ROOT, "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
MINILM = os.path.join(ROOT, "models/minilm")
WALL_CLOCK = ("time/",)
WALL_CLOCK_KEYS = {"eps"}


def subset(src, dst, n):
    """The first n lines of an example file."""
    with open(os.path.join(ROOT, src)) as f, open(dst, "w") as g:
        for i, line in enumerate(f):
            if i == n:
                break
            g.write(line)
    return dst


def commands(work, reward_model):
    """The five short runs: name -> argument list without --output-dir."""
    prefs = subset("examples/preferences/train.jsonl", os.path.join(work, "prefs.jsonl"), 40)
    sft = subset("examples/sft/train.jsonl", os.path.join(work, "sft.jsonl"), 24)
    prompts = subset("examples/prompts/train.jsonl", os.path.join(work, "prompts.jsonl"), 24)
    qa = subset("examples/qa/train.jsonl", os.path.join(work, "qa.jsonl"), 24)
    common = ["--max-steps", "6", "--save-steps", "2", "--logging-steps", "1", "--progress", "false", "--seed", "7"]
    lora = ["--lora-r", "4", "--lora-alpha", "8", "--lora-targets", "q_proj,v_proj"]
    return {
        "reward": ["train-rm", "--model", MINILM, "--train-file", prefs, "--max-length", "64",
                   "--per-device-train-batch-size", "4", "--learning-rate", "5e-5"] + common,
        "sft": ["sft", "--model", SMOL, "--train-file", sft, "--max-length", "64", "--per-device-train-batch-size", "2",
                "--learning-rate", "2e-4", "--lora-dropout", "0.1"] + lora + common,
        "ppo": ["ppo", "--model", SMOL, "--reward-model", reward_model, "--train-file", prompts, "--response-length", "12",
                "--per-device-train-batch-size", "4", "--num-ppo-epochs", "2", "--learning-rate", "5e-4",
                "--num-sample-generations", "0", "--temperature", "0.7"] + lora + common,
        "dpo": ["dpo", "--model", SMOL, "--train-file", prefs, "--max-length", "64", "--per-device-train-batch-size", "2",
                "--learning-rate", "5e-4", "--precompute-ref-log-probs", "true"] + lora + common,
        "grpo": ["grpo", "--model", SMOL, "--train-file", qa, "--num-generations", "4", "--per-device-train-batch-size", "8",
                 "--max-completion-length", "8", "--temperature", "1.0", "--beta", "0.04", "--num-iterations", "2",
                 "--reward-funcs", "exact_answer,length", "--length-target", "4", "--learning-rate", "5e-4"] + lora + common,
    }


def run(rlhf, args, out, log):
    """Runs to completion; returns the seconds it took."""
    start = time.time()
    with open(log, "a") as f:
        p = subprocess.run([rlhf] + args + ["--output-dir", out], stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
    if p.returncode != 0:
        sys.exit(f"kill_resume: {' '.join(args[:1])} failed (exit {p.returncode}); see {log}")
    return time.time() - start


def saving(out):
    """A save in progress: a checkpoint's temporary folder exists."""
    try:
        return any(e.startswith(".checkpoint-") and ".tmp-" in e for e in os.listdir(out))
    except FileNotFoundError:
        return False


def killed_run(rlhf, args, out, log, mode, moment):
    """Starts the run and kills it with SIGKILL ("save": at the first save seen in progress after `moment`
    seconds; "random": at `moment` seconds). Returns a description, or None if it finished first."""
    with open(log, "a") as f:
        p = subprocess.Popen([rlhf] + args + ["--output-dir", out], stdout=f, stderr=subprocess.STDOUT, cwd=ROOT)
    start = time.time()
    while p.poll() is None:
        t = time.time() - start
        # a "save" kill waits for a complete checkpoint first, so that the resume has one to start from
        if (mode == "random" and t >= moment) or (mode == "save" and t >= moment and saving(out) and checkpoints(out)):
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            during = " (a save in progress)" if saving(out) else ""
            return f"killed at {t:.1f} s{during}"
        time.sleep(0.002)
    return None


def checkpoints(out):
    """Complete checkpoint folders by step."""
    found = {}
    if not os.path.isdir(out):
        return found
    for e in os.listdir(out):
        if e.startswith("checkpoint-") and e[len("checkpoint-"):].isdigit():
            found[int(e[len("checkpoint-"):])] = os.path.join(out, e)
    return found


def metric_lines(path):
    lines = []
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            lines.append({k: v for k, v in record.items() if not k.startswith(WALL_CLOCK) and k not in WALL_CLOCK_KEYS})
    return lines


def compare_trees(a, b):
    """Paths (relative) whose bytes differ, or that exist on one side only."""
    diffs = []
    for root, dirs, files in os.walk(a):
        rel = os.path.relpath(root, a)
        for name in files:
            pa, pb = os.path.join(root, name), os.path.join(b, rel, name)
            if not os.path.exists(pb):
                diffs.append(f"{os.path.join(rel, name)}: missing after the resume")
            elif not filecmp.cmp(pa, pb, shallow=False):
                diffs.append(f"{os.path.join(rel, name)}: differs")
    for root, dirs, files in os.walk(b):
        rel = os.path.relpath(root, b)
        for name in files:
            if not os.path.exists(os.path.join(a, rel, name)):
                diffs.append(f"{os.path.join(rel, name)}: only after the resume")
    return diffs


def trial(rlhf, name, args, reference, out, log, mode, moment):
    """One kill and resume; returns (description, differences)."""
    what = killed_run(rlhf, args, out, log, mode, moment)
    if what is None:
        what = "finished before the kill"
        resumed_from = None
    else:
        done = checkpoints(out)
        resumed_from = done[max(done)] if done else None
        run(rlhf, args + (["--resume-from", resumed_from] if resumed_from else []), out, log)
    what += f"; resumed from {os.path.basename(resumed_from)}" if resumed_from else "; started again"
    diffs = []
    ref_lines, got_lines = metric_lines(os.path.join(reference, "metrics.jsonl")), metric_lines(os.path.join(out, "metrics.jsonl"))
    if len(ref_lines) != len(got_lines):
        diffs.append(f"metrics.jsonl: {len(got_lines)} lines, uninterrupted {len(ref_lines)}")
    for i, (r, g) in enumerate(zip(ref_lines, got_lines)):
        for k in sorted(set(r) | set(g)):
            if r.get(k) != g.get(k):
                diffs.append(f"metrics.jsonl line {i + 1} ({k}): {g.get(k)!r} vs uninterrupted {r.get(k)!r}")
    # every checkpoint the finished run has, against the uninterrupted run's of the same step
    ref_ckpts = checkpoints(reference)
    for step, path in sorted(checkpoints(out).items()):
        if step not in ref_ckpts:
            diffs.append(f"{os.path.basename(path)}: the uninterrupted run has none")
            continue
        diffs += [f"{os.path.basename(path)}/{d}" for d in compare_trees(ref_ckpts[step], path)]
    leftovers = [e for e in os.listdir(out) if e.startswith(".checkpoint-")]
    if leftovers:
        diffs.append(f"left in the output folder: {', '.join(sorted(leftovers))}")
    return what, diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rlhf", default=os.path.join(ROOT, ".build/release/rlhf"))
    ap.add_argument("--trials", type=int, default=3, help="kill-and-resume trials per trainer (alternating save / random)")
    ap.add_argument("--short", action="store_true", help="one save trial and one random trial per trainer")
    ap.add_argument("--only", default="reward,sft,ppo,dpo,grpo")
    ap.add_argument("--seed", type=int, default=None, help="seed of the kill moments (default: drawn and printed)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    trials = 2 if a.short else a.trials
    only = a.only.split(",")
    for path in (a.rlhf, SMOL, MINILM):
        if not os.path.exists(path):
            sys.exit(f"kill_resume: {path} is missing (make build; scripts/fetch-models)")
    work = tempfile.mkdtemp(prefix="rlhf-kill-resume-")
    log = os.path.join(work, "runs.log")
    print(f"kill_resume: seed {seed}, {trials} trials per trainer, work folder {work}", flush=True)
    # PPO needs a reward model: the uninterrupted reward run's final checkpoint serves (trained anyway)
    reward_ref = os.path.join(work, "reward-uninterrupted")
    cmds = commands(work, os.path.join(reward_ref, "checkpoint-6"))
    failures = passed = 0
    for name in ["reward", "sft", "ppo", "dpo", "grpo"]:
        if name not in only and not (name == "reward" and "ppo" in only):
            continue
        reference = os.path.join(work, f"{name}-uninterrupted")
        seconds = run(a.rlhf, cmds[name], reference, log)
        if name not in only:
            continue
        print(f"{name}: uninterrupted run {seconds:.1f} s", flush=True)
        for t in range(trials):
            mode = "save" if t % 2 == 0 else "random"
            moment = rng.uniform(0.05, 0.85) * seconds if mode == "random" else rng.uniform(0.0, 0.6) * seconds
            out = os.path.join(work, f"{name}-trial{t + 1}")
            what, diffs = trial(a.rlhf, name, cmds[name], reference, out, log, mode, moment)
            status = "identical" if not diffs else f"{len(diffs)} differences"
            print(f"  trial {t + 1} ({mode}): {what}: {status}", flush=True)
            for d in diffs[:12]:
                print(f"    {d}")
            failures += bool(diffs)
            passed += not diffs
    if not a.keep and failures == 0:
        shutil.rmtree(work, ignore_errors=True)
    print("every resumed run matches the uninterrupted one" if not failures else f"{failures} resumed runs differ (work folder {work})")
    print(f"kill_resume: {passed} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
