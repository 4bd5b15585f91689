#!/usr/bin/python3
"""Spearman correlation of the node rankings stored in two .nnb.h5 files.

usage: compare_importance.py A.nnb.h5 B.nnb.h5 [--layers 0]

For every layer l (default: every layer but the output), the class-mean node importance
/importance/node_<l> (float32[n_l][C], mean over C) of A and B are ranked (average ranks for
ties) and their Pearson correlation is printed (Spearman's rho), with the share of the top 50
nodes of A that are also among the top 50 of B. Use it on two networks trained with different
seeds: only the input layer (pixels) is comparable then, since hidden nodes are not matched
between independently trained networks. Needs numpy and h5py (Debian: python3-numpy,
python3-h5py).
"""
import sys

import h5py
import numpy as np


def ranks(v):
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    sv = v[order]
    i = 0
    while i < len(v):
        j = i + 1
        while j < len(v) and sv[j] == sv[i]:
            j += 1
        r[order[i:j]] = 0.5 * (i + 1 + j)
        i = j
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    ra -= ra.mean()
    rb -= rb.mean()
    den = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / den) if den > 0 else float("nan")


def method(f):
    m = f["importance"].attrs.get("method", "?")
    return m.decode() if isinstance(m, bytes) else str(m)


def main():
    args = [a for a in sys.argv[1:]]
    layers = None
    if "--layers" in args:
        k = args.index("--layers")
        layers = [int(x) for x in args[k + 1].split(",")]
        del args[k : k + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    with h5py.File(args[0], "r") as fa, h5py.File(args[1], "r") as fb:
        n_layers = len(fa["network/layer_sizes"])
        for l in layers if layers is not None else range(n_layers - 1):
            a = fa[f"importance/node_{l}"][()].mean(axis=1)
            b = fb[f"importance/node_{l}"][()].mean(axis=1)
            top_a = set(np.argsort(-a, kind="stable")[:50])
            top_b = set(np.argsort(-b, kind="stable")[:50])
            print(
                f"layer {l}: {len(a)} nodes, spearman {spearman(a, b):.4f}, "
                f"top-50 overlap {len(top_a & top_b)}/50 ({method(fa)} vs {method(fb)})"
            )


if __name__ == "__main__":
    main()
