#!/usr/bin/env python3
"""PyTorch peer of bench/zoo.ts: torchvision models (random weights, eval mode, no_grad) at 224x224.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_zoo.py SPEC_JSON

SPEC_JSON: {"models": ["resnet50", ...], "batch": 4, "threads": [1, 2], "warmup": 3, "iters": 7}
Prints one JSON line: {"torch": version, "results": {model: {threads: {"median": s, "best": s}}}}.
"""
import json
import sys
import time

import torch
import torchvision

spec = json.loads(sys.argv[1])
results = {}
x = torch.randn(spec['batch'], 3, 224, 224)
for name in spec['models']:
    model = getattr(torchvision.models, name)().eval()
    results[name] = {}
    for threads in spec['threads']:
        torch.set_num_threads(threads)
        with torch.no_grad():
            for _ in range(spec['warmup']):
                model(x)
            times = []
            for _ in range(spec['iters']):
                t = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - t)
        times.sort()
        results[name][str(threads)] = {'median': times[len(times) // 2], 'best': times[0]}
print(json.dumps({'torch': torch.__version__, 'results': results}))
