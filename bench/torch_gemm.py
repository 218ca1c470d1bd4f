#!/usr/bin/env python3
"""PyTorch peer of bench/gemm.ts and bench/conv.ts: the same GEMM / convolution shapes, float32, CPU.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_gemm.py SPEC_JSON

SPEC_JSON (written by the TypeScript benchmark):
    {"threads": [1, 2], "timing": {"rounds": 5, "roundSeconds": 0.3, "budgetSeconds": 6},
     "cases": [{"name": ..., "kind": "gemm", "m": .., "n": .., "k": ..},
               {"name": ..., "kind": "conv", "pass": "fwd" | "bwd-in" | "bwd-w",
                "n": .., "inC": .., "hw": .., "outC": .., "k": .., "s": .., "p": .., "groups": ..}]}

Prints one JSON line: {"torch": version, "results": {name: {threads: {"median": s, "best": s, "rounds": r}}}}
with seconds per call, timed as bench/util.ts timeIt does (one warm-up call, then the median of short samples).
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

spec = json.loads(sys.argv[1])
timing = spec['timing']
torch.manual_seed(0)


SAMPLE_SECONDS = 0.002  # as bench/util.ts


def time_it(fn):
    """Median and best seconds per call over short samples, as bench/util.ts timeIt times Strata."""
    def run(reps):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        return time.perf_counter() - t0

    first = run(1)
    reps, samples = 1, timing['rounds']
    if first >= timing['roundSeconds']:
        samples = max(1, min(samples, int(timing['budgetSeconds'] // first)))
    else:
        n = max(1, int(timing['roundSeconds'] / 4 / max(first, 1e-6)))
        t = max(run(n) / n, 1e-7)
        reps = max(1, round(SAMPLE_SECONDS / t))
        samples = max(timing['rounds'], round(timing['rounds'] * timing['roundSeconds'] / (reps * t)))
    per_call = sorted(run(reps) / reps for _ in range(samples))
    mid = len(per_call) // 2
    med = per_call[mid] if len(per_call) % 2 else (per_call[mid - 1] + per_call[mid]) / 2
    return {'median': med, 'best': per_call[0], 'rounds': samples}


def make(case):
    if case['kind'] == 'gemm':
        m, n, k = case['m'], case['n'], case['k']
        a, b, out = torch.rand(m, k), torch.rand(k, n), torch.empty(m, n)
        return lambda: torch.mm(a, b, out=out)
    n, cin, hw, cout, k, s, p, g = (case[key] for key in ('n', 'inC', 'hw', 'outC', 'k', 's', 'p', 'groups'))
    x = torch.rand(n, cin, hw, hw)
    w = torch.rand(cout, cin // g, k, k)
    with torch.no_grad():
        gy = torch.rand_like(F.conv2d(x, w, None, s, p, 1, g))
    if case['pass'] == 'fwd':
        def fwd():
            with torch.no_grad():
                F.conv2d(x, w, None, s, p, 1, g)
        return fwd
    mask = [case['pass'] == 'bwd-in', case['pass'] == 'bwd-w', False]
    return lambda: torch.ops.aten.convolution_backward(gy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], g, mask)


fns = [(c['name'], make(c)) for c in spec['cases']]
results = {name: {} for name, _ in fns}
for t in spec['threads']:
    torch.set_num_threads(t)
    for name, fn in fns:
        results[name][str(t)] = time_it(fn)
print(json.dumps({'torch': torch.__version__, 'results': results}))
