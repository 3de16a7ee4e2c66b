#!/usr/bin/python3
"""peer_torch.py - PyTorch's side of `make bench`: the same rows as nnlab's bench program.

Run with Debian's interpreter, /usr/bin/python3 (python3-torch, PyTorch 1.13 on OpenBLAS);
the `python3` on PATH may be another interpreter without torch. bench/run.sh calls this once
per row and thread configuration and collects the JSON line it prints (format: bench/bench.h).

Same work as nnlab's side (bench/bench.c), so the ratio compares implementations, not tasks:
  - the same shapes (bench/arch.c): the 8-layer MLP 784-500-500-500-200-200-100-50-10 with
    ReLU, the MNIST CNN conv5x5x32 pad 2 - ReLU - maxpool 2 - conv5x5x64 pad 2 - ReLU -
    maxpool 2 - dense 1024 - ReLU - dense 10, and chapter 04's CIFAR-10 network (conv-BN-ReLU
    stem of 32, three conv groups of 64/128/192, maxpool 4, dense 10, logits times 1/8);
    He-normal weights, zero biases, batch norm at scale 1 and shift 0;
  - seeded synthetic data, a pool of 8 batches used in turn;
  - a training step is zero_grad(set_to_none) + forward + cross_entropy + backward +
    SGD(lr 0.01, momentum 0.9) step; the input does not require a gradient, so autograd
    computes no input gradient, like nnlab with nn_set_input_grad(m, 0);
  - inference is a batch-1 forward in eval mode under torch.no_grad() (or, with
    --grad-mode inference_mode, torch.inference_mode(), which skips a little more
    bookkeeping; run.sh tries both and keeps the better);
  - warm-up, then `repeats` timed repeats of at least `seconds` each, median reported.
torch.set_flush_denormal(True) is set (the nnlab side sets FTZ/DAZ likewise). Every record
also holds the process's peak resident set size (rss_mb), as nnlab's does.

Threads: PyTorch has two pools on this build: its own (OpenMP, torch.set_num_threads, used
by elementwise ops, the optimiser and oneDNN convolutions) and OpenBLAS's (read from
OPENBLAS_NUM_THREADS when the library loads, used by Linear's matrix products). Giving both
N threads on N cores oversubscribes them, so run.sh tries each pool with N threads and the
other with 1; the configuration actually in effect is read back and printed.
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the tests never need torch; the bench says how to get it
    sys.exit("peer_torch.py: PyTorch is missing (%s); install it with: "
             "apt-get install --no-install-recommends python3-torch python3-numpy" % e)

POOL = 8


class Scale(nn.Module):
    """Logits times a fixed factor (nnlab: a frozen diagonal dense layer)."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


SHAPES = {"mlp8": (1, 28, 28), "cnn": (1, 28, 28), "cifar": (3, 32, 32)}


def build(model):
    if model == "mlp8":
        sizes = [784, 500, 500, 500, 200, 200, 100, 50, 10]
        layers = [nn.Flatten()]
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        net = nn.Sequential(*layers)
    elif model == "cifar":
        def group(c_in, c_out):
            return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(c_out),
                    nn.ReLU(), nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out),
                    nn.ReLU()]
        net = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            *group(32, 64), *group(64, 128), *group(128, 192),
            nn.MaxPool2d(4), nn.Flatten(), nn.Linear(192, 10), Scale(1 / 8))
    elif model == "cnn":
        net = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Linear(1024, 10))
    else:
        raise ValueError(model)
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.kaiming_normal_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def openblas_threads():
    """OpenBLAS's thread count as the loaded library sees it (None if not found)."""
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            return int(lib.openblas_get_num_threads())
        except (OSError, AttributeError):
            continue
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=sorted(SHAPES))
    ap.add_argument("--mode", required=True, choices=["train", "infer"])
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--threads", type=int, required=True,
                    help="the row's thread count (cores given to the run)")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="torch.set_num_threads (default: --threads)")
    ap.add_argument("--grad-mode", choices=["no_grad", "inference_mode"], default="no_grad")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true",
                    help="also print torch.profiler's per-operator table to stderr "
                         "(diagnostic; slows the timed steps a little)")
    a = ap.parse_args()
    batch = a.batch or (1 if a.mode == "infer" else 64)
    tt = a.torch_threads or a.threads
    torch.set_num_threads(tt)
    torch.set_flush_denormal(True)
    torch.manual_seed(a.seed)

    net = build(a.model)
    gen = torch.Generator().manual_seed(a.seed + 1)
    xs = [torch.rand(batch, *SHAPES[a.model], generator=gen) for _ in range(POOL)]
    ys = [torch.randint(0, 10, (batch,), generator=gen) for _ in range(POOL)]
    train = a.mode == "train"
    if train:
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

        def step(k):
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xs[k]), ys[k])
            loss.backward()
            opt.step()
    else:
        net.eval()

        def step(k):
            net(xs[k])

    guard = torch.inference_mode if (not train and a.grad_mode == "inference_mode") \
        else (torch.no_grad if not train else torch.enable_grad)
    rates, steps = [], 0
    with guard():
        t0, i = time.perf_counter(), 0
        while i < POOL or time.perf_counter() - t0 < a.warmup:
            step(i % POOL)
            i += 1
        for _ in range(a.repeats):
            n, start = 0, time.perf_counter()
            while True:
                step((i + n) % POOL)
                n += 1
                dt = time.perf_counter() - start
                if dt >= a.seconds:
                    break
            i += n
            steps += n
            rates.append(n * batch / dt)
        if a.profile:
            from torch.profiler import profile, ProfilerActivity
            with profile(activities=[ProfilerActivity.CPU]) as prof:
                for k in range(20):
                    step(k % POOL)
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15),
                  file=sys.stderr)
    img_s = statistics.median(rates)
    ob = openblas_threads()
    config = "torch %s; torch_threads=%d; OPENBLAS_NUM_THREADS=%s (openblas_get_num_threads()=%s)" % (
        torch.__version__, torch.get_num_threads(), os.environ.get("OPENBLAS_NUM_THREADS", "unset"), ob)
    config += "; %s" % ("SGD momentum, zero_grad(set_to_none)" if train else a.grad_mode + ", eval")
    wait = os.environ.get("OMP_WAIT_POLICY") or "default"
    config += "; OMP_WAIT_POLICY=%s OPENBLAS_THREAD_TIMEOUT=%s" % (
        wait, os.environ.get("OPENBLAS_THREAD_TIMEOUT") or "default")
    config += "; flush_denormal"
    if a.model in ("cnn", "cifar"):
        config += "; oneDNN %s" % ("on" if torch.backends.mkldnn.is_available() else "off")
    label = "torch=%d blas=%s wait=%s" % (torch.get_num_threads(), ob, wait)
    if not train:
        label += " " + a.grad_mode
    print(json.dumps({"impl": "torch", "kind": "row", "model": a.model, "mode": a.mode,
                      "batch": batch, "threads": a.threads, "img_per_s": img_s,
                      "img_per_s_best": max(rates), "load": round(os.getloadavg()[0], 2),
                      "ms_per_img": 1000.0 / img_s, "repeats": a.repeats, "steps": steps,
                      "torch_threads": torch.get_num_threads(), "openblas_threads": -1 if ob is None else ob,
                      "config": config, "label": label,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}),
          flush=True)


if __name__ == "__main__":
    main()
