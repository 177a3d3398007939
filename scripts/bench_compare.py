#!/usr/bin/env python3
"""Compare our benchmarks against PyTorch on this machine, in the same run, and print a Markdown table.

    python3 scripts/bench_compare.py --rlhf .build/release/rlhf [--threads N]
        [--bench gemm,ops,generate,forward,rm-train,rm-score,sft-step,ppo-step,dpo-step,grpo-step] [--rounds R]

For each bench NAME (default: gemm, ops, generate, forward, rm-train, rm-score, sft-step, ppo-step,
dpo-step, grpo-step) it runs
    RLHF_NUM_THREADS=N  <rlhf> bench NAME --json     (ours)
    python3 bench/peer/NAME.py --threads N            (PyTorch peer)
except for the benches in PEERS, whose peer is another script run once per case:
    rm-train  python3 bench/peer/rm.py --case train --threads N; ... --case trl ...
    rm-score  python3 bench/peer/rm.py --case score --threads N
    sft-step  python3 bench/peer/sft.py --case full --threads N; ... --case lora ...
    ppo-step  python3 bench/peer/ppo.py --case step --threads N
    dpo-step  python3 bench/peer/dpo.py --case trl --threads N; ... --case peft ...
    grpo-step python3 bench/peer/grpo.py --case trl --threads N; ... --case peft ...
Both print JSON lines {"bench", "metric", "value", "unit", "impl"}; other lines are ignored. Rows are
joined on (bench, metric). A peer metric named trl.X (TRL's RewardTrainer, case trl of rm.py; TRL's
DPOTrainer, case trl of dpo.py; TRL's GRPOTrainer, case trl of grpo.py) is joined with our metric X and
shown as its own row "X (vs TRL)", with TRL's figure in the pytorch column; our X also keeps its row against
the plain PyTorch loop. Likewise peft.X (PEFT's LoRA in a plain PyTorch loop, case lora of sft.py, case peft
of dpo.py and of grpo.py) is joined with our X in a row "X (vs PEFT)"; our LoRA metrics have no
plain-PyTorch peer without PEFT, so that row stands for our X's own row (dpo-step's and grpo-step's X get
two rows each: "X (vs TRL)" and "X (vs PEFT)"). Our X gets a row of its own with an empty pytorch column
only when no peer row shows it (a lone "X (vs TRL)" when the plain or peft case did not run, no orphan
row). The ratio column is ours vs the peer, >1 = we are better: ours/pytorch for throughputs (GFLOP/s,
GB/s, tokens/s, seq/s: any unit not listed below), pytorch/ours for the lower-is-better units, times (ms, s,
us) and memory (MB, peak RSS: 0.5 = we use twice as much). A metric missing on either side shows as "—".
Installs torch with pip if it cannot be imported; the trl cases (rm.py, dpo.py, grpo.py) need `pip install
trl`, and the lora case of sft.py, the step of ppo.py and the peft cases of dpo.py and grpo.py `pip install
peft` (each is skipped, with a note on stderr, when its module cannot be imported).

This 2-core VM is noisy (the same GEMM moves by 30% from one minute to the next), so each side runs
several rounds, alternating ours / PyTorch, and each keeps its best figure (highest throughput, lowest
time, lowest memory): both get the same chances at a quiet moment. Rounds per bench: gemm 5, ops 5,
generate 2, forward 2, rm-train 2, rm-score 2, sft-step 2, ppo-step 2, dpo-step 2, grpo-step 2 (the model
benches are slow); --rounds R sets every bench to R, and --rounds generate=1,ops=3 sets only those.
"""
import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BENCHES = ["gemm", "ops", "generate", "forward", "rm-train", "rm-score", "sft-step", "ppo-step", "dpo-step",
           "grpo-step"]
DEFAULT_ROUNDS = {"gemm": 5, "ops": 5, "generate": 2, "forward": 2,
                  "rm-train": 2, "rm-score": 2, "sft-step": 2, "ppo-step": 2,
                  "dpo-step": 2, "grpo-step": 2}  # without --rounds; others: 5
# Benches whose peer is not bench/peer/NAME.py (every case): script and cases, each case run on its own
# (`--case C`). Ours is still `rlhf bench NAME --json`.
PEERS = {"rm-train": ("rm.py", ["train", "trl"]), "rm-score": ("rm.py", ["score"]),
         "sft-step": ("sft.py", ["full", "lora"]), "ppo-step": ("ppo.py", ["step"]),
         "dpo-step": ("dpo.py", ["trl", "peft"]), "grpo-step": ("grpo.py", ["trl", "peft"])}
# Peer cases that need a module besides torch: skipped, with a note, when it cannot be imported.
CASE_NEEDS = {("rm.py", "trl"): "trl", ("sft.py", "lora"): "peft", ("ppo.py", "step"): "peft",
              ("dpo.py", "trl"): "trl", ("dpo.py", "peft"): "peft",
              ("grpo.py", "trl"): "trl", ("grpo.py", "peft"): "peft"}
