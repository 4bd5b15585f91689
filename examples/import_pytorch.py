#!/usr/bin/python3
"""import_pytorch.py - converts a PyTorch MLP (nn.Linear + ReLU) into an nnbundle .nnb.h5 file.

DESIGN: reads a model saved with torch.save -- a state_dict (.pt), a checkpoint dict holding
one under "state_dict" / "model_state_dict" / "model", or a whole pickled nn.Module such as an
nn.Sequential -- or, from Python, takes an nn.Module / state_dict object directly
(`convert(obj)` + `write_nnb(...)`). It extracts the chain of dense layers, checks that it is
a ReLU MLP whose shapes chain (in_features of layer l+1 == out_features of layer l), and
writes the /network group exactly as docs/file_format.md specifies:

  /                 attrs format="nnbundle", format_version=1 (int64), software_version
  /network          layer_sizes int32[L]; dense_<l>/weight float32[n_{l+1}, n_l] (out x in,
                    the nn.Linear convention, so PyTorch weights are copied as they are);
                    dense_<l>/bias float32[n_{l+1}]; attrs n_classes (int64), class_names
                    (string[C]), activation="relu", source="import", dataset, epochs (int64),
                    seed (uint64), l1, train_accuracy, test_accuracy (float64, NaN = unknown)

Strings are fixed-length, NUL-terminated UTF-8 (one cell of longest + 1 bytes), written
through h5py's low-level API because h5py's high-level attrs would write variable-length
strings (which nnbundle reads too, but does not write). The file uses the HDF5 1.8 format,
datasets over 64 KiB are chunked by whole rows (~256 KiB chunks) with shuffle + deflate 4, like
nnbundle's own writer (common/nb_h5.c). The file is written to "<out>.nbtmp.<pid>", flushed,
fsync'd and renamed over <out>: an interrupted import never leaves a half-written file.

Accepted modules (nn.Module input): nn.Linear, nn.ReLU (exactly one between two Linear
layers, none after the last), and modules that are the identity at inference time
(nn.Identity, nn.Dropout, nn.Flatten before the first Linear, nn.Softmax / nn.LogSoftmax
after the last Linear, since nnbundle's output layer is a softmax anyway). Anything else
(Conv2d, BatchNorm1d, Tanh, ...) is an error naming the module. A state_dict carries no
activations: its Linear layers are taken in the dict's order and assumed to be joined by ReLU
(the only network nnbundle draws), and any tensor that is not a 2-D ".weight" or a 1-D
".bias" is an error naming the key.

Uses: h5py, numpy, torch (Debian: python3-h5py python3-numpy python3-torch). Run with
/usr/bin/python3 so the Debian modules are found.
"""

import argparse
import math
import os
import re
import sys

import h5py
import numpy as np

FORMAT_VERSION = 1
MAX_LAYERS = 1024  # NB_H5_MAX_LAYERS
MAX_LAYER_SIZE = 1 << 24  # NB_H5_MAX_LAYER_SIZE
MAX_ELEMENTS = 1 << 30  # NB_H5_MAX_ELEMENTS
NAME_MAX = 256  # NB_NAME_MAX: strings shorter than this many bytes
CHUNK_THRESHOLD = 64 * 1024  # bytes; larger datasets are chunked + compressed
CHUNK_TARGET = 256 * 1024  # bytes per chunk, whole rows
DEFLATE_LEVEL = 4

FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


class ConversionError(Exception):
    """A model that cannot be expressed as an nnbundle network (the message says why)."""


def _software_version():
    """nnbundle's version from the top CMakeLists.txt (project(nnbundle VERSION x.y.z))."""
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "CMakeLists.txt")
    try:
        with open(top, encoding="utf-8") as f:
            m = re.search(r"project\(\s*nnbundle\s+VERSION\s+([0-9.]+)", f.read())
        if m:
            return m.group(1)
    except OSError:
        pass
    return "unknown"


# ---- extracting the dense layers -------------------------------------------------------

