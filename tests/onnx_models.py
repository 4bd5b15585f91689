#!/usr/bin/python3
"""onnx_models.py - writes the small ONNX models that tests/test_onnx.c imports (good and bad).

DESIGN: every model is built with onnx.helper (python3-onnx; no torch), seeded, into OUTDIR
(argv[1]). One good model per mapping the importer does (MatMul + Add bias, Gemm alpha/beta/
transB, Conv auto_pad SAME_UPPER + BatchNormalization + the torch GELU subgraph + Pad +
AveragePool + Reshape flatten + Softmax, Constant nodes), each with inputs and the expected
outputs computed here in numpy (<name>.in.f32, <name>.out.f32, float32 little-endian), and one
bad model per refusal path (unsupported operator, unsupported attribute, not a chain, missing
initializer, shape mismatch, NaN weight, truncated file, ...). test_onnx.c checks the exact
status and error subject of each. Exit 77 (CTest skip) if onnx or numpy is missing.
"""

import math
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover - CI installs python3-onnx
    print(f"skipped: {e}")
    sys.exit(77)

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(12)
F = TensorProto.FLOAT


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def vi(name, shape):
    return helper.make_tensor_value_info(name, F, shape)


def save(name, nodes, inits, in_shape, out_shape, opset=14, inputs=None, outputs=None):
    g = helper.make_graph(nodes, name, inputs or [vi("x", in_shape)],
                          outputs or [vi("y", out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="onnx_models.py")
    m.ir_version = 8
    onnx.save(m, os.path.join(OUT, name + ".onnx"))


def data(name, x, y):
    x.astype("<f4").tofile(os.path.join(OUT, name + ".in.f32"))
    y.astype("<f4").tofile(os.path.join(OUT, name + ".out.f32"))


def erf(v):
    return np.vectorize(math.erf)(v)


def gelu(v):
    return 0.5 * v * (1.0 + erf(v / math.sqrt(2.0)))


def conv2d(x, w, b, pads, stride=1, dilation=(1, 1)):
    sh, sw = (stride, stride) if np.isscalar(stride) else stride
    dh, dw = dilation
    if dh > 1 or dw > 1:  # a dilated kernel is the kernel with zeros between its taps
        o_, i_, kh_, kw_ = w.shape
        wz = np.zeros((o_, i_, (kh_ - 1) * dh + 1, (kw_ - 1) * dw + 1), np.float64)
        wz[:, :, ::dh, ::dw] = w
        w = wz
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    t, l, bt, r = pads
    xp = np.zeros((n, c, h + t + bt, wd + l + r), np.float64)
    xp[:, :, t:t + h, l:l + wd] = x
    oh = (h + t + bt - kh) // sh + 1
    ow = (wd + l + r - kw) // sw + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            y[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return y + b[None, :, None, None]


# ---- good models ------------------------------------------------------------------------------

# MatMul + Add bias, LeakyRelu, Gemm with alpha, beta, transB=1 and a scalar-broadcast bias.
w1 = rng.normal(size=(6, 5)).astype(np.float32)
b1 = rng.normal(size=(5,)).astype(np.float32)
w2 = rng.normal(size=(3, 5)).astype(np.float32)
b2 = rng.normal(size=(1, 3)).astype(np.float32)
save("dense", [
    helper.make_node("MatMul", ["x", "w1"], ["h"], name="mm"),
    helper.make_node("Add", ["b1", "h"], ["hb"], name="bias"),
    helper.make_node("LeakyRelu", ["hb"], ["a"], name="leaky", alpha=0.2),
    helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], name="fc", alpha=0.5, beta=2.0, transB=1),
], [init("w1", w1), init("b1", b1), init("w2", w2), init("b2", b2)], ["N", 6], ["N", 3])
x = rng.normal(size=(4, 6)).astype(np.float32)
h = x @ w1 + b1
h = np.where(h > 0, h, 0.2 * h)
data("dense", x, 0.5 * h @ w2.T + 2.0 * b2)