# A peer metric PREFIX + X is compared with our metric X, in a row of its own labelled "X (vs LABEL)".
PEER_PREFIXES = {"trl.": "TRL", "peft.": "PEFT"}
# Our X gets no row of its own once any peer row shows it: a plain X row is that row (rm-train's X: "X" against the
# plain loop, and "X (vs TRL)"); dpo-step's and grpo-step's X have a trl.X and a peft.X peer and no plain one: their
# rows are "X (vs TRL)" and "X (vs PEFT)" only, and a lone "X (vs TRL)" when the peft case did not run (see join_rows).
# What the pytorch column holds in the rows of each label (the note under the table).
# {trainer} is filled in from TRL_TRAINERS with the benches that have rows of that label (see peer_note).
PEER_NOTES = {
    "TRL": "the same step through TRL's {trainer} (transformers Trainer over PyTorch)",
    "PEFT": "the same step with PEFT's LoRA adapters on the transformers model (plain PyTorch loop)",
}
# The TRL trainer behind each bench's "(vs TRL)" rows.
TRL_TRAINERS = {"rm-train": "RewardTrainer", "dpo-step": "DPOTrainer", "grpo-step": "GRPOTrainer"}
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


def peer_commands(name, threads, python=sys.executable):
    """The peer command lines for bench `name`: [bench/peer/NAME.py], or one per case for PEERS."""
    script, cases = PEERS.get(name, (f"{name}.py", None))
    path = os.path.join(ROOT, "bench", "peer", script)
    if cases is None:
        return [[python, path, "--threads", str(threads)]]
    cmds = []
    for case in cases:
        module = CASE_NEEDS.get((script, case))
        if module is not None and importlib.util.find_spec(module) is None:
            print(f"bench_compare: {name}: skipping peer case {case}: `{module}` is not importable "
                  f"(pip install {module})", file=sys.stderr)
            continue
        cmds.append([python, path, "--case", case, "--threads", str(threads)])
    return cmds


def peer_metric(metric):
    """A peer metric name -> (our metric name it is compared with, row label)."""
    for prefix, label in PEER_PREFIXES.items():
        if metric.startswith(prefix) and len(metric) > len(prefix):
            ours = metric[len(prefix):]
            return ours, f"{ours} (vs {label})"
    return metric, metric


def best_values(objs, default_bench):
    """{(bench, metric): (unit, best value)} over the JSON objects (highest throughput, lowest time or
    memory), and the keys in order of first appearance."""
    best, order = {}, []
    for o in objs:
        key = (o.get("bench", default_bench), o["metric"])
        v = float(o["value"])
        if key not in best:
            best[key] = (o.get("unit", ""), v)
            order.append(key)
            continue
        unit, old = best[key]
        if (v < old) if unit in LOWER_IS_BETTER else (v > old):
            best[key] = (unit, v)
    return best, order


def join_rows(ours, peer, default_bench):
    """Rows (bench, label, unit, ours, peer) from the two sides' JSON objects: the peer's metrics in their
    order (trl.X / peft.X joined with our X, labelled "X (vs TRL)" / "X (vs PEFT)"), then ours that no peer
    row showed (so no row of ours stands alone, its pytorch column empty, beside a row that compares it)."""
    ours_best, ours_order = best_values(ours, default_bench)
    peer_best, peer_order = best_values(peer, default_bench)
    rows, used = [], set()
    for key in peer_order:
        bench, metric = key
        unit, pv = peer_best[key]
        ours_metric, label = peer_metric(metric)
        okey = (bench, ours_metric)
        ov = ours_best[okey][1] if okey in ours_best else None
        used.add(okey)
        rows.append((bench, label, unit, ov, pv))
    for key in ours_order:
        if key not in used:
            unit, ov = ours_best[key]
            rows.append((key[0], key[1], unit, ov, None))
    return rows


def peer_note(label, rows):
    """The note for the rows labelled "(vs LABEL)", or None when there are none. For TRL: the trainer of each bench
    that has such rows ("RewardTrainer", or "RewardTrainer (rm-train) / DPOTrainer (dpo-step)" for several)."""
    benches = list(dict.fromkeys(r[0] for r in rows if r[1].endswith(f" (vs {label})")))
    if not benches:
        return None
    trainers = [(b, TRL_TRAINERS.get(b, "trainer")) for b in benches]
    trainer = trainers[0][1] if len(trainers) == 1 else " / ".join(f"{t} ({b})" for b, t in trainers)
    return PEER_NOTES[label].format(trainer=trainer)


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
        peer_cmds = peer_commands(name, a.threads)
        for _ in range(rounds[name]):
            ours += run([a.rlhf, "bench", name, "--json"], env=env, label=f"ours {name}")
            for cmd in peer_cmds:
                case = f" {cmd[cmd.index('--case') + 1]}" if "--case" in cmd else ""
                peer += run(cmd, label=f"pytorch {name}{case}")
        rows += join_rows(ours, peer, name)

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
    for label in PEER_NOTES:
        note = peer_note(label, rows)
        if note is not None:
            print(f"Rows marked (vs {label}): the pytorch column is {note}, compared with our same metric.")


if __name__ == "__main__":
    main()
