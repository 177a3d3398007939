"""Shared helpers for the PyTorch peer benchmarks (bench/peer/*.py).

Every peer prints one JSON object per line:
    {"bench": ..., "metric": ..., "value": ..., "unit": ..., "impl": "pytorch"}
scripts/bench_compare.py joins these with the same lines from `rlhf bench NAME --json`.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time


def parse_args(description, cases=None):
    """Parse --threads/--json. With `cases` (a list of names), also --case NAME: the parent process
    (no --case) does not import torch; the child (--case NAME) does, and sets its threads."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="torch.set_num_threads(N) (default: os.cpu_count())")
    ap.add_argument("--json", action="store_true",
                    help="print JSON lines (the only output format; accepted for symmetry with `rlhf bench`)")
    if cases is not None:
        ap.add_argument("--case", choices=cases,
                        help="run only this case, in this process (default: every case, each in its own process)")
    args = ap.parse_args()
    if cases is None or args.case is not None:
        import torch
        torch.set_num_threads(args.threads)
    return args


def run_cases_in_subprocesses(script, cases, threads):
    """Run `python script --case NAME --threads N` for every case, one process each (so that each
    case's peak RSS is its own), forwarding the children's stdout lines. Returns the exit status:
    0 if every case succeeded, else 1 (the other cases still run)."""
    status = 0
    for name in cases:
        p = subprocess.run([sys.executable, os.path.abspath(script), "--case", name, "--threads", str(threads)],
                           stdout=subprocess.PIPE, text=True)
        sys.stdout.write(p.stdout)
        sys.stdout.flush()
        if p.returncode != 0:
            print(f"{os.path.basename(script)}: case {name}: exit {p.returncode}", file=sys.stderr)
            status = 1
    return status


def peak_rss_mb():
    """Peak resident set size of this process so far, in MB (ru_maxrss is KiB on Linux; / 1024)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quiet_transformers():
    """Silence transformers' warnings and progress bars (stderr noise). tqdm's own bars need
    TQDM_DISABLE=1 in the environment before torch is imported; the peers set it at the top."""
    import transformers
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


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
