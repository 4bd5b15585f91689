#!/usr/bin/python3
"""Writes the Keras model.h5 test fixtures of tests/test_keras.c, without Keras.

Keras is not packaged in Debian, so the files are written with h5py in the exact layout that
Keras's model.save("model.h5") produces (keras/src/legacy/saving/legacy_h5_format.py,
save_model_to_hdf5 and save_weights_to_hdf5_group; tf.keras 2.x writes the same):

  /                     attrs: keras_version, backend, model_config (JSON, bytes)
  /model_weights        attrs: layer_names (fixed-length bytes array), backend, keras_version
  /model_weights/<layer>            attrs: weight_names (e.g. b"dense/kernel:0")
  /model_weights/<layer>/<weight name>   the arrays (kernel [in][out], Conv2D [kh][kw][in][out])

Keras 2 names weights "<layer>/kernel:0"; Keras 3 names them by variable path "<layer>/kernel"
and writes InputLayer's shape as "batch_shape" and inbound nodes as keras_history dicts; the
k3_* fixture uses those variants.

For every model the script also writes, computed here with numpy in Keras's own channels_last
order (an implementation independent of nnbundle's):
  <model>_ref.bin     float32 LE: for every Dense/Conv2D in order, the weight in nnbundle's
                      layout (Dense [out][in] with rows permuted to CHW after a Flatten of a
                      multi-channel map; Conv2D [out][in][kh][kw]) then the bias
  <model>_x.bin       float32 LE [N][C][H][W] inputs (CHW, as nnbundle takes them)
  <model>_logits.bin  float32 LE [N][classes] pre-softmax outputs of the Keras forward pass

Usage: /usr/bin/python3 tests/data/keras/make_keras_fixtures.py [OUTDIR]   (default: next to
this script). Seeded; the output is the same on every run.
"""
import json
import math
import os
import sys

import h5py
import numpy as np

rng = np.random.default_rng(12)


def f32(a):
    return np.asarray(a, dtype=np.float32)


# ---- numpy reference of the Keras layers (channels_last, batch first) ----------------------

def same_pads(n, k, s, d):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def conv2d(x, kern, bias, strides, padding, dilation):
    n, h, w, c = x.shape
    kh, kw, cin, cout = kern.shape
    (sh, sw), (dh, dw) = strides, dilation
    if padding == "same":
        pt, pb = same_pads(h, kh, sh, dh)
        pl, pr = same_pads(w, kw, sw, dw)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (h + pt + pb - (dh * (kh - 1) + 1)) // sh + 1
    ow = (w + pl + pr - (dw * (kw - 1) + 1)) // sw + 1
    y = np.zeros((n, oh, ow, cout), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw, :]
            y += np.einsum("nhwc,co->nhwo", patch, kern[i, j].astype(np.float64))
    return y + bias


def pool(x, size, strides, padding, op):
    n, h, w, c = x.shape
    (kh, kw), (sh, sw) = size, strides
    if padding == "same":
        pt, pb = same_pads(h, kh, sh, 1)
        pl, pr = same_pads(w, kw, sw, 1)
    else:
        pt = pb = pl = pr = 0
    oh = (h + pt + pb - kh) // sh + 1
    ow = (w + pl + pr - kw) // sw + 1
    y = np.zeros((n, oh, ow, c))
    for a in range(oh):
        for b in range(ow):
            r0, c0 = a * sh - pt, b * sw - pl
            r1, c1 = min(r0 + kh, h), min(c0 + kw, w)
            r0, c0 = max(r0, 0), max(c0, 0)
            win = x[:, r0:r1, c0:c1, :]
            # TF excludes padding from both the max and the average
            y[:, a, b, :] = win.max(axis=(1, 2)) if op == "max" else win.mean(axis=(1, 2))
    return y


def act(x, name, alpha=0.0):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return np.maximum(x, 0)
    if name == "leaky":
        return np.where(x > 0, x, alpha * x)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "gelu":  # Keras's default approximate=False: the erf form
        return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    raise ValueError(name)


# ---- writers --------------------------------------------------------------------------------

def init(name, cls):
    return {"class_name": cls, "config": {"seed": None}} if name else None


