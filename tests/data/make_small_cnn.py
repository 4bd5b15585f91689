#!/usr/bin/python3
"""make_small_cnn.py - writes small_cnn.nnb.h5, a small trained CNN in .nnb.h5 format 2.

DESIGN: trains conv8-pool-conv16-pool-fc32-fc10 (3x3 kernels, padding 1, ReLU, 2x2 max
pooling) with PyTorch for one epoch on Fashion-MNIST (/usr/share/datasets/fashion-mnist, seed
1, Adam 1e-3, batch 64), then writes /network as docs/file_format.md specifies for format 2:
the operator chain in /network/ops and the graph view (layer_sizes, dense_<l>) derived by the
rules of processor/network/nb_graph.h (conv pairs: L1 kernel magnitude; the dense after the
flatten: L1 magnitude of each channel's block of inputs; dense after dense: the weights). The
fixture of the operator tests (tests/importance.cmake, tests/cli_info_ops.sh); it is committed
because CI has no PyTorch. Uses /usr/bin/python3 with python3-torch, python3-h5py,
python3-numpy. Usage: make_small_cnn.py OUT.nnb.h5 [--epochs N] [--widths A,B,F] (the
channels of the two convolutions and the hidden dense width; default 8,16,32, and 32,64,128
is the TorchRender3D example network; --epochs 0 writes PyTorch's initial weights)
"""

import argparse
import gzip
import os
import sys

import h5py
import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]


def idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def model(a, b, f):
    return nn.Sequential(
        nn.Conv2d(1, a, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(b * 7 * 7, f), nn.ReLU(), nn.Linear(f, 10))


def fixed_string(obj, name, values):
    """A fixed-length NUL-terminated UTF-8 string attribute (scalar or 1-D)."""
    data = [v.encode() for v in (values if isinstance(values, list) else [values])]
    t = h5py.h5t.C_S1.copy()
    t.set_size(max(len(d) for d in data) + 1)
    t.set_strpad(h5py.h5t.STR_NULLTERM)
    t.set_cset(h5py.h5t.CSET_UTF8)
    if isinstance(values, list):
        space = h5py.h5s.create_simple((len(data),))
    else:
        space = h5py.h5s.create(h5py.h5s.SCALAR)
    a = h5py.h5a.create(obj.id, name.encode(), t, space)
    a.write(np.array(data, dtype="S%d" % (max(len(d) for d in data) + 1)), mtype=t)


def op_group(ops, k, kind, shape_in, shape_out, **attrs):
    g = ops.create_group("%03d" % k)
    fixed_string(g, "kind", kind)
    for n, v in zip(("in_c", "in_h", "in_w"), shape_in):
        g.attrs.create(n, v, dtype="<i8")
    for n, v in zip(("out_c", "out_h", "out_w"), shape_out):
        g.attrs.create(n, v, dtype="<i8")
    for n, v in attrs.items():
        if isinstance(v, np.ndarray):
            g.create_dataset(n, data=v.astype("<f4"))
        else:
            g.attrs.create(n, v, dtype="<i8")
    return g


def window(k, pad):
    return dict(kernel_h=k, kernel_w=k, stride_h=1, stride_w=1, pad_top=pad, pad_left=pad,
                pad_bottom=pad, pad_right=pad)


def write(path, net, train_acc, test_acc, epochs):
    conv1, conv2, fc1, fc2 = net[0], net[3], net[7], net[9]
    w = [m.weight.detach().numpy().astype(np.float32) for m in (conv1, conv2, fc1, fc2)]
    b = [m.bias.detach().numpy().astype(np.float32) for m in (conv1, conv2, fc1, fc2)]
    # graph view (nb_graph.h)
    a, b_, fw = w[0].shape[0], w[1].shape[0], w[2].shape[0]
    g0 = np.abs(w[0]).sum(axis=(2, 3))                       # [a][1]
    g1 = np.abs(w[1]).sum(axis=(2, 3))                       # [b][a]
    g2 = np.abs(w[2]).reshape(fw, b_, 49).sum(axis=2)        # [fw][b]
    g3 = w[3]                                                # [10][fw]
    sizes = [1, a, b_, fw, 10]
    tmp = path + ".tmp.%d" % os.getpid()
    with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
        fixed_string(f, "format", "nnbundle")
        f.attrs.create("format_version", 2, dtype="<i8")
        fixed_string(f, "software_version", "make_small_cnn.py")
        n = f.create_group("network")
        n.create_dataset("layer_sizes", data=np.array(sizes, "<i4"))
        for l, (gw, gb) in enumerate(zip((g0, g1, g2, g3), b)):
            d = n.create_group("dense_%d" % l)
            d.create_dataset("weight", data=gw.astype("<f4"))
            d.create_dataset("bias", data=gb.astype("<f4"))
        n.attrs.create("n_classes", 10, dtype="<i8")
        fixed_string(n, "class_names", CLASSES)
        fixed_string(n, "activation", "relu")
        fixed_string(n, "source", "import")
        fixed_string(n, "dataset", DATA)
        n.attrs.create("epochs", epochs, dtype="<i8")
        n.attrs.create("seed", 1, dtype="<u8")
        n.attrs.create("l1", 0.0, dtype="<f8")
        n.attrs.create("train_accuracy", train_acc, dtype="<f8")
        n.attrs.create("test_accuracy", test_acc, dtype="<f8")
        ops = n.create_group("ops")
        for key, v in (("in_c", 1), ("in_h", 28), ("in_w", 28), ("n_ops", 10)):
            ops.attrs.create(key, v, dtype="<i8")
        op_group(ops, 0, "conv2d", (1, 28, 28), (a, 28, 28), weight=w[0], bias=b[0],
                 dilation_h=1, dilation_w=1, **window(3, 1))
        op_group(ops, 1, "relu", (a, 28, 28), (a, 28, 28))
        op_group(ops, 2, "maxpool", (a, 28, 28), (a, 14, 14), **dict(window(2, 0),
                 stride_h=2, stride_w=2))
        op_group(ops, 3, "conv2d", (a, 14, 14), (b_, 14, 14), weight=w[1], bias=b[1],
                 dilation_h=1, dilation_w=1, **window(3, 1))
        op_group(ops, 4, "relu", (b_, 14, 14), (b_, 14, 14))
        op_group(ops, 5, "maxpool", (b_, 14, 14), (b_, 7, 7), **dict(window(2, 0),
                 stride_h=2, stride_w=2))
        op_group(ops, 6, "flatten", (b_, 7, 7), (b_ * 49, 1, 1))
        op_group(ops, 7, "dense", (b_ * 49, 1, 1), (fw, 1, 1), weight=w[2], bias=b[2])
        op_group(ops, 8, "relu", (fw, 1, 1), (fw, 1, 1))
        op_group(ops, 9, "dense", (fw, 1, 1), (10, 1, 1), weight=w[3], bias=b[3])
    os.replace(tmp, path)


def accuracy(net, x, y):
    with torch.no_grad():
        return float((net(x).argmax(1) == y).float().mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--widths", default="8,16,32")
    args = ap.parse_args()
    torch.manual_seed(1)
    torch.set_num_threads(2)
    xtr = torch.tensor(idx("train-images-idx3-ubyte.gz"), dtype=torch.float32)[:, None] / 255
    ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    xte = torch.tensor(idx("t10k-images-idx3-ubyte.gz"), dtype=torch.float32)[:, None] / 255
    yte = torch.tensor(idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    net = model(*[int(v) for v in args.widths.split(",")])
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    for _ in range(args.epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 64):
            j = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(net(xtr[j]), ytr[j]).backward()
            opt.step()
    net.eval()
    tr, te = accuracy(net, xtr, ytr), accuracy(net, xte, yte)
    write(args.out, net, tr, te, args.epochs)
    print("%s: train accuracy %.4f, test accuracy %.4f" % (args.out, tr, te))
    return 0


if __name__ == "__main__":
    sys.exit(main())
