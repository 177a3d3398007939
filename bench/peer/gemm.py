#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench gemm`: float32 C = A @ B on the CPU, in GFLOP/s.

    python3 bench/peer/gemm.py [--threads N] [--json]

Shapes (M,K,N): square 512/1024/2048 plus two transformer-like ones. Output is preallocated
(torch.matmul(A, B, out=C)). Timing: 3 warm-up calls, then at least 5 reps and >= 0.5 s in all;
value = 2*M*N*K / median seconds / 1e9. One JSON line per shape, metric "{M}x{K}x{N}".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import emit, median_seconds, parse_args  # noqa: E402

SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (4096, 384, 1536), (512, 576, 1536)]


def main():
    parse_args(__doc__.splitlines()[0])
    import torch
    torch.manual_seed(0)
    for m, k, n in SHAPES:
        a = torch.randn(m, k, dtype=torch.float32)
        b = torch.randn(k, n, dtype=torch.float32)
        c = torch.empty(m, n, dtype=torch.float32)
        with torch.no_grad():
            sec = median_seconds(lambda: torch.matmul(a, b, out=c), warmup=3, min_reps=5, min_total=0.5)
        emit("gemm", f"{m}x{k}x{n}", 2.0 * m * n * k / sec / 1e9, "GFLOP/s")


if __name__ == "__main__":
    main()