class Model:
    """Collects layers (Keras config + weights) and runs the numpy reference forward."""

    def __init__(self, input_shape, keras3=False, functional=False, name="sequential"):
        self.input_shape = list(input_shape)
        self.keras3 = keras3
        self.functional = functional
        self.name = name
        self.layers = []  # (class_name, config, weights dict, forward fn)
        self.refs = []  # nnbundle-layout weight arrays
        self.bn_refs = []  # flat batch norms after an HWC Flatten: gamma, beta, mean, var (CHW)
        self.counts = {}

    def uname(self, base):
        k = self.counts.get(base, 0)
        self.counts[base] = k + 1
        return base if k == 0 else "%s_%d" % (base, k)

    def add(self, cls, base, cfg, weights=None, fwd=None):
        name = self.uname(base)
        dtype = ({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": None} if self.keras3 else "float32")
        c = {"name": name, "trainable": True, "dtype": dtype}
        c.update(cfg)
        self.layers.append((cls, c, weights or {}, fwd))
        return name

    def model_config(self):
        in_name = "input_layer" if self.keras3 else self.layers[0][1]["name"] + "_input"
        shape_key = "batch_shape" if self.keras3 else "batch_input_shape"
        inp = {"class_name": "InputLayer",
               "config": {shape_key: [None] + self.input_shape, "dtype": "float32",
                          "sparse": False, "name": in_name}}
        if not self.keras3:
            inp["config"]["ragged"] = False
        layers = [inp] + [{"class_name": cls, "config": cfg} for cls, cfg, _, _ in self.layers]
        if self.keras3:
            for l in layers:
                l["module"] = "keras.layers"
                l["registered_name"] = None
        if self.functional:
            names = [l["config"]["name"] for l in layers]
            for k, l in enumerate(layers):
                l["name"] = names[k]
                if k == 0:
                    l["inbound_nodes"] = []
                elif self.keras3:
                    l["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": {
                        "shape": [None], "dtype": "float32", "keras_history": [names[k - 1], 0, 0]}}],
                        "kwargs": {}}]
                else:
                    l["inbound_nodes"] = [[[names[k - 1], 0, 0, {}]]]
            cfg = {"name": self.name, "trainable": True, "layers": layers,
                   "input_layers": [[names[0], 0, 0]], "output_layers": [[names[-1], 0, 0]]}
            return {"class_name": "Functional", "config": cfg,
                    "keras_version": "3.3.3" if self.keras3 else "2.13.1", "backend": "tensorflow"}
        cfg = {"name": self.name, "layers": layers}
        if self.keras3:
            cfg["build_input_shape"] = [None] + self.input_shape
        return {"class_name": "Sequential", "config": cfg,
                "keras_version": "3.3.3" if self.keras3 else "2.13.1", "backend": "tensorflow"}

    def save(self, path, fixed=False):
        # h5py 3 stores a bytes attribute as a variable-length string; h5py 2 (older tf.keras
        # files) as a fixed-length one: fixed=True writes the latter.
        b = np.bytes_ if fixed else bytes
        ver = b"3.3.3" if self.keras3 else b"2.13.1"
        with h5py.File(path, "w") as f:
            f.attrs["keras_version"] = b(ver)
            f.attrs["backend"] = b(b"tensorflow")
            f.attrs["model_config"] = b(json.dumps(self.model_config()).encode("utf8"))
            g = f.create_group("model_weights")
            names = [cfg["name"] for _, cfg, _, _ in self.layers]
            if self.functional:
                names = [self.model_config()["config"]["layers"][0]["config"]["name"]] + names
            g.attrs["layer_names"] = np.array([n.encode("utf8") for n in names])
            g.attrs["backend"] = b"tensorflow"
            g.attrs["keras_version"] = ver
            by_name = {cfg["name"]: w for _, cfg, w, _ in self.layers}
            # Keras 3 names a weight by its variable path: "<layer>/kernel" in a Functional
            # model, "<sequential name>/<layer>/kernel" in a Sequential one (Keras 3.8).
            prefix = self.name + "/" if self.keras3 and not self.functional else ""
            suffix = "" if self.keras3 else ":0"
            for n in sorted(names):
                lg = g.create_group(n)
                w = by_name.get(n, {})
                wn = [("%s%s/%s%s" % (prefix, n, k, suffix)).encode("utf8") for k in w]
                lg.attrs["weight_names"] = np.array(wn, dtype="S") if wn else np.array([], dtype="S1")
                for k, v in w.items():
                    lg.create_dataset("%s%s/%s%s" % (prefix, n, k, suffix), data=v)
            if self.keras3:  # model-level variables (none here), as Keras 3 writes them
                tg = g.create_group("top_level_model_weights")
                tg.attrs["weight_names"] = np.array([], dtype="S1")

    def forward(self, x):
        for _, _, _, fwd in self.layers:
            if fwd is not None:
                x = fwd(x)
        return x


