#!/usr/bin/env python3
"""PyTorch peer of bench/resnet.ts: CIFAR ResNet-18 (kuangliu/pytorch-cifar: BasicBlock [2, 2, 2, 2],
64-128-256-512 channels, 3x3 stem, no max pool, 4x4 average pool, 10 classes), float32, CPU.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_resnet.py BATCH

Serves bench/resnet.ts's requests (bench/torch_serve.py: one JSON line each way), so that PyTorch's batches
alternate with Strata's:
    {"op": "forward", "threads": t, "warmup": w, "count": n}  eval mode, no_grad
    {"op": "train", "threads": t, "warmup": w, "count": n}    cross-entropy, backward, SGD lr 0.01 momentum 0.9
        -> {"times": [seconds of each timed batch]} (torch.set_num_threads(t) first)
    {"op": "onnx", "path": p}  the eval-mode model exported there (opset 13, fixed batch) for onnxruntime-node
        -> {"onnx": null or why the export failed}
Its first line is {"torch": version}.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_serve import serve, timed

batch = int(sys.argv[1])


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


def timing(fn, train):
    def handle(request):
        torch.set_num_threads(request['threads'])
        model.train(train)
        return {'times': timed(fn, request['warmup'], request['count'])}
    return handle


def export_onnx(request):
    try:
        model.eval()
        torch.onnx.export(model, x, request['path'], opset_version=13, input_names=['x'], output_names=['logits'])
        return {'onnx': None}
    except Exception as e:  # report why (e.g. a torch build without ONNX export)
        return {'onnx': f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'}


serve({'torch': torch.__version__}, {'forward': timing(forward, False), 'train': timing(train_step, True), 'onnx': export_onnx})
