#!/usr/bin/env python3
"""PyTorch peer for `rlhf bench ops`: forward + backward of single ops on the CPU, in ms.

    python3 bench/peer/ops.py [--threads N] [--json]

Each rep: clear .grad (untimed), forward, y.backward(g) with a fixed random g (cross-entropy:
loss.backward()). Timing: 2 warm-up reps, then at least 5 reps and >= 1 s in all; value = median ms.
Metrics (shapes are [batch, heads/seq, ...], float32):
  layernorm.fwd_bwd      x [32,128,384], F.layer_norm with weight/bias, eps 1e-5
  softmax.fwd_bwd        x [32,12,128,128], softmax over the last dim
  gelu.fwd_bwd           x [32,128,1536], F.gelu (erf)
  gelu_tanh.fwd_bwd      x [32,128,1536], F.gelu(approximate='tanh')
  attention.fwd_bwd      q,k,v [32,12,128,32], F.scaled_dot_product_attention(is_causal=True)
  cross_entropy.fwd_bwd  logits [4096,49152], random targets, F.cross_entropy (mean)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import emit, median_seconds, parse_args  # noqa: E402


def fwd_bwd_ms(leaves, forward, g=None):
    """Median ms of forward() + backward; g is the upstream gradient (None: scalar loss)."""
    def clear():
        for t in leaves:
            t.grad = None

    def step():
        y = forward()
        if g is None:
            y.backward()
        else:
            y.backward(g)

    return 1e3 * median_seconds(step, warmup=2, min_reps=5, min_total=1.0, before=clear)


def main():
    parse_args(__doc__.splitlines()[0])
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)

    def leaf(*shape):
        return torch.randn(*shape, dtype=torch.float32).requires_grad_(True)

    # layernorm: x [32,128,384], weight/bias [384]
    x = leaf(32, 128, 384)
    w = torch.ones(384).requires_grad_(True)
    b = torch.zeros(384).requires_grad_(True)
    g = torch.randn(32, 128, 384)
    emit("ops", "layernorm.fwd_bwd",
         fwd_bwd_ms([x, w, b], lambda: F.layer_norm(x, (384,), w, b, eps=1e-5), g), "ms")

    # softmax: x [32,12,128,128] over the last dim
    x = leaf(32, 12, 128, 128)
    g = torch.randn(32, 12, 128, 128)
    emit("ops", "softmax.fwd_bwd", fwd_bwd_ms([x], lambda: torch.softmax(x, dim=-1), g), "ms")

    # gelu (erf) and gelu (tanh): x [32,128,1536]
    x = leaf(32, 128, 1536)
    g = torch.randn(32, 128, 1536)
    emit("ops", "gelu.fwd_bwd", fwd_bwd_ms([x], lambda: F.gelu(x), g), "ms")
    emit("ops", "gelu_tanh.fwd_bwd", fwd_bwd_ms([x], lambda: F.gelu(x, approximate="tanh"), g), "ms")

    # causal attention: q,k,v [32,12,128,32]
    q, k, v = leaf(32, 12, 128, 32), leaf(32, 12, 128, 32), leaf(32, 12, 128, 32)
    g = torch.randn(32, 12, 128, 32)
    emit("ops", "attention.fwd_bwd",
         fwd_bwd_ms([q, k, v], lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True), g), "ms")

    # cross-entropy: logits [4096,49152], mean over rows
    del x, q, k, v, g
    logits = leaf(4096, 49152)
    targets = torch.randint(0, 49152, (4096,))
    emit("ops", "cross_entropy.fwd_bwd",
         fwd_bwd_ms([logits], lambda: F.cross_entropy(logits, targets)), "ms")


if __name__ == "__main__":
    main()