def dense(m, units, activation, in_features, perm_hwc=None, last=False):
    k = f32(rng.normal(0, 0.3, (in_features, units)))
    b = f32(rng.normal(0, 0.1, units))
    cfg = {"units": units, "activation": activation, "use_bias": True,
           "kernel_initializer": init(1, "GlorotUniform"), "bias_initializer": init(1, "Zeros"),
           "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
           "kernel_constraint": None, "bias_constraint": None}
    ref = k.T.copy()  # [out][in], in Keras's (HWC) flatten order
    if perm_hwc is not None:  # rows to CHW: nb column c*H*W + h*W + w = Keras row (h*W + w)*C + c
        h, w, c = perm_hwc
        idx = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)
        ref = ref[:, idx]
    m.refs += [ref, b]
    a = None if (last or activation == "softmax") else activation
    m.add("Dense", "dense", cfg, {"kernel": k, "bias": b},
          lambda x: act(x.reshape(x.shape[0], -1) @ k.astype(np.float64) + b, a))


def conv(m, filters, ksize, cin, strides=(1, 1), padding="valid", dilation=(1, 1), activation="relu"):
    k = f32(rng.normal(0, 0.4, (ksize[0], ksize[1], cin, filters)))
    b = f32(rng.normal(0, 0.1, filters))
    cfg = {"filters": filters, "kernel_size": list(ksize), "strides": list(strides),
           "padding": padding, "data_format": "channels_last", "dilation_rate": list(dilation),
           "groups": 1, "activation": activation, "use_bias": True,
           "kernel_initializer": init(1, "GlorotUniform"), "bias_initializer": init(1, "Zeros"),
           "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
           "kernel_constraint": None, "bias_constraint": None}
    m.refs += [k.transpose(3, 2, 0, 1).copy(), b]
    m.add("Conv2D", "conv2d", cfg, {"kernel": k, "bias": b},
          lambda x: act(conv2d(x, k, b, strides, padding, dilation), activation))


def batchnorm(m, ch, eps=1e-3, perm_hwc=None):
    g = f32(rng.uniform(0.5, 1.5, ch))
    be = f32(rng.normal(0, 0.2, ch))
    mu = f32(rng.normal(0, 0.3, ch))
    var = f32(rng.uniform(0.5, 2.0, ch))
    cfg = {"axis": -1, "momentum": 0.99, "epsilon": eps, "center": True, "scale": True}
    if perm_hwc is not None:  # a flat batch norm after a Flatten: nnbundle's channels in CHW
        h, w, c = perm_hwc
        idx = np.arange(h * w * c).reshape(h, w, c).transpose(2, 0, 1).reshape(-1)
        m.bn_refs += [a[idx] for a in (g, be, mu, var)]
    m.add("BatchNormalization", "batch_normalization", cfg,
          {"gamma": g, "beta": be, "moving_mean": mu, "moving_variance": var},
          lambda x: (x - mu) / np.sqrt(var.astype(np.float64) + eps) * g + be)


