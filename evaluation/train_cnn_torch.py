#!/usr/bin/env python3
"""train_cnn_torch.py - the PyTorch counterpart of `nnbundle train --arch ARCH` (issue 12).

Trains the same network as nnbundle's --arch string on the same IDX data set with the same
settings, for the side-by-side timing in evaluation/bench_cnn_train.sh:
  convN = Conv2d(3x3, stride 1, padding 1) + ReLU, pool = MaxPool2d(2, 2), fcN = Linear + ReLU,
  the output Linear to the classes implied (a trailing fcN equal to the class count is it);
  weights Glorot-uniform (nn.init.xavier_uniform_, fan-in/fan-out over the 3x3 window, as
  nnbundle), biases zero; Adam (lr, beta1 0.9, beta2 0.999, eps 1e-8), mean cross-entropy,
  mini-batches of a fresh random order every epoch (the last one holds the remainder), the
  test set evaluated after every epoch and the training set once at the end (as nnbundle).
Random streams differ from nnbundle's, so the accuracies agree statistically, not bit for bit.
Needs python3-torch and python3-numpy (not used in CI).

usage: train_cnn_torch.py [--data DIR] [--arch ARCH] [--epochs N] [--batch N] [--lr X]
                          [--threads N] [--seed N]
Prints per-epoch lines and, last, "test accuracy: A", "train accuracy: A" and
"wall time: T s (load L s, train R s)".
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    """An IDX file (gzip'd or raw) as a numpy uint8 array."""
    for p in (path + ".gz", path):
        if os.path.exists(p):
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rb") as f:
                data = f.read()
            _, _, dtype, ndim = struct.unpack(">BBBB", data[:4])
            if dtype != 0x08:
                sys.exit(f"{p}: not unsigned-byte IDX data")
            dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
            return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)
    sys.exit(f"{path}[.gz]: not found")


def load_split(data_dir, prefix):
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte"))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)  # N x 1 x H x W
    return x, torch.from_numpy(y.astype(np.int64))


def build(arch, in_c, h, w, n_classes):
    """nnbundle's --arch grammar (nb_train.h) as an nn.Sequential."""
    blocks = arch.split("-")
    if blocks and blocks[-1] == f"fc{n_classes}":
        blocks = blocks[:-1]
    layers, c, spatial, flat = [], in_c, False, in_c * h * w
    for b in blocks:
        if b.startswith("conv"):
            n = int(b[4:])
            layers += [nn.Conv2d(c, n, 3, stride=1, padding=1), nn.ReLU()]
            c, spatial, flat = n, True, n * h * w
        elif b == "pool":
            layers.append(nn.MaxPool2d(2, 2))
            h, w, spatial, flat = h // 2, w // 2, True, c * (h // 2) * (w // 2)
        elif b.startswith("fc"):
            n = int(b[2:])
            if spatial or not layers:
                layers.append(nn.Flatten())
            layers += [nn.Linear(flat, n), nn.ReLU()]
            spatial, flat = False, n
        else:
            sys.exit(f"--arch: unknown block '{b}'")
    if spatial or not layers:
        layers.append(nn.Flatten())
    layers.append(nn.Linear(flat, n_classes))
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def evaluate(net, x, y, chunk=1024):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), chunk):
            correct += (net(x[i:i + chunk]).argmax(1) == y[i:i + chunk]).sum().item()
    net.train()
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--arch", default="conv32-pool-conv64-pool-fc128-fc10")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t0 = time.perf_counter()
    xtr, ytr = load_split(a.data, "train")
    xte, yte = load_split(a.data, "t10k")
    t_loaded = time.perf_counter()
    n_classes = int(ytr.max()) + 1
    net = build(a.arch, xtr.shape[1], xtr.shape[2], xtr.shape[3], n_classes)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.arch}, "
          f"{a.epochs} epochs, batch {a.batch}, Adam lr {a.lr}", file=sys.stderr)
    test_acc = float("nan")
    for epoch in range(1, a.epochs + 1):
        te = time.perf_counter()
        perm = torch.randperm(len(xtr))
        loss_sum, correct = 0.0, 0
        for i in range(0, len(xtr), a.batch):
            idx = perm[i:i + a.batch]
            xb, yb = xtr[idx], ytr[idx]
            opt.zero_grad()
            z = net(xb)
            loss = loss_fn(z, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (z.argmax(1) == yb).sum().item()
        test_acc = evaluate(net, xte, yte)
        print(f"epoch {epoch}/{a.epochs}: done in {time.perf_counter() - te:.1f} s, loss "
              f"{loss_sum / len(xtr):.4f}, train accuracy {correct / len(xtr):.4f} (running), "
              f"test accuracy {test_acc:.4f}", file=sys.stderr)
    train_acc = evaluate(net, xtr, ytr)
    t_end = time.perf_counter()
    print(f"train accuracy: {train_acc:.4f}")
    print(f"test accuracy: {test_acc:.4f}")
    print(f"wall time: {t_end - t0:.2f} s (load {t_loaded - t0:.2f} s, train "
          f"{t_end - t_loaded:.2f} s)")


if __name__ == "__main__":
    main()
