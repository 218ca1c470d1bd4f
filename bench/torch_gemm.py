#!/usr/bin/env python3
"""PyTorch peer numbers for bench/native-gemm.ts (same shapes, float32, CPU).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch-gemm.py [--threads 1,2] [--quick]

Reports GFLOP/s by wall clock and per CPU-second (process CPU time), best of 3 rounds.
"""
import argparse
import time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--threads', default='1,2')
ap.add_argument('--quick', action='store_true')
args = ap.parse_args()
torch.manual_seed(0)


def measure(flops, fn, min_seconds):
    fn()
    reps = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        if time.perf_counter() - t0 > min_seconds / 4:
            break
        reps *= 2
    best_wall = best_cpu = 0.0
    for _ in range(3):
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        best_wall = max(best_wall, flops * reps / wall / 1e9)
        best_cpu = max(best_cpu, flops * reps / max(cpu, 1e-9) / 1e9)
    return best_wall, best_cpu


def gemm(m, n, k, ta=False, tb=False):
    a = torch.rand(k, m).t() if ta else torch.rand(m, k)
    b = torch.rand(n, k).t() if tb else torch.rand(k, n)
    out = torch.empty(m, n)
    name = f"gemm {m}x{n}x{k}{' Aᵀ' if ta else ''}{' Bᵀ' if tb else ''}"
    return [(name, 2.0 * m * n * k, lambda: torch.mm(a, b, out=out))]


def conv(name, n, cin, hw, cout, k, s, p, groups=1):
    x = torch.rand(n, cin, hw, hw, requires_grad=True)
    w = torch.rand(cout, cin // groups, k, k, requires_grad=True)
    y = F.conv2d(x, w, None, s, p, 1, groups)
    gy = torch.rand_like(y)
    oh = y.shape[2]
    flops = 2.0 * n * cout * oh * oh * (cin // groups) * k * k

    def fwd():
        with torch.no_grad():
            F.conv2d(x, w, None, s, p, 1, groups)

    def bwd_in():
        torch.ops.aten.convolution_backward(gy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], groups, [True, False, False])

    def bwd_w():
        torch.ops.aten.convolution_backward(gy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], groups, [False, True, False])

    return [(f'{name} fwd', flops, fwd), (f'{name} bwd-in', flops, bwd_in), (f'{name} bwd-w', flops, bwd_w)]


cases = gemm(256, 256, 256) + gemm(512, 512, 512) + gemm(1024, 1024, 1024) + gemm(64, 4096, 800)
if not args.quick:
    cases += gemm(1024, 1024, 1024, True, False) + gemm(1024, 1024, 1024, False, True) + gemm(128, 1000, 2048, False, True)
cases += conv('conv 3→64 224² k7 s2 (n=1)', 1, 3, 224, 64, 7, 2, 3)
cases += conv('conv 64→64 56² k3 (n=4)', 4, 64, 56, 64, 3, 1, 1)
cases += conv('conv 128→128 28² k3 (n=8)', 8, 128, 28, 128, 3, 1, 1)
cases += conv('conv 256→512 14² k3 s2 (n=8)', 8, 256, 14, 512, 3, 2, 1)
cases += conv('conv 256→64 56² k1 (n=4)', 4, 256, 56, 64, 1, 1, 0)
if not args.quick:
    cases += conv('dwconv 96 56² k3 (n=8)', 8, 96, 56, 96, 3, 1, 1, 96)

print(f'torch {torch.__version__}, {torch.__config__.parallel_info().splitlines()[0]}')
for t in [int(v) for v in args.threads.split(',')]:
    torch.set_num_threads(t)
    print(f'\n== {t} thread(s)')
    print('case'.ljust(44) + 'GFLOP/s'.rjust(9) + '   GF/cpu-s')
    for name, flops, fn in cases:
        wall, cpu = measure(flops, fn, 0.2 if args.quick else 0.6)
        print(name.ljust(44) + f'{wall:9.1f}' + f'{cpu:12.1f}')
