"""The Python peers of `npm run bench`: W1 in plain numpy (the from-scratch
MLP a learner writes, with BLAS doing the matrix products) or in PyTorch
(nn.Sequential, nn.CrossEntropyLoss, optim.SGD), on one thread.

W1: 784-512-256-10 ReLU, softmax cross-entropy, biases, He-normal weights,
SGD momentum (lr 0.05, mu 0.9), batch 128, one epoch over the first --limit
training images in a fixed shuffled order (outside the clock), float32;
then inference on the 10,000 test images at batch 1000. Prints one line
`RESULT {json}` like bench/workload.ts.

  OPENBLAS_NUM_THREADS=1 python3 python-w1.py --lib numpy --mnist DIR [--limit 60000]
  python3 python-w1.py --lib torch --mnist DIR
"""
import argparse
import json
import os
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--lib", choices=["numpy", "torch"], default="numpy")
ap.add_argument("--mnist", required=True)
ap.add_argument("--limit", type=int, default=60000)
args = ap.parse_args()


def idx(name):
    with open(os.path.join(args.mnist, name), "rb") as f:
        b = f.read()
    magic = int.from_bytes(b[0:4], "big")
    return np.frombuffer(b, dtype=np.uint8, offset=16 if magic == 2051 else 8)


n = min(args.limit, 60000)
order = np.random.default_rng(12345).permutation(60000)[:n]
x = (idx("train-images-idx3-ubyte").reshape(60000, 784)[order] / 255).astype(np.float32)
y = idx("train-labels-idx1-ubyte")[order].astype(np.int64)
tx = (idx("t10k-images-idx3-ubyte").reshape(10000, 784) / 255).astype(np.float32)
ty = idx("t10k-labels-idx1-ubyte").astype(np.int64)
B, lr, mu = 128, 0.05, 0.9

if args.lib == "numpy":
    rng = np.random.default_rng(1)
    sizes = [784, 512, 256, 10]
    W = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    bias = [np.zeros(b, np.float32) for b in sizes[1:]]
    params = W + bias
    vel = [np.zeros_like(p) for p in params]

    def forward(xb):
        acts = [xb]
        for i in range(3):
            z = acts[-1] @ W[i] + bias[i]
            acts.append(np.maximum(z, 0) if i < 2 else z)
        return acts

    t0 = time.perf_counter()
    losses = []
    for s in range(0, n, B):
        xb, yb = x[s : s + B], y[s : s + B]
        acts = forward(xb)
        logits = acts[-1]
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        m = len(yb)
        losses.append(float(-np.log(p[np.arange(m), yb]).mean()))
        d = p
        d[np.arange(m), yb] -= 1
        d /= m
        gW, gb = [None] * 3, [None] * 3
        for i in (2, 1, 0):
            gW[i] = acts[i].T @ d
            gb[i] = d.sum(axis=0)
            if i > 0:
                d = (d @ W[i].T) * (acts[i] > 0)
        for k, (p_, g) in enumerate(zip(params, gW + gb)):
            vel[k] *= mu
            vel[k] -= lr * g
            p_ += vel[k]
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    pred = np.concatenate([forward(tx[s : s + 1000])[-1].argmax(axis=1) for s in range(0, 10000, 1000)])
    infer_s = time.perf_counter() - t1
    version = np.__version__
    loss = float(np.mean(losses))
else:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
    )
    for mod in net:
        if isinstance(mod, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
            torch.nn.init.zeros_(mod.bias)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=mu)
    lossf = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    t0 = time.perf_counter()
    losses = []
    for s in range(0, n, B):
        opt.zero_grad()
        out = lossf(net(xt[s : s + B]), yt[s : s + B])
        out.backward()
        opt.step()
        losses.append(out.item())
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    with torch.no_grad():
        txt = torch.from_numpy(tx)
        pred = torch.cat([net(txt[s : s + 1000]).argmax(dim=1) for s in range(0, 10000, 1000)]).numpy()
    infer_s = time.perf_counter() - t1
    version = torch.__version__
    loss = float(np.mean(losses))



def blas_core():
    """The BLAS numpy runs and, for OpenBLAS, the kernel family it chose (e.g. SkylakeX: AVX-512)."""
    try:
        import ctypes

        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and line.split()[-1].startswith("/")}
        for p in sorted(paths):
            lib = ctypes.CDLL(p)
            if hasattr(lib, "openblas_get_corename"):
                lib.openblas_get_corename.restype = ctypes.c_char_p
                threads = lib.openblas_get_num_threads() if hasattr(lib, "openblas_get_num_threads") else "?"
                return f"OpenBLAS {lib.openblas_get_corename().decode()} ({threads} threads)"
        return ", ".join(os.path.basename(p) for p in sorted(paths)) or None
    except Exception as e:  # the report is informative only
        return f"unknown ({e})"


print(
    "RESULT "
    + json.dumps(
        {
            "peer": args.lib,
            "version": version,
            "trainSamples": n,
            "trainSeconds": train_s,
            "trainSps": n / train_s,
            "loss": loss,
            "testAccuracy": float((pred == ty).mean()),
            "inferSeconds": infer_s,
            "inferSps": 10000 / infer_s,
            "blas": blas_core(),
        }
    )
)
