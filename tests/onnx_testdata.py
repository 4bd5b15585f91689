#!/usr/bin/python3
"""onnx_testdata.py - runs Debian libonnx-testdata's operator tests through nnbundle's ONNX
importer and forward pass, and writes a report of which ran, passed and were skipped, and why.

usage: onnx_testdata.py ONNX_RUN REPORT.md [DATA_DIR]

DESIGN: DATA_DIR (default /usr/share/libonnx-testdata/data) holds node/test_*/ and
pytorch-converted/test_*/, each a model.onnx and test_data_set_*/input_*.pb, output_*.pb
(TensorProtos). A test is in scope when one of its nodes is an operator nnbundle maps (Gemm,
MatMul, Conv, the pools, Flatten, Reshape, BatchNormalization, Dropout, Identity and the
activations); the others are counted, not run. For each data set, the graph inputs after the
first (the weights of node tests) become initializers holding that data set's values, the
model is written to a temporary file, and `onnx_run --chain` imports it (operators and shapes
only: a lone Relu has no dense layer) and applies the operators one by one
(nb_layers_op_forward) to input_0 with its batch. The output must equal output_0 within
|got - want| <= ATOL + RTOL * |want|. A model the importer refuses is "skipped" with the
importer's message (an operator, attribute or shape outside the supported set); a wrong value,
a crash or any other failure is "failed". Exit 0 when nothing failed and at least MIN_PASSED
tests passed (so that a broken harness cannot pass by skipping everything), 1 otherwise,
77 (CTest skip) when python3-onnx or the test data is missing.
"""

import glob
import os
import re
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:
    print(f"skipped: {e} (install python3-onnx python3-numpy)")
    sys.exit(77)

RTOL = 1e-4
ATOL = 1e-5
MIN_PASSED = 40
CORE = {"Gemm", "MatMul", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten",
        "Reshape", "BatchNormalization", "Dropout", "Identity", "Relu", "LeakyRelu", "Sigmoid",
        "Tanh", "Gelu", "Softmax"}


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t


