"""PyTorch peer of bench/lenet.ts: the same LeNet-5, batch size, optimiser and MNIST batches.

Prints one JSON line {"imagesPerSecond": ..., "threads": ..., "steps": ...}: images per second of the median step.
Run with OPENBLAS_NUM_THREADS=1 (torch uses its own threads; nested pools slow it down).
"""
import gzip, json, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

root, steps, batch, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
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

def step(i):
    idx = order[(i * batch) % (len(order) - batch):][:batch]
    opt.zero_grad()
    loss = F.cross_entropy(model(x_all[idx]), y_all[idx])
    loss.backward()
    opt.step()

for i in range(10):
    step(i)
times = []
for i in range(steps):
    t0 = time.perf_counter()
    step(i)
    times.append(time.perf_counter() - t0)
times.sort()
# The median step, as bench/lenet.ts reports Strata's (robust to a noisy machine).
print(json.dumps({"imagesPerSecond": batch / times[len(times) // 2], "threads": threads, "steps": steps}))
