#!/usr/bin/python3
"""compare_onnx.py - nnbundle's forward pass against PyTorch's on exported ONNX models.

usage: compare_onnx.py DIR [--runner build/release/tests/onnx_run] [--models mlp,cnn,bn_gelu]
                       [--tol 1e-4]

DESIGN: DIR is what examples/export_onnx.py wrote: <model>.onnx, images.f32 (float32
[count][1][28][28]), labels.u8 and <model>.logits.f32 (PyTorch's logits [count][10]). For each
model, the onnx_run test tool imports the .onnx with nnbundle's importer (nb_import_onnx: the
operator chain and its graph view) and computes the logits with nb_layers_forward. Reported
per model: the largest relative error over all images, max_i |nb_i - torch_i| / max_i |torch_i|
(per image, relative to its largest logit), the largest element-wise error
|nb - torch| / |torch| over logits with |torch| >= 1e-3, how many images get the same predicted
class, and both accuracies. Exit 1 if a model exceeds --tol or disagrees on a class.
Uses numpy only (no torch).
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--runner", default=os.path.join(here, "..", "build", "release", "tests",
                                                     "onnx_run"))
    ap.add_argument("--models", default="mlp,cnn,bn_gelu")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    images = os.path.join(a.dir, "images.f32")
    x = np.fromfile(images, "<f4")
    n = x.size // 784
    labels = np.fromfile(os.path.join(a.dir, "labels.u8"), np.uint8)[:n]
    ok = True
    print(f"{'model':8} {'images':>6} {'max rel err':>12} {'elem rel err':>12} "
          f"{'same class':>10} {'acc nnbundle':>12} {'acc torch':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            out = os.path.join(tmp, name + ".f32")
            r = subprocess.run([a.runner, os.path.join(a.dir, name + ".onnx"), images, str(n),
                                out], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{name}: onnx_run failed ({r.returncode}): {r.stderr.strip()}")
                ok = False
                continue
            got = np.fromfile(out, "<f4").reshape(n, -1).astype(np.float64)
            want = np.fromfile(os.path.join(a.dir, name + ".logits.f32"),
                               "<f4").reshape(n, -1).astype(np.float64)
            err = np.abs(got - want)
            rel = float((err.max(1) / np.abs(want).max(1)).max())
            big = np.abs(want) >= 1e-3
            elem = float((err[big] / np.abs(want[big])).max())
            same = int((got.argmax(1) == want.argmax(1)).sum())
            acc_nb = float((got.argmax(1) == labels).mean())
            acc_t = float((want.argmax(1) == labels).mean())
            print(f"{name:8} {n:6d} {rel:12.3g} {elem:12.3g} {same:6d}/{n:<3d} {acc_nb:12.3f} "
                  f"{acc_t:9.3f}")
            ok = ok and rel <= a.tol and same == n
    print("agreement: " + ("all within tolerance, same class on every image" if ok else
                           "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
