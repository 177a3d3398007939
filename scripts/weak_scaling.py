#!/usr/bin/env python3
"""Weak scaling of data-parallel training on this machine: one process with one thread on batch b against
N processes (mpirun) with one thread each on batch b per rank. The time of a step is measured from two runs of
the real command, with S1 and S2 steps: (t(S2) - t(S1)) / (S2 - S1), so loading and the final checkpoint cancel.
Efficiency = time per step on 1 process / time per step on N processes (1.0: the N-times larger global batch
costs nothing extra). SFT packs its examples into rows of max_length, so that every micro-batch costs the
same (with examples of varying length a step waits for the rank with the longest batch). A third figure runs
N independent single-process jobs at once, without MPI: what sharing the host's cores and memory costs.

Usage: python3 scripts/weak_scaling.py [--ranks 2] [--rlhf .build/release/rlhf]
Prints one line per case and a JSON line per figure.
"""
import argparse, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = {
    "sft-lora": ["sft", "--model", "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "--train-file", "examples/sft/train.jsonl",
                 "--max-length", "128", "--packing", "true", "--per-device-train-batch-size", "4", "--lora-r", "16",
                 "--lora-dropout", "0", "--learning-rate", "1e-4"],
    "reward": ["train-rm", "--model", "models/minilm", "--train-file", "examples/preferences/train.jsonl",
               "--per-device-train-batch-size", "16", "--max-length", "128", "--learning-rate", "1e-4"],
}


def run(rlhf, ranks, args, steps, out):
    cmd = [rlhf] + args + ["--max-steps", str(steps), "--output-dir", out, "--progress", "false", "--save-steps", "0",
                           "--logging-steps", "1000"]
    env = dict(os.environ, RLHF_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    if ranks > 1:
        cmd = ["mpirun", "-np", str(ranks), "--oversubscribe", "--bind-to", "none", "-x", "RLHF_NUM_THREADS=1"] + cmd
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def run_independent(rlhf, n, args, steps, out):
    """n single-process runs at once (no MPI): what sharing the host costs without any communication."""
    env = dict(os.environ, RLHF_NUM_THREADS="1")
    t0 = time.monotonic()
    procs = [subprocess.Popen([rlhf] + args + ["--max-steps", str(steps), "--output-dir", f"{out}-{i}", "--progress", "false",
                                              "--save-steps", "0", "--logging-steps", "1000"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(n)]
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("an independent run failed")
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--rlhf", default=os.path.join(ROOT, ".build/release/rlhf"))
    ap.add_argument("--steps", type=int, nargs=2, default=[2, 8])
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    a = ap.parse_args()
    s1, s2 = a.steps
    for case in a.cases:
        per_step = {}
        for ranks in (1, a.ranks):
            with tempfile.TemporaryDirectory() as d:
                t1 = run(a.rlhf, ranks, CASES[case], s1, d + "/a")
                t2 = run(a.rlhf, ranks, CASES[case], s2, d + "/b")
            per_step[ranks] = (t2 - t1) / (s2 - s1)
        with tempfile.TemporaryDirectory() as d:
            t1 = run_independent(a.rlhf, a.ranks, CASES[case], s1, d + "/a")
            t2 = run_independent(a.rlhf, a.ranks, CASES[case], s2, d + "/b")
        independent = (t2 - t1) / (s2 - s1)
        eff = per_step[1] / per_step[a.ranks]
        print(f"{case}: {per_step[1]:.3f} s/step on 1 process, {per_step[a.ranks]:.3f} s/step on {a.ranks} ranks "
              f"({a.ranks}x the global batch): weak-scaling efficiency {eff:.3f}; {a.ranks} independent processes at once "
              f"(no MPI) take {independent:.3f} s/step each, so sharing the host alone gives {per_step[1] / independent:.3f}")
        print(json.dumps({"bench": "weak-scaling", "case": case, "ranks": a.ranks, "s_per_step_1": per_step[1],
                          "s_per_step_n": per_step[a.ranks], "efficiency": eff, "s_per_step_independent": independent,
                          "efficiency_without_communication": per_step[1] / independent}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