# Conv (SAME_UPPER, stride 2 on 5x6: asymmetric padding), BatchNormalization, torch's GELU
# subgraph with Constant nodes, Pad + AveragePool, Reshape [0,-1], Gemm, Softmax (opset 11:
# axis 1 covers all values).
wc = rng.normal(size=(3, 2, 3, 3)).astype(np.float32) * 0.5
bc = rng.normal(size=(3,)).astype(np.float32)
gamma = rng.uniform(0.5, 1.5, 3).astype(np.float32)
beta = rng.normal(size=3).astype(np.float32)
mean = rng.normal(size=3).astype(np.float32)
var = rng.uniform(0.5, 2.0, 3).astype(np.float32)
wf = rng.normal(size=(4, 3 * 2 * 2)).astype(np.float32)
bf = rng.normal(size=(4,)).astype(np.float32)
const = lambda out, v: helper.make_node("Constant", [], [out], value=init(out + "_t", np.array(v, np.float32)))
save("conv", [
    helper.make_node("Conv", ["x", "wc", "bc"], ["c"], name="conv", auto_pad="SAME_UPPER",
                     strides=[2, 2], kernel_shape=[3, 3]),
    helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"],
                     name="bn", epsilon=1e-3),
    const("k_sqrt2", 1.4142135381698608),
    helper.make_node("Div", ["bn", "k_sqrt2"], ["d"], name="gelu/Div"),
    helper.make_node("Erf", ["d"], ["e"], name="gelu/Erf"),
    const("k_one", 1.0),
    helper.make_node("Add", ["e", "k_one"], ["a"], name="gelu/Add"),
    helper.make_node("Mul", ["bn", "a"], ["m"], name="gelu/Mul"),
    const("k_half", 0.5),
    helper.make_node("Mul", ["m", "k_half"], ["g"], name="gelu/Mul_1"),
    helper.make_node("Pad", ["g", "pads"], ["p"], name="pad", mode="constant"),
    helper.make_node("AveragePool", ["p"], ["ap"], name="avg", kernel_shape=[2, 2], strides=[2, 2],
                     ceil_mode=1),
    helper.make_node("Reshape", ["ap", "shape"], ["r"], name="flat"),
    helper.make_node("Gemm", ["r", "wf", "bf"], ["z"], name="fc", transB=1),
    helper.make_node("Softmax", ["z"], ["y"], name="softmax", axis=1),
], [init("wc", wc), init("bc", bc), init("gamma", gamma), init("beta", beta), init("mean", mean),
    init("var", var), init("wf", wf), init("bf", bf),
    init("pads", np.array([0, 0, 1, 1, 0, 0, 0, 0], np.int64)),
    init("shape", np.array([0, -1], np.int64))], [1, 2, 5, 6], [1, 4], opset=11)
x = rng.normal(size=(2, 2, 5, 6)).astype(np.float32)
# SAME_UPPER, stride 2, kernel 3 on 5x6: out 3x3, total pad 2 (h) and 1 (w) -> t1 b1, l0 r1
c = conv2d(x.astype(np.float64), wc, bc, (1, 0, 1, 1), stride=2)
bn = gamma[None, :, None, None] * (c - mean[None, :, None, None]) / np.sqrt(
    var[None, :, None, None] + 1e-3) + beta[None, :, None, None]
g = gelu(bn)
p = np.zeros((2, 3, 4, 4))
p[:, :, 1:, 1:] = g
ap = p.reshape(2, 3, 2, 2, 2, 2).mean(axis=(3, 5))
z = ap.reshape(2, -1) @ wf.T + bf
ez = np.exp(z - z.max(1, keepdims=True))
data("conv", x, ez / ez.sum(1, keepdims=True))

