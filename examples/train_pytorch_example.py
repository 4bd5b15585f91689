#!/usr/bin/python3
"""train_pytorch_example.py - trains a small ReLU MLP on Fashion-MNIST with PyTorch and saves
its state_dict, as input for examples/import_pytorch.py.

DESIGN: reads the IDX files (gzip'd or raw; big-endian header: magic 0x00000803 for images,
0x00000801 for labels, then the dimensions as uint32) with numpy + gzip, scales pixels to
[0, 1] (as nnbundle's own reader does, common/nb_idx.h), trains
nn.Sequential(Linear, ReLU, ..., Linear) with Adam on the cross-entropy (the same recipe as
`nnbundle train`: Adam lr 1e-3, batch 128), seeded (torch.manual_seed, numpy Generator for the
shuffling), then evaluates on the train and test splits and writes
  OUT              the model's state_dict (torch.save), keys "1.weight", "1.bias", ...
  OUT.json         {"layers", "epochs", "seed", "train_accuracy", "test_accuracy", "dataset"}
Threads: torch's intra-op pool, --threads (default 1; results then do not depend on the
machine's core count).

Uses: numpy, torch (Debian: python3-numpy python3-torch). Run with /usr/bin/python3.
"""

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    """An IDX file (raw or .gz) as a numpy uint8 array shaped by its header."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (bad magic)")
    ndims = data[3]
    header = 4 + 4 * ndims
    if len(data) < header:
        raise ValueError(f"{path}: truncated header")
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndims)]
    count = int(np.prod(dims))
    if len(data) - header != count:
        raise ValueError(f"{path}: {len(data) - header} payload bytes, header says {count}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def find_split(directory, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{os.path.join(directory, stem)}[.gz] not found")


def load_split(directory, prefix):
    """(images float32[n, rows*cols] in [0, 1], labels int64[n]) of 'train' or 't10k'."""
    images = read_idx(find_split(directory, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(find_split(directory, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{directory}: {prefix} images {images.shape} and labels "
                         f"{labels.shape} do not match")
    x = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255.0)
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


def make_mlp(sizes):
    """nn.Sequential(Flatten, Linear, ReLU, ..., Linear) for layer sizes [n_0, ..., n_{L-1}]."""
    mods = [nn.Flatten()]
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


@torch.no_grad()
def accuracy(model, x, y, batch=4096):
    model.eval()
    right = 0
    for i in range(0, x.shape[0], batch):
        right += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return right / x.shape[0]


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="train_pytorch_example.py",
        description="Train a ReLU MLP on Fashion-MNIST with PyTorch and save its state_dict.",
        epilog="example: /usr/bin/python3 examples/train_pytorch_example.py -o out/mlp.pt")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="IDX data set directory (default %(default)s)")
    p.add_argument("-o", "--output", required=True, help="state_dict file to write (.pt)")
    p.add_argument("--layers", default="81,49",
                   help="hidden layer sizes, comma-separated (default %(default)s)")
    p.add_argument("--epochs", type=int, default=5, help="epochs (default %(default)s)")
    p.add_argument("--batch", type=int, default=128, help="batch size (default %(default)s)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default %(default)s)")
    p.add_argument("--seed", type=int, default=1, help="seed (default %(default)s)")
    p.add_argument("--max-train", type=int, default=0,
                   help="use only the first N training images (0 = all)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default %(default)s)")
    args = p.parse_args(argv)

    torch.set_num_threads(max(1, args.threads))
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    try:
        hidden = [int(s) for s in args.layers.split(",") if s.strip()]
        if any(h < 1 for h in hidden):
            raise ValueError
    except ValueError:
        print(f"train_pytorch_example.py: --layers {args.layers!r}: expected positive integers",
              file=sys.stderr)
        return 2
    try:
        x_train, y_train = load_split(args.data, "train")
        x_test, y_test = load_split(args.data, "t10k")
    except (OSError, ValueError) as e:
        print(f"train_pytorch_example.py: {e}", file=sys.stderr)
        return 1
    if args.max_train > 0:
        x_train, y_train = x_train[:args.max_train], y_train[:args.max_train]
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    sizes = [x_train.shape[1]] + hidden + [n_classes]
    model = make_mlp(sizes)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    t0 = time.perf_counter()
    n = x_train.shape[0]
    for epoch in range(args.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(n))
        total = 0.0
        for i in range(0, n, args.batch):
            idx = order[i:i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += float(loss) * idx.shape[0]
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / n:.4f}, "
              f"test accuracy {accuracy(model, x_test, y_test):.4f}", flush=True)
    seconds = time.perf_counter() - t0
    train_acc = accuracy(model, x_train, y_train)
    test_acc = accuracy(model, x_test, y_test)

    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(model.state_dict(), args.output)
    meta = {"layers": sizes, "epochs": args.epochs, "seed": args.seed,
            "train_accuracy": train_acc, "test_accuracy": test_acc,
            "dataset": os.path.abspath(args.data), "train_seconds": seconds}
    with open(args.output + ".json", "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {args.output} ({'-'.join(map(str, sizes))}): train accuracy {train_acc:.4f}, "
          f"test accuracy {test_acc:.4f}, {seconds:.1f} s on {args.threads} thread(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