def write_bin(path, *arrays):
    with open(path, "wb") as f:
        for a in arrays:
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def finish(m, out, name, n_in=4, fixed=False):
    path = os.path.join(out, name + ".h5")
    m.save(path, fixed)
    if m.bn_refs:
        write_bin(os.path.join(out, name + "_bn_ref.bin"), *m.bn_refs)
    # what h5py reads back is, bit for bit, what the references below are made from
    with h5py.File(path, "r") as f:
        for _, cfg, w, _ in m.layers:
            for k, v in w.items():
                prefix = m.name + "/" if m.keras3 and not m.functional else ""
                back = f["model_weights/%s/%s%s/%s%s" % (cfg["name"], prefix, cfg["name"], k,
                                                         "" if m.keras3 else ":0")][()]
                assert back.dtype == v.dtype and back.tobytes() == v.tobytes(), (name, k)
    write_bin(os.path.join(out, name + "_ref.bin"), *m.refs)
    x = f32(rng.uniform(0, 1, [n_in] + m.input_shape))
    logits = m.forward(x.astype(np.float64))
    chw = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x
    write_bin(os.path.join(out, name + "_x.bin"), chw)
    write_bin(os.path.join(out, name + "_logits.bin"), logits)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)

    # dense.h5: Keras 2 Sequential, Flatten of a 28x28 grey input, two Dense layers.
    m = Model([28, 28])
    m.add("Flatten", "flatten", {"data_format": "channels_last"}, None,
          lambda x: x.reshape(x.shape[0], -1))
    dense(m, 16, "relu", 784)
    m.add("Dropout", "dropout", {"rate": 0.2, "noise_shape": None, "seed": None}, None, None)
    dense(m, 10, "softmax", 16, last=True)
    finish(m, out, "dense", fixed=True)

    # conv.h5: Keras 2 Functional chain over 8x8 RGB: Conv2D same + BN + MaxPool + Conv2D
    # valid + LeakyReLU + Flatten (3x3x6, HWC -> CHW permutation) + Dense + Activation.
    m = Model([8, 8, 3], functional=True, name="model")
    conv(m, 4, (3, 3), 3, padding="same")
    batchnorm(m, 4)
    m.add("MaxPooling2D", "max_pooling2d", {"pool_size": [2, 2], "padding": "valid", "strides": [2, 2],
                                            "data_format": "channels_last"}, None,
          lambda x: pool(x, (2, 2), (2, 2), "valid", "max"))
    conv(m, 6, (2, 2), 4, activation="linear")
    m.add("LeakyReLU", "leaky_re_lu", {"alpha": 0.1}, None, lambda x: act(x, "leaky", 0.1))
    m.add("Flatten", "flatten", {"data_format": "channels_last"}, None,
          lambda x: x.reshape(x.shape[0], -1))
    dense(m, 5, "linear", 3 * 3 * 6, perm_hwc=(3, 3, 6))
    m.add("Activation", "activation", {"activation": "softmax"}, None, None)
    finish(m, out, "conv")

    # k3.h5: Keras 3 naming (batch_shape, weight names without ":0", keras_history inbound
    # nodes), Functional: strided + dilated same Conv2D, ReLU layer, AveragePooling2D same on
    # an odd size (padding excluded from the mean), GlobalAveragePooling2D, Dense.
    m = Model([9, 9, 2], keras3=True, functional=True, name="functional")
    conv(m, 5, (3, 3), 2, strides=(2, 2), padding="same", dilation=(1, 1), activation="linear")
    m.add("ReLU", "re_lu", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}, None,
          lambda x: act(x, "relu"))
    conv(m, 4, (3, 3), 5, padding="same", dilation=(2, 2), activation="tanh")
    m.add("AveragePooling2D", "average_pooling2d", {"pool_size": [2, 2], "padding": "same",
                                                    "strides": [2, 2], "data_format": "channels_last"},
          None, lambda x: pool(x, (2, 2), (2, 2), "same", "avg"))
    m.add("GlobalAveragePooling2D", "global_average_pooling2d",
          {"data_format": "channels_last", "keepdims": False}, None, lambda x: x.mean(axis=(1, 2)))
    dense(m, 3, "softmax", 4, last=True)
    finish(m, out, "k3")

    # k3_seq.h5: Keras 3.8 Sequential as model.save writes it (weight names
    # "sequential/<layer>/kernel", DTypePolicy dtypes, build_input_shape, an empty
    # top_level_model_weights group): Conv2D, Flatten of 4x4x3 (HWC), a flat BatchNormalization
    # over the 48 features (permuted to CHW with the next Dense), Dense gelu, Dense.
    m = Model([6, 6, 2], keras3=True, name="sequential")
    conv(m, 3, (3, 3), 2, activation="relu")
    m.add("Flatten", "flatten", {"data_format": "channels_last"}, None,
          lambda x: x.reshape(x.shape[0], -1))
    batchnorm(m, 48, eps=1e-3, perm_hwc=(4, 4, 3))
    dense(m, 5, "gelu", 48, perm_hwc=(4, 4, 3))
    dense(m, 3, "linear", 5)
    finish(m, out, "k3_seq")


if __name__ == "__main__":
    main()