# x.view(x.size(0), -1) with a dynamic batch, as torch.onnx writes it: Shape, Gather,
# Unsqueeze, Concat feed the Reshape's target shape.
def view_model(name, index):
    wv = rng.normal(size=(18, 4)).astype(np.float32)
    save(name, [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i0"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="unsq"),
        helper.make_node("Concat", ["n1", "m1"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["f"], name="view"),
        helper.make_node("MatMul", ["f", "wv"], ["y"], name="fc"),
    ], [init("i0", np.array(index, np.int64)), init("ax", np.array([0], np.int64)),
        init("m1", np.array([-1], np.int64)), init("wv", wv)], ["N", 2, 3, 3], ["N", 4],
        opset=13)
    return wv


wv = view_model("view", 0)
x = rng.normal(size=(3, 2, 3, 3)).astype(np.float32)
data("view", x, x.reshape(3, -1) @ wv)

# Conv with unequal strides and dilations and asymmetric pads, then Tanh, Flatten, Gemm
wk = rng.normal(size=(2, 2, 3, 2)).astype(np.float32)
x = rng.normal(size=(2, 2, 9, 8)).astype(np.float32)
c = conv2d(x.astype(np.float64), wk, np.zeros(2), (1, 0, 2, 1), stride=(2, 1), dilation=(2, 3))
wg = rng.normal(size=(3, c[0].size)).astype(np.float32)
save("conv_dilated", [
    helper.make_node("Conv", ["x", "wk"], ["c"], name="conv", strides=[2, 1], dilations=[2, 3],
                     pads=[1, 0, 2, 1]),
    helper.make_node("Tanh", ["c"], ["t"], name="tanh"),
    helper.make_node("Flatten", ["t"], ["f"], name="flat"),
    helper.make_node("Gemm", ["f", "wg"], ["y"], name="fc", transB=1),
], [init("wk", wk), init("wg", wg)], ["N", 2, 9, 8], ["N", 3])
data("conv_dilated", x, np.tanh(c).reshape(2, -1) @ wg.T.astype(np.float64))

# 1-D: Conv1d (pads [1,0], stride 2), MaxPool1d, Flatten, MatMul on [N,2,7] (read as 2x7x1)
w1 = rng.normal(size=(3, 2, 3)).astype(np.float32)
wd = rng.normal(size=(6, 2)).astype(np.float32)
save("conv1d", [
    helper.make_node("Conv", ["x", "w1"], ["c"], name="conv", pads=[1, 0], strides=[2]),
    helper.make_node("MaxPool", ["c"], ["p"], name="pool", kernel_shape=[2]),
    helper.make_node("Flatten", ["p"], ["f"], name="flat"),
    helper.make_node("MatMul", ["f", "wd"], ["y"], name="fc"),
], [init("w1", w1), init("wd", wd)], ["N", 2, 7], ["N", 2])
x = rng.normal(size=(3, 2, 7)).astype(np.float32)
c = conv2d(x[..., None].astype(np.float64), w1[..., None], np.zeros(3), (1, 0, 0, 0), stride=2)
c = c[..., 0]  # [3, 3, 3]: (7 + 1 - 3) // 2 + 1 = 3 positions; the pool (stride 1) gives 2
data("conv1d", x, np.maximum(c[:, :, :-1], c[:, :, 1:]).reshape(3, -1) @ wd)

# ---- bad models ---------------------------------------------------------------------------------

W = init("w", rng.normal(size=(4, 3)).astype(np.float32))


def dense_then(name, node, extra_inits=(), out_shape=("N", 3), opset=14):
    save(name, [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"), node],
         [W, *extra_inits], ["N", 4], list(out_shape), opset=opset)


dense_then("bad_op", helper.make_node("Elu", ["h"], ["y"], name="act"))
dense_then("bad_domain", helper.make_node("Relu", ["h"], ["y"], name="act", domain="com.example"))
save("bad_group", [helper.make_node("Conv", ["x", "wg"], ["y"], name="conv", group=2)],
     [init("wg", np.ones((2, 1, 3, 3), np.float32))], [1, 2, 5, 5], [1, 2, 3, 3])
# ceil_mode=1 with a partial last window (5 = 2 + 2 + 1); where the windows tile the input
# exactly it is accepted (the AveragePool of "conv")
save("bad_ceil", [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2],
                                   strides=[2, 2], ceil_mode=1)], [], [1, 2, 5, 5], [1, 2, 3, 3])
save("bad_transa", [helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transA=1)],
     [W], ["N", 4], ["N", 3])
save("bad_autopad", [helper.make_node("Conv", ["x", "wa"], ["y"], name="conv", auto_pad="WEIRD")],
     [init("wa", np.ones((2, 2, 3, 3), np.float32))], [1, 2, 5, 5], [1, 2, 3, 3])
# a 1-D kernel on a 2-D input
save("bad_conv_rank", [helper.make_node("Conv", ["x", "w1d"], ["y"], name="conv")],
     [init("w1d", np.ones((2, 2, 3), np.float32))], [1, 2, 5, 5], [1, 2, 3, 3])
save("bad_flatten_axis", [helper.make_node("Flatten", ["x"], ["f"], name="flat", axis=2),
                          helper.make_node("MatMul", ["f", "w"], ["y"], name="mm")],
     [W], [1, 2, 2, 2], [1, 3])
save("bad_softmax_middle", [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
                            helper.make_node("Softmax", ["h"], ["s"], name="sm", axis=1),
                            helper.make_node("Relu", ["s"], ["y"], name="act")],
     [W], ["N", 4], ["N", 3])
