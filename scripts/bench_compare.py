#!/usr/bin/env python3
"""Compare our benchmarks against PyTorch on this machine, in the same run, and print a Markdown table.

    python3 scripts/bench_compare.py --rlhf .build/release/rlhf [--threads N]
        [--bench gemm,ops,generate,forward] [--rounds R]

For each bench NAME (default: gemm, ops, generate, forward) it runs
    RLHF_NUM_THREADS=N  <rlhf> bench NAME --json     (ours)
    python3 bench/peer/NAME.py --threads N            (PyTorch peer)
Both print JSON lines {"bench", "metric", "value", "unit", "impl"}; other lines are ignored. Rows are
joined on (bench, metric). The ratio column is ours vs PyTorch, >1 = we are better: ours/pytorch for
throughputs (GFLOP/s, GB/s, tokens/s, seq/s: any unit not listed below), pytorch/ours for the
lower-is-better units, times (ms, s, us) and memory (MB, peak RSS: 0.5 = we use twice as much).
A metric missing on either side shows as "—". Installs torch with pip if it cannot be imported.

This 2-core VM is noisy (the same GEMM moves by 30% from one minute to the next), so each side runs
several rounds, alternating ours / PyTorch, and each keeps its best figure (highest throughput, lowest
time, lowest memory): both get the same chances at a quiet moment. Rounds per bench: gemm 5, ops 5,
generate 2, forward 2 (the model benches are slow); --rounds R sets every bench to R, and
--rounds generate=1,ops=3 sets only those.
"""
import argparse
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BENCHES = ["gemm", "ops", "generate", "forward"]
DEFAULT_ROUNDS = {"gemm": 5, "ops": 5, "generate": 2, "forward": 2}  # without --rounds; others: 5
# Units where a smaller value is better (times, memory); every other unit is a throughput.
LOWER_IS_BETTER = {"ms", "s", "us", "µs", "ns", "MB"}
DASH = "—"


def ensure_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        print("bench_compare: torch not importable; running `pip install torch`", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "torch"], check=True)
    import torch
    return torch


def json_lines(text):
    """The JSON objects among the lines of text (anything else is ignored)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "metric" in obj and "value" in obj:
            out.append(obj)
    return out


def run(cmd, env=None, label=""):
    """Run cmd, return its JSON lines; on failure warn on stderr and return what was printed."""
    try:
        p = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    except OSError as e:
        print(f"bench_compare: {label}: cannot run {cmd[0]}: {e}", file=sys.stderr)
        return []
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        print(f"bench_compare: {label}: exit {p.returncode}: {' | '.join(tail)}", file=sys.stderr)
    return json_lines(p.stdout)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(v):
    if v is None:
        return DASH
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4g}"


def speedup(unit, ours, peer):
    if ours is None or peer is None or ours <= 0 or peer <= 0:
        return None
    return peer / ours if unit in LOWER_IS_BETTER else ours / peer


def parse_rounds(text):
    """--rounds: "R" (every bench) or "NAME=R,NAME=R" -> {"*": R} or {NAME: R}."""
    out = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, r = part.rpartition("=")
        try:
            out[name or "*"] = int(r)
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad --rounds entry {part!r} (want R or NAME=R)")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rlhf", required=True, help="path to our `rlhf` binary")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--bench", default=",".join(BENCHES), help="comma-separated bench names")
    ap.add_argument("--rounds", type=parse_rounds, default={},
                    help="alternating runs per side, the best is kept: R for every bench, or NAME=R,... "
                         "(default: " + ", ".join(f"{k}={v}" for k, v in DEFAULT_ROUNDS.items()) + ")")
    a = ap.parse_args()

    torch = ensure_torch()
    benches = [b for b in a.bench.split(",") if b]
    env = dict(os.environ, RLHF_NUM_THREADS=str(a.threads))

    rows = []  # (bench, metric, unit, ours, peer)
    rounds = {}  # bench -> rounds run
    for name in benches:
        r = a.rounds.get(name, a.rounds.get("*", DEFAULT_ROUNDS.get(name, 5)))
        rounds[name] = max(1, r)
        ours, peer = [], []
        for _ in range(rounds[name]):
            ours += run([a.rlhf, "bench", name, "--json"], env=env, label=f"ours {name}")
            peer += run([sys.executable, os.path.join(ROOT, "bench", "peer", f"{name}.py"),
                         "--threads", str(a.threads)], label=f"pytorch {name}")
        table = {}
        order = []
        for side, objs in (("peer", peer), ("ours", ours)):
            for o in objs:
                key = (o.get("bench", name), o["metric"])
                if key not in table:
                    table[key] = {"unit": o.get("unit", ""), "ours": None, "peer": None}
                    order.append(key)
                v, old = float(o["value"]), table[key][side]
                better = old is None or ((v < old) if table[key]["unit"] in LOWER_IS_BETTER else (v > old))
                if better:
                    table[key][side] = v
        rows += [(k[0], k[1], table[k]["unit"], table[k]["ours"], table[k]["peer"]) for k in order]

    per_bench = ", ".join(f"{b} {r}" for b, r in rounds.items())
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; torch {torch.__version__}; threads {a.threads}; "
          f"best of alternating rounds per side ({per_bench})")
    print()
    print("| bench | metric | ours | pytorch | unit | ratio |")
    print("|---|---|---:|---:|---|---:|")
    for bench, metric, unit, ours, peer in rows:
        r = speedup(unit, ours, peer)
        print(f"| {bench} | {metric} | {fmt(ours)} | {fmt(peer)} | {unit} | {DASH if r is None else f'{r:.2f}'} |")
    print()
    print("ratio: ours vs PyTorch, >1 = we are better: ours/pytorch for throughput, pytorch/ours for time "
          "and memory (MB = peak RSS of the case's own process, model loading included).")


if __name__ == "__main__":
    main()
