"""Shared helpers for the PyTorch peer benchmarks (bench/peer/*.py).

Every peer prints one JSON object per line:
    {"bench": ..., "metric": ..., "value": ..., "unit": ..., "impl": "pytorch"}
scripts/bench_compare.py joins these with the same lines from `rlhf bench NAME --json`.
"""
import argparse
import json
import os
import statistics
import time


def parse_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch.set_num_threads(N) (default: os.cpu_count())")
    ap.add_argument("--json", action="store_true",
                    help="print JSON lines (the only output format; accepted for symmetry with `rlhf bench`)")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    return args


def median_seconds(fn, *, warmup, min_reps, min_total, before=None, max_reps=10_000):
    """Median wall time of fn() in seconds: `warmup` untimed calls, then timed calls until at least
    `min_reps` were made and they add up to at least `min_total` seconds. `before()`, if given, runs
    untimed ahead of every call (e.g. to clear .grad)."""
    for _ in range(warmup):
        if before:
            before()
        fn()
    times = []
    while len(times) < min_reps or (sum(times) < min_total and len(times) < max_reps):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def emit(bench, metric, value, unit):
    print(json.dumps({"bench": bench, "metric": metric, "value": value, "unit": unit, "impl": "pytorch"}),
          flush=True)