# not a chain: a residual Add of the chain tensor to itself via two branches
save("bad_branch", [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
                    helper.make_node("Relu", ["h"], ["r"], name="relu"),
                    helper.make_node("Sigmoid", ["h"], ["s"], name="sig"),
                    helper.make_node("Mul", ["r", "s"], ["y"], name="gate")],
     [W], ["N", 4], ["N", 3])
# not a chain: a node that is not on the path from the input to the output
save("bad_dangling", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm"),
                      helper.make_node("Relu", ["w"], ["unused"], name="stray")],
     [W], ["N", 4], ["N", 3])
# missing initializer: the weight is a graph input without an initializer
save("bad_missing", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [],
     ["N", 4], ["N", 3], inputs=[vi("x", ["N", 4]), vi("w", [4, 3])])
save("bad_missing2", [helper.make_node("MatMul", ["x", "nowhere"], ["y"], name="mm")], [],
     ["N", 4], ["N", 3])
# shape mismatch: the weight expects 5 features, the input has 4
save("bad_shape", [helper.make_node("MatMul", ["x", "w5"], ["y"], name="mm")],
     [init("w5", np.ones((5, 3), np.float32))], ["N", 4], ["N", 3])
# declared output shape disagrees with the operators
save("bad_outshape", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [W],
     ["N", 4], ["N", 7])
# NaN and inf weights
wn = rng.normal(size=(4, 3)).astype(np.float32)
wn[2, 1] = np.nan
save("bad_nan", [helper.make_node("MatMul", ["x", "wn"], ["y"], name="mm")],
     [init("wn", wn)], ["N", 4], ["N", 3])
save("bad_inf_bias", [helper.make_node("Gemm", ["x", "w", "binf"], ["y"], name="fc")],
     [W, init("binf", np.array([0, np.inf, 0], np.float32))], ["N", 4], ["N", 3])
# a symbolic feature dimension and a rank-5 input
save("bad_symbolic", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [W],
     ["N", "F"], ["N", 3])
# a Reshape that is not a flattening
save("bad_reshape", [helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")],
     [init("s", np.array([2, -1], np.int64))], ["N", 4], ["N", 2])
# training-mode batch norm and dropout
save("bad_bn_training", [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"],
                                          name="bn", training_mode=1)],
     [init(n, np.ones(4, np.float32)) for n in "gbmv"], ["N", 4], ["N", 4], opset=15)
# a Conv as the last layer with weights: no class count (nb_import_onnx refuses, the chain
# reader accepts it)
save("conv_only", [helper.make_node("Conv", ["x", "wo"], ["y"], name="conv")],
     [init("wo", np.ones((2, 1, 3, 3), np.float32))], [1, 1, 4, 4], [1, 2, 2, 2])
# a graph without nodes, and two outputs
save("bad_two_outputs", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm"),
                         helper.make_node("Relu", ["y"], ["z"], name="act")], [W], ["N", 4], None,
     outputs=[vi("y", ["N", 3]), vi("z", ["N", 3])])
# the GELU subgraph with a wrong constant (0.6 instead of 0.5) is a non-chain graph
save("bad_gelu", [helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
                  const("k2", 1.4142135381698608),
                  helper.make_node("Div", ["h", "k2"], ["d"], name="g/Div"),
                  helper.make_node("Erf", ["d"], ["e"], name="g/Erf"),
                  const("k1", 1.0),
                  helper.make_node("Add", ["e", "k1"], ["a"], name="g/Add"),
                  helper.make_node("Mul", ["h", "a"], ["m"], name="g/Mul"),
                  const("k05", 0.6),
                  helper.make_node("Mul", ["m", "k05"], ["y"], name="g/Mul_1")],
     [W], ["N", 4], ["N", 3])

# the computed target shape is [C, -1] = [2, -1], not a flattening
view_model("bad_view", 1)

# truncated and malformed files
good = open(os.path.join(OUT, "dense.onnx"), "rb").read()
open(os.path.join(OUT, "bad_truncated.onnx"), "wb").write(good[:len(good) * 2 // 3])
open(os.path.join(OUT, "bad_garbage.onnx"), "wb").write(b"this is not an onnx model\n" * 4)
open(os.path.join(OUT, "bad_empty.onnx"), "wb").write(b"")
print(f"wrote the test models into {OUT}")
