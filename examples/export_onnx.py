#!/usr/bin/python3
"""export_onnx.py - PyTorch models exported to ONNX for `nnbundle import`, with PyTorch's logits.

DESIGN: builds three models on Fashion-MNIST (1x28x28 inputs, 10 classes), trains each briefly
(Adam, cross-entropy, a seeded subset of the training split: the point is realistic weights and
batch-norm statistics, not accuracy), switches them to eval mode and exports them with
torch.onnx.export (opset 14, the default of torch 1.13; batch dimension symbolic "N"):

  mlp      Flatten, Linear 784-128, ReLU, Linear 128-64, ReLU, Linear 64-10
  cnn      Conv 32 3x3 pad 1, ReLU, MaxPool 2, Conv 64 3x3 pad 1, ReLU, MaxPool 2, Flatten,
           Linear 3136-128, ReLU, Linear 128-10  (conv32-pool-conv64-pool-fc128-fc10)
  bn_gelu  Conv 16 3x3 pad 1, BatchNorm2d, GELU, MaxPool 2, Conv 32 3x3 pad 1, BatchNorm2d,
           LeakyReLU, AvgPool 2, Flatten, Linear 1568-64, BatchNorm1d, GELU, Dropout, Linear 64-10

GELU is exported by torch 1.13 as Div/Erf/Add/Mul/Mul, which nnbundle reads as one GELU.
torch.onnx folds a BatchNorm2d into the convolution before it in eval mode; the models are
exported with training=PRESERVE from eval mode so that the BatchNormalization nodes stay in the
graph (nnbundle keeps γ for the importance). --small writes reduced widths (the CI models of
tests/data/onnx, under 300 KB each): mlp 784-32-16-10, cnn conv4-pool-conv8-pool-fc16-fc10,
bn_gelu with 4/8 channels and 16 dense units.

Writes into --out: <name>.onnx; images.f32 (the first --count test images, float32
[count][1][28][28] in [0,1], little-endian), labels.u8, and <name>.logits.f32 (PyTorch's
logits, float32 [count][10]), which examples/compare_onnx.py compares with nnbundle's.

Uses: torch, numpy (Debian: python3-torch python3-numpy); reads the Fashion-MNIST IDX files
(Debian: dataset-fashion-mnist). Run with /usr/bin/python3 so the Debian modules are found.
"""

import argparse
import gzip
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(data_dir, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    sys.exit(f"export_onnx: {os.path.join(data_dir, stem)}[.gz] not found")


def models(small):
    c1, c2, fc = (4, 8, 16) if small else (32, 64, 128)
    h1, h2 = (32, 16) if small else (128, 64)
    b1, b2, bf = (4, 8, 16) if small else (16, 32, 64)
    return {
        "mlp": nn.Sequential(nn.Flatten(), nn.Linear(784, h1), nn.ReLU(), nn.Linear(h1, h2),
                             nn.ReLU(), nn.Linear(h2, 10)),
        "cnn": nn.Sequential(nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(c2 * 49, fc), nn.ReLU(), nn.Linear(fc, 10)),
        "bn_gelu": nn.Sequential(nn.Conv2d(1, b1, 3, padding=1), nn.BatchNorm2d(b1), nn.GELU(),
                                 nn.MaxPool2d(2), nn.Conv2d(b1, b2, 3, padding=1),
                                 nn.BatchNorm2d(b2), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
                                 nn.Flatten(), nn.Linear(b2 * 49, bf), nn.BatchNorm1d(bf),
                                 nn.GELU(), nn.Dropout(0.2), nn.Linear(bf, 10)),
    }


def train(model, x, y, epochs, seed):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                    help="Fashion-MNIST IDX directory (default %(default)s)")
    ap.add_argument("--small", action="store_true", help="the small CI models")
    ap.add_argument("--models", default="mlp,cnn,bn_gelu", help="comma list (default all)")
    ap.add_argument("--train-images", type=int, default=10000,
                    help="training images used (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=1, help="epochs (default %(default)s)")
    ap.add_argument("--count", type=int, default=100,
                    help="test images whose logits are written (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1, help="seed (default %(default)s)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)

    tx = read_idx(find(a.data, "train-images-idx3-ubyte"))
    ty = read_idx(find(a.data, "train-labels-idx1-ubyte"))
    ex = read_idx(find(a.data, "t10k-images-idx3-ubyte"))[:a.count]
    ey = read_idx(find(a.data, "t10k-labels-idx1-ubyte"))[:a.count]
    rng = np.random.default_rng(a.seed)
    pick = rng.permutation(len(tx))[:a.train_images]
    x = torch.from_numpy(tx[pick].astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(ty[pick].astype(np.int64))
    test = torch.from_numpy(ex.astype(np.float32) / 255.0).unsqueeze(1)
    test.numpy().astype("<f4").tofile(os.path.join(a.out, "images.f32"))
    ey.astype(np.uint8).tofile(os.path.join(a.out, "labels.u8"))

    all_models = models(a.small)
    for name in a.models.split(","):
        if name not in all_models:
            sys.exit(f"export_onnx: unknown model '{name}' (mlp, cnn, bn_gelu)")
        m = all_models[name]
        if a.epochs > 0 and a.train_images > 0:
            train(m, x, y, a.epochs, a.seed)
        m.eval()
        with torch.no_grad():
            logits = m(test)
        acc = float((logits.argmax(1).numpy() == ey).mean())
        logits.numpy().astype("<f4").tofile(os.path.join(a.out, f"{name}.logits.f32"))
        path = os.path.join(a.out, f"{name}.onnx")
        # PRESERVE from eval mode keeps BatchNormalization nodes; torch warns about constant
        # folding in training mode, which does not apply to a model in eval mode.
        warnings.filterwarnings("ignore", message="It is recommended that constant folding")
        torch.onnx.export(m, test[:1], path, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=14,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
        n_params = sum(p.numel() for p in m.parameters())
        print(f"{path}: {n_params} parameters, {os.path.getsize(path)} bytes, "
              f"accuracy {acc:.3f} on the {len(ey)} test images")


if __name__ == "__main__":
    main()
