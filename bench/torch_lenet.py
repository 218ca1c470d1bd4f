"""PyTorch peer of bench/lenet.ts: the same LeNet-5, batch size, optimiser and MNIST batches.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_lenet.py DATA_ROOT BATCH

Serves bench/lenet.ts's requests (bench/torch_serve.py: one JSON line each way), so that PyTorch's steps
alternate with Strata's:
    {"op": "train", "threads": t, "warmup": w, "count": n}
        -> {"times": [seconds of each of the n timed steps]} (torch.set_num_threads(t) first; the steps go
           on through one fixed shuffle of the training set)
Its first line is {"torch": version}. Run with OPENBLAS_NUM_THREADS=1 (torch uses its own threads; nested
pools slow it down).
"""
import gzip
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_serve import serve, timed

root, batch = sys.argv[1], int(sys.argv[2])
with gzip.open(f"{root}/mnist/train-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
with gzip.open(f"{root}/mnist/train-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
x_all = (torch.from_numpy(images.astype(np.float32)) / 255 - 0.1307) / 0.3081
y_all = torch.from_numpy(labels.astype(np.int64))

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
order = torch.randperm(len(y_all))
steps_done = 0


def step():
    global steps_done
    start = (steps_done * batch) % (len(order) - batch)
    idx = order[start:start + batch]
    steps_done += 1
    opt.zero_grad()
    F.cross_entropy(model(x_all[idx]), y_all[idx]).backward()
    opt.step()


def train(request):
    torch.set_num_threads(request['threads'])
    return {'times': timed(step, request['warmup'], request['count'])}


serve({'torch': torch.__version__}, {'train': train})