def _to_numpy(t, what):
    """A tensor (or array) as a float32 C-ordered numpy array; non-finite values are errors."""
    try:
        import torch
        if isinstance(t, torch.Tensor):
            if t.is_complex():
                raise ConversionError(f"{what}: complex tensor, expected a real one")
            t = t.detach().to("cpu")
            if t.dtype not in (torch.float32,):
                t = t.to(torch.float64)  # float16/bfloat16/int: exact in float64
            t = t.numpy()
    except ModuleNotFoundError:
        pass
    a = np.asarray(t)
    if not np.issubdtype(a.dtype, np.floating) and not np.issubdtype(a.dtype, np.integer):
        raise ConversionError(f"{what}: dtype {a.dtype}, expected a real number type")
    a64 = a.astype(np.float64, copy=False)
    bad = ~np.isfinite(a64)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ConversionError(f"{what}: non-finite value {a64[idx]} at {list(idx)}")
    f32 = a64.astype("<f4")
    if np.isinf(f32).any():
        raise ConversionError(f"{what}: value beyond the float32 range")
    return np.ascontiguousarray(f32)


def layers_from_module(module):
    """[(weight float32[out, in], bias float32[out], name)] of an nn.Module made of Linear + ReLU.

    Walks the module's leaf modules in registration order (nn.Sequential order). Raises
    ConversionError naming the offending module for anything that is not Linear, ReLU or an
    inference-time identity in an allowed place, or for a missing / doubled ReLU."""
    import torch.nn as nn

    identity = (nn.Identity, nn.Dropout, nn.AlphaDropout)
    leaves = [(n, m) for n, m in module.named_modules() if len(list(m.children())) == 0]
    if not leaves and isinstance(module, nn.Linear):
        leaves = [("", module)]
    layers = []
    relu_since_last = 0
    tail_softmax = None
    for name, m in leaves:
        label = f"module '{name or type(module).__name__}' ({type(m).__name__})"
        if tail_softmax is not None:
            raise ConversionError(f"{label} follows the output {tail_softmax}; the softmax must "
                                  "be the last module")
        if isinstance(m, nn.Linear):
            if layers and relu_since_last == 0:
                raise ConversionError(f"{label} follows Linear '{layers[-1][2]}' without a ReLU "
                                      "in between; nnbundle networks have ReLU hidden layers")
            w = _to_numpy(m.weight, f"{name}.weight")
            if m.bias is not None:
                b = _to_numpy(m.bias, f"{name}.bias")
            else:
                b = np.zeros(w.shape[0], dtype="<f4")
            layers.append((w, b, name or "linear"))
            relu_since_last = 0
        elif isinstance(m, nn.ReLU):
            if not layers:
                raise ConversionError(f"{label} comes before the first Linear layer")
            if relu_since_last:
                raise ConversionError(f"{label}: two ReLUs in a row after '{layers[-1][2]}'")
            relu_since_last = 1
        elif isinstance(m, identity):
            continue
        elif isinstance(m, nn.Flatten):
            if layers:
                raise ConversionError(f"{label} after a Linear layer; only a leading Flatten "
                                      "is allowed")
        elif isinstance(m, (nn.Softmax, nn.LogSoftmax)):
            if not layers:
                raise ConversionError(f"{label} comes before the first Linear layer")
            if relu_since_last:
                raise ConversionError(f"{label} follows a ReLU; the output layer must be linear")
            tail_softmax = label
        else:
            raise ConversionError(f"{label} is not supported: nnbundle imports MLPs made of "
                                  "nn.Linear layers joined by nn.ReLU (plus Dropout/Identity, a "
                                  "leading Flatten and a trailing Softmax)")
    if relu_since_last:
        raise ConversionError(f"the model ends with a ReLU after '{layers[-1][2]}'; the output "
                              "layer must be linear (nnbundle applies softmax to it)")
    return layers


