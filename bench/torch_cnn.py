"""torch_cnn.py - the peer measurement for bench/cnn_bench.c: the same MNIST CNN in PyTorch
(CPU), training images/s at batch 64 and 128 and batch-1 inference images/s.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_cnn.py [seconds] [threads]
Debian's PyTorch: use /usr/bin/python3 (see ../shared/DESIGN.md for the thread caveats)."""
import sys
import time

import torch
import torch.nn as nn

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
if len(sys.argv) > 2:
    torch.set_num_threads(int(sys.argv[2]))


def mnist_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 1024), nn.ReLU(), nn.Linear(1024, 10))


torch.manual_seed(1)
x_all = torch.rand(128, 1, 28, 28)
y_all = torch.randint(0, 10, (128,))
for n in (64, 128):
    model = mnist_cnn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = x_all[:n], y_all[:n]
    steps, t0 = 0, 0.0
    while True:
        if steps == 2:
            t0 = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        steps += 1
        if steps > 2 and time.perf_counter() - t0 > seconds:
            break
    dt = time.perf_counter() - t0
    print(f"torch train batch {n:3d}: {(steps - 2) * n / dt:8.1f} images/s ({steps - 2} steps)")
model = mnist_cnn().eval()
count, t0 = 0, time.perf_counter()
with torch.no_grad():
    while time.perf_counter() - t0 < seconds:
        for _ in range(100):
            model(x_all[count % 128:count % 128 + 1])
            count += 1
print(f"torch infer batch   1: {count / (time.perf_counter() - t0):8.1f} images/s "
      f"(torch threads {torch.get_num_threads()})")