def run_case(runner, model, case_dir, tmp):
    """Returns (status, detail) for one test_data_set directory."""
    ins = sorted(glob.glob(os.path.join(case_dir, "input_*.pb")),
                 key=lambda p: int(p.rsplit("_", 1)[1][:-3]))
    outs = sorted(glob.glob(os.path.join(case_dir, "output_*.pb")))
    if not ins or not outs:
        return "skipped", "no input or output data"
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    init_names = {i.name for i in g.initializer}
    real = [i for i in g.input if i.name not in init_names]
    if len(real) != len(ins):
        return "skipped", f"{len(real)} graph inputs, {len(ins)} input files"
    # the weights of node tests are graph inputs: feed them as initializers
    for vi, p in list(zip(real, ins))[1:]:
        try:
            t = load_tensor(p)
        except Exception:
            return "skipped", f"input '{vi.name}' is not a tensor"
        t.name = vi.name
        g.initializer.append(t)
    try:
        x = numpy_helper.to_array(load_tensor(ins[0]))
        want = numpy_helper.to_array(load_tensor(outs[0]))
    except Exception:  # a sequence or optional value, not a TensorProto
        return "skipped", "input or output is not a tensor (sequence/optional type)"
    if x.dtype != np.float32 or want.dtype != np.float32:
        return "skipped", f"data type {x.dtype} -> {want.dtype} (nnbundle computes in float32)"
    if x.ndim < 1 or x.size == 0:
        return "skipped", "scalar or empty input"
    mpath = os.path.join(tmp, "model.onnx")
    xpath = os.path.join(tmp, "in.f32")
    ypath = os.path.join(tmp, "out.f32")
    onnx.save(m, mpath)
    x.astype("<f4").tofile(xpath)
    n = x.shape[0] if x.ndim > 0 else 1
    r = subprocess.run([runner, "--chain", mpath, xpath, str(n), ypath], capture_output=True,
                       text=True, timeout=120)
    msg = (r.stderr.strip().splitlines() or [""])[-1].replace(mpath, "model.onnx")
    msg = re.sub(r" \(supported: .*\)(?= \(NB_E_)", "", msg.replace("onnx_run: ", ""))
    if r.returncode == 3:
        return "skipped", "refused: " + msg
    if r.returncode != 0:
        return "failed", f"exit {r.returncode}: {msg}"
    got = np.fromfile(ypath, "<f4")
    if got.size != want.size:
        return "failed", f"{got.size} output values, expected {want.size} {list(want.shape)}"
    w = want.reshape(-1).astype(np.float64)
    err = np.abs(got.astype(np.float64) - w)
    bad = err > ATOL + RTOL * np.abs(w)
    rel = float((err / np.maximum(np.abs(w), 1e-30)).max()) if w.size else 0.0
    if bad.any():
        i = int(np.argmax(bad))
        return "failed", (f"value {i} is {got[i]:.7g}, expected {w[i]:.7g} "
                          f"({int(bad.sum())} of {w.size} outside tolerance)")
    return "passed", f"{w.size} values, max abs err {err.max():.2g}, max rel err {rel:.2g}"


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n")[2])
    runner, report = sys.argv[1], sys.argv[2]
    data = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/libonnx-testdata/data"
    dirs = []
    for sub in ("node", "pytorch-converted"):
        dirs += sorted(glob.glob(os.path.join(data, sub, "test_*")))
    if not dirs:
        print(f"skipped: no operator tests under {data} (install libonnx-testdata)")
        sys.exit(77)
    rows, out_of_scope = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for d in dirs:
            mp = os.path.join(d, "model.onnx")
            if not os.path.exists(mp):
                continue
            try:
                model = onnx.load(mp)
            except Exception as e:  # a model the onnx package itself cannot read
                rows.append((d, "?", "skipped", f"onnx.load failed: {e}"))
                continue
            ops = sorted({n.op_type for n in model.graph.node})
            # *_expanded: another operator (LayerNormalization, SoftmaxCrossEntropyLoss, ...)
            # written as a subgraph of primitives; out of scope even if one of them is ours
            if not CORE & set(ops) or d.endswith("_expanded"):
                out_of_scope += 1
                continue
            cases = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
            results = [run_case(runner, model, c, tmp) for c in cases] or [
                ("skipped", "no test_data_set")]
            status = ("failed" if any(r[0] == "failed" for r in results) else
                      "passed" if all(r[0] == "passed" for r in results) else "skipped")
            detail = next((r[1] for r in results if r[0] == status), results[0][1])
            if status == "passed" and len(results) > 1:
                detail = f"{len(results)} data sets; " + detail
            rows.append((d, ",".join(ops), status, detail))
    count = {s: sum(r[2] == s for r in rows) for s in ("passed", "failed", "skipped")}
    with open(report, "w") as f:
        f.write("# libonnx-testdata operator tests through nnbundle's importer\n\n")
        f.write(f"Generated by tests/onnx_testdata.py from {data}. In scope: the tests with an\n"
                "operator nnbundle maps (not the *_expanded subgraphs of other operators); tolerance |got - want| <= "
                f"{ATOL:g} + {RTOL:g} |want|.\n\n")
        f.write(f"**{len(rows)} in scope: {count['passed']} passed, {count['failed']} failed, "
                f"{count['skipped']} skipped** ({out_of_scope} tests of other operators not "
                "run).\n\n| test | operators | result | detail |\n|---|---|---|---|\n")
        for d, ops, status, detail in rows:
            name = os.path.basename(os.path.dirname(d)) + "/" + os.path.basename(d)
            f.write(f"| {name} | {ops} | {status} | {detail.replace('|', '/')} |\n")
    for d, ops, status, detail in rows:
        if status == "failed":
            print(f"FAIL {os.path.basename(d)} ({ops}): {detail}")
    print(f"{len(rows)} operator tests in scope: {count['passed']} passed, {count['failed']} "
          f"failed, {count['skipped']} skipped; report: {report}")
    if count["failed"] or count["passed"] < MIN_PASSED:
        if count["passed"] < MIN_PASSED:
            print(f"FAIL: only {count['passed']} passed (at least {MIN_PASSED} expected)")
        sys.exit(1)


if __name__ == "__main__":
    main()