def layers_from_state_dict(sd):
    """[(weight, bias, prefix)] from a state_dict of Linear layers, in the dict's order.

    Every key must be '<prefix>.weight' (2-D) or '<prefix>.bias' (1-D, optional per layer).
    Anything else (conv kernels, batch-norm running stats, ...) raises ConversionError naming
    the key. Activations cannot be seen in a state_dict: ReLU between layers is assumed."""
    prefixes = []
    weights, biases = {}, {}
    for key, value in sd.items():
        if not hasattr(value, "shape"):
            raise ConversionError(f"state_dict key '{key}' is not a tensor "
                                  f"({type(value).__name__})")
        if key.endswith(".weight") or key == "weight":
            prefix = key[: -len("weight")].rstrip(".")
            if len(value.shape) != 2:
                kind = " (a BatchNorm/LayerNorm scale?)" if len(value.shape) == 1 else ""
                raise ConversionError(f"state_dict key '{key}' has shape {list(value.shape)}"
                                      f"{kind}: not a Linear weight (expected 2-D [out, in]); "
                                      "nnbundle imports only nn.Linear layers")
            weights[prefix] = value
            if prefix not in prefixes:
                prefixes.append(prefix)
        elif key.endswith(".bias") or key == "bias":
            prefix = key[: -len("bias")].rstrip(".")
            if len(value.shape) != 1:
                raise ConversionError(f"state_dict key '{key}' has shape {list(value.shape)}, "
                                      "expected a 1-D bias")
            biases[prefix] = value
            if prefix not in prefixes:
                prefixes.append(prefix)
        else:
            raise ConversionError(f"state_dict key '{key}' does not belong to an nn.Linear layer "
                                  "(only '<name>.weight' and '<name>.bias' are accepted; batch "
                                  "norm, convolution and other layers are not supported)")
    layers = []
    for p in prefixes:
        if p not in weights:
            raise ConversionError(f"state_dict has '{p}.bias' but no '{p}.weight'")
        w = _to_numpy(weights[p], f"{p}.weight")
        if p in biases:
            b = _to_numpy(biases[p], f"{p}.bias")
        else:
            b = np.zeros(w.shape[0], dtype="<f4")
        layers.append((w, b, p or "linear"))
    return layers


def convert(obj):
    """Layers [(weight float32[out, in], bias float32[out], name)] from an nn.Module, a
    state_dict, or a checkpoint dict wrapping one; checks that the shapes chain.

    Raises ConversionError with a message that names the layer or key at fault."""
    try:
        import torch.nn as nn
        is_module = isinstance(obj, nn.Module)
    except ModuleNotFoundError:
        is_module = False
    if is_module:
        layers = layers_from_module(obj)
    elif isinstance(obj, dict):
        for k in ("state_dict", "model_state_dict", "model"):
            if k in obj and not hasattr(obj[k], "shape"):
                return convert(obj[k])
        layers = layers_from_state_dict(obj)
    else:
        raise ConversionError(f"cannot import a {type(obj).__name__}: expected an nn.Module "
                              "(e.g. nn.Sequential) or a state_dict")
    if not layers:
        raise ConversionError("the model has no nn.Linear layer")
    for i, (w, b, name) in enumerate(layers):
        if w.shape[0] < 1 or w.shape[1] < 1:
            raise ConversionError(f"layer '{name}': weight shape {list(w.shape)} has a zero size")
        if b.shape != (w.shape[0],):
            raise ConversionError(f"layer '{name}': bias shape {list(b.shape)} does not match "
                                  f"weight shape {list(w.shape)} (expected [{w.shape[0]}])")
        if i > 0:
            prev = layers[i - 1]
            if w.shape[1] != prev[0].shape[0]:
                raise ConversionError(f"shape mismatch: layer '{name}' takes {w.shape[1]} inputs "
                                      f"but layer '{prev[2]}' has {prev[0].shape[0]} outputs")
    return layers


# ---- writing the file --------------------------------------------------------------------

def _write_strings(loc, name, strings, array):
    """Fixed-length NUL-terminated UTF-8 string attribute: scalar, or 1-D array of strings."""
    encoded = [s.encode("utf-8") for s in strings]
    cell = max(len(e) for e in encoded) + 1
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(cell)
    tid.set_strpad(h5py.h5t.STR_NULLTERM)
    tid.set_cset(h5py.h5t.CSET_UTF8)
    if array:
        space = h5py.h5s.create_simple((len(encoded),))
        data = np.array(encoded, dtype=f"S{cell}")
    else:
        space = h5py.h5s.create(h5py.h5s.SCALAR)
        data = np.array(encoded[0], dtype=f"S{cell}")
    attr = h5py.h5a.create(loc.id, name.encode(), tid, space)
    attr.write(data, mtype=tid)


