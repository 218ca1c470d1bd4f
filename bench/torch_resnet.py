#!/usr/bin/env python3
"""PyTorch peer of bench/resnet.ts: CIFAR ResNet-18 (kuangliu/pytorch-cifar: BasicBlock [2, 2, 2, 2],
64-128-256-512 channels, 3x3 stem, no max pool, 4x4 average pool, 10 classes), float32, CPU.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_resnet.py SPEC_JSON

SPEC_JSON: {"batch": 32, "threads": [1, 2], "iters": 5, "onnx": "/tmp/.../resnet18.onnx" or null, "time": true}
Times `iters` forward passes (eval mode, no_grad) and `iters` training steps (SGD lr 0.01 momentum 0.9,
cross-entropy) after warm-up, at each thread count (torch.set_num_threads; "time": false skips this). With "onnx", also exports the
eval-mode model there (torch.onnx.export, opset 13, fixed batch) for onnxruntime-node.

Prints one JSON line: {"torch": version, "results": {threads: {"forward": T, "train": T}}, "onnx": null | error}
with T = {"median": s, "best": s, "rounds": n} seconds per batch.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

spec = json.loads(sys.argv[1])
batch, iters = spec['batch'], spec['iters']


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, in_planes = [], 64
        for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers.append(nn.Sequential(BasicBlock(in_planes, planes, stride), BasicBlock(planes, planes, 1)))
            in_planes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.linear = nn.Linear(512, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4).flatten(1)
        return self.linear(out)


def time_calls(fn, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    mid = len(times) // 2
    med = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    return {'median': med, 'best': times[0], 'rounds': len(times)}


torch.manual_seed(0)
model = ResNet18()
x = torch.randn(batch, 3, 32, 32)
y = torch.randint(0, 10, (batch,))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def forward():
    with torch.no_grad():
        model(x)


def train_step():
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()


results = {}
for t in spec['threads'] if spec.get('time', True) else []:
    torch.set_num_threads(t)
    model.eval()
    fwd = time_calls(forward, 1)
    model.train()
    results[str(t)] = {'forward': fwd, 'train': time_calls(train_step, 2)}

onnx_error = None
if spec.get('onnx'):
    try:
        model.eval()
        torch.onnx.export(model, x, spec['onnx'], opset_version=13, input_names=['x'], output_names=['logits'])
    except Exception as e:  # report why (e.g. a torch build without ONNX export)
        onnx_error = f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
print(json.dumps({'torch': torch.__version__, 'results': results, 'onnx': onnx_error}))