def _write_dataset(group, name, data):
    """Dataset of `data`'s little-endian dtype; chunked by whole rows + shuffle + deflate 4
    above 64 KiB, contiguous below, with common/nb_h5.c's chunk shape (whole rows, ~256 KiB;
    a row longer than that is split)."""
    if data.nbytes > CHUNK_THRESHOLD:
        target = CHUNK_TARGET // data.itemsize  # elements per chunk
        if data.ndim == 1:
            chunks = (min(data.shape[0], target),)
        elif data.shape[1] >= target:  # a row longer than a chunk is split
            chunks = (1, target)
        else:
            chunks = (min(data.shape[0], target // data.shape[1]), data.shape[1])
        group.create_dataset(name, data=data, chunks=chunks, shuffle=True,
                             compression="gzip", compression_opts=DEFLATE_LEVEL)
    else:
        group.create_dataset(name, data=data)


def _check_string(what, s):
    if len(s.encode("utf-8")) >= NAME_MAX:
        raise ConversionError(f"{what} '{s[:40]}...' has {len(s.encode('utf-8'))} bytes, at most "
                              f"{NAME_MAX - 1}")
    if "\0" in s:
        raise ConversionError(f"{what} contains a NUL character")


def write_nnb(path, layers, class_names=None, dataset="", epochs=0, seed=0, l1=0.0,
              train_accuracy=float("nan"), test_accuracy=float("nan")):
    """Writes layers (from convert()) as the /network group of a new .nnb.h5 file at `path`.

    Checks the limits nnbundle's reader enforces (L <= 1024, 1 <= n_l <= 2^24, total weights
    <= 2^30, N*C <= 2^30, C class names each < 256 bytes, accuracies NaN or in [0, 1]) and
    raises ConversionError before touching `path`. Writes "<path>.nbtmp.<pid>", fsyncs it and
    renames it over `path`; on any failure the temporary file is removed and `path` is left
    as it was. Returns the layer sizes."""
    sizes = [int(layers[0][0].shape[1])] + [int(w.shape[0]) for w, _, _ in layers]
    n_layers = len(sizes)
    if n_layers > MAX_LAYERS:
        raise ConversionError(f"{n_layers} layers, at most {MAX_LAYERS}")
    for i, n in enumerate(sizes):
        if not 1 <= n <= MAX_LAYER_SIZE:
            raise ConversionError(f"layer {i} has {n} nodes, expected 1..{MAX_LAYER_SIZE}")
    n_weights = sum(sizes[i] * sizes[i + 1] for i in range(n_layers - 1))
    if n_weights > MAX_ELEMENTS:
        raise ConversionError(f"{n_weights} weights, at most {MAX_ELEMENTS}")
    n_classes = sizes[-1]
    if sum(sizes) * n_classes > MAX_ELEMENTS:
        raise ConversionError(f"{sum(sizes)} nodes x {n_classes} classes, at most {MAX_ELEMENTS}")
    if class_names is None:
        class_names = [str(c) for c in range(n_classes)]
    class_names = [str(s) for s in class_names]
    if len(class_names) != n_classes:
        raise ConversionError(f"{len(class_names)} class names given, but the output layer has "
                              f"{n_classes} nodes")
    for s in class_names:
        _check_string("class name", s)
    _check_string("dataset", dataset)
    if not 0 <= int(epochs) <= 2**31 - 1:
        raise ConversionError(f"epochs {epochs}, expected 0..2^31-1")
    if not 0 <= int(seed) < 2**64:
        raise ConversionError(f"seed {seed}, expected 0..2^64-1")
    if not (math.isfinite(l1) and l1 >= 0):
        raise ConversionError(f"l1 {l1}, expected a finite value >= 0")
    for what, acc in (("train accuracy", train_accuracy), ("test accuracy", test_accuracy)):
        if not (math.isnan(acc) or 0.0 <= acc <= 1.0):
            raise ConversionError(f"{what} {acc}, expected NaN (unknown) or [0, 1]")

    directory = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.nbtmp.{os.getpid()}"  # the name nnbundle removes when stale
    try:
        with h5py.File(tmp, "w", libver=("v108", "v108")) as f:
            _write_strings(f, "format", ["nnbundle"], array=False)
            f.attrs.create("format_version", FORMAT_VERSION, dtype="<i8")
            _write_strings(f, "software_version", [_software_version()], array=False)
            net = f.create_group("network")
            _write_dataset(net, "layer_sizes", np.asarray(sizes, dtype="<i4"))
            for l, (w, b, _) in enumerate(layers):
                g = net.create_group(f"dense_{l}")
                _write_dataset(g, "weight", np.ascontiguousarray(w, dtype="<f4"))
                _write_dataset(g, "bias", np.ascontiguousarray(b, dtype="<f4"))
            net.attrs.create("n_classes", n_classes, dtype="<i8")
            _write_strings(net, "class_names", class_names, array=True)
            _write_strings(net, "activation", ["relu"], array=False)
            _write_strings(net, "source", ["import"], array=False)
            _write_strings(net, "dataset", [dataset], array=False)
            net.attrs.create("epochs", int(epochs), dtype="<i8")
            net.attrs.create("seed", int(seed), dtype="<u8")
            net.attrs.create("l1", float(l1), dtype="<f8")
            net.attrs.create("train_accuracy", float(train_accuracy), dtype="<f8")
            net.attrs.create("test_accuracy", float(test_accuracy), dtype="<f8")
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        try:  # make the rename itself durable
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return sizes


# ---- command line ------------------------------------------------------------------------

def load_torch_file(path):
    """torch.load of a .pt file on the CPU (a state_dict, a checkpoint dict or a module)."""
    import torch
    try:
        return torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise ConversionError(f"{path}: no such file")
    except Exception as e:  # pickle/zip errors come in many types
        raise ConversionError(f"{path}: cannot be read by torch.load: {e}")


def parse_class_names(text):
    if text is None:
        return None
    if text == "fashion-mnist":
        return list(FASHION_MNIST_CLASSES)
    return text.split(",")


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="import_pytorch.py",
        description="Convert a PyTorch MLP (nn.Linear + ReLU; a saved state_dict, checkpoint "
                    "or nn.Sequential) into an nnbundle .nnb.h5 file with its /network group. "
                    "Then: nnbundle importance OUT --data DIR; nnbundle bundle OUT.",
        epilog="example: /usr/bin/python3 examples/import_pytorch.py mlp.pt -o mlp.nnb.h5 "
               "--class-names fashion-mnist --dataset fashion-mnist")
    p.add_argument("model", help="file written by torch.save: a state_dict of nn.Linear "
                                 "layers, a dict with one under 'state_dict' / "
                                 "'model_state_dict' / 'model', or a pickled nn.Module")
    p.add_argument("-o", "--output", required=True, help="output .nnb.h5 file (replaced)")
    p.add_argument("--class-names", metavar="A,B,...|fashion-mnist",
                   help="comma-separated class names, one per output node, or 'fashion-mnist' "
                        "(default 0..C-1)")
    p.add_argument("--dataset", default="", help="training data set name (attribute)")
    p.add_argument("--epochs", type=int, default=0, help="training epochs (attribute)")
    p.add_argument("--seed", type=int, default=0, help="training seed (attribute)")
    p.add_argument("--l1", type=float, default=0.0, help="L1 weight penalty used (attribute)")
    p.add_argument("--train-accuracy", type=float, default=float("nan"),
                   help="training accuracy in [0, 1] (attribute; default unknown)")
    p.add_argument("--test-accuracy", type=float, default=float("nan"),
                   help="test accuracy in [0, 1] (attribute; default unknown)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = p.parse_args(argv)
    try:
        layers = convert(load_torch_file(args.model))
        sizes = write_nnb(args.output, layers, class_names=parse_class_names(args.class_names),
                          dataset=args.dataset, epochs=args.epochs, seed=args.seed, l1=args.l1,
                          train_accuracy=args.train_accuracy, test_accuracy=args.test_accuracy)
    except ConversionError as e:
        print(f"import_pytorch.py: [{args.model}] {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"import_pytorch.py: [{args.output}] {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"wrote {args.output}: layers {'-'.join(str(n) for n in sizes)}, "
              f"{sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))} weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
