#!/usr/bin/env bash
# cli_import_pytorch.sh - examples/import_pytorch.py end to end: a tiny seeded random torch MLP
# (no training) saved as a state_dict, as a pickled nn.Sequential and as a checkpoint dict is
# imported; the file must follow docs/file_format.md (dtypes, fixed-length NUL-terminated
# strings, attributes), hold torch's exact weights, and be accepted by `nnbundle info`,
# `nnbundle bundle` (magnitude importance, computed because /importance is absent) and
# `nnbundle importance --set importance_method=magnitude`. Bad models (Tanh, Conv2d, BatchNorm,
# mismatched shapes, missing ReLU, wrong class-name count) exit 1 with a message naming the
# module/key and leave an existing output file untouched, with no temporary file left behind.
# Skips (exit 77, CTest SKIP_RETURN_CODE) when python3-torch or python3-h5py is missing.
set -u
NNBUNDLE=${NNBUNDLE:?NNBUNDLE must point at the nnbundle binary}
SRC=${NB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
PY=${NB_PYTHON:-/usr/bin/python3}
IMPORT=$SRC/examples/import_pytorch.py
if ! "$PY" -c 'import torch, h5py, numpy' >/dev/null 2>&1; then
    echo "skipped: python3-torch not installed (needs torch, h5py, numpy for $PY)"
    exit 77
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/cli_import_pytorch.XXXXXX")
trap 'chmod -R u+w "$W"; rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect STATUS SUBSTRING_OF_STDERR -- command...
expect() {
    local want=$1 needle=$2
    shift 3
    "$@" >"$W/out.txt" 2>"$W/err.txt"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        fail "exit $rc (want $want): $*"
        sed 's/^/    /' "$W/err.txt" "$W/out.txt" >&2
    elif [ -n "$needle" ] && ! grep -qF -- "$needle" "$W/err.txt"; then
        fail "stderr of '$*' lacks '$needle':"
        sed 's/^/    /' "$W/err.txt" >&2
    fi
}

# --- models --------------------------------------------------------------------------------
"$PY" - "$W" <<'EOF' || fail "could not make the torch models"
import sys, torch, torch.nn as nn
w = sys.argv[1]
torch.manual_seed(7)
m = nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.ReLU(), nn.Dropout(0.2), nn.Linear(5, 4),
                  nn.ReLU(), nn.Linear(4, 3), nn.Softmax(dim=1))
torch.save(m.state_dict(), f"{w}/sd.pt")
torch.save(m, f"{w}/seq.pt")
torch.save({"model_state_dict": m.state_dict(), "epoch": 3}, f"{w}/ckpt.pt")
torch.save(nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)), f"{w}/tanh.pt")
torch.save(nn.Sequential(nn.Conv2d(1, 2, 3)).state_dict(), f"{w}/conv.pt")
torch.save(nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(),
                         nn.Linear(3, 2)).state_dict(), f"{w}/bn.pt")
torch.save({"a.weight": torch.zeros(3, 4), "a.bias": torch.zeros(3),
            "b.weight": torch.zeros(2, 5), "b.bias": torch.zeros(2)}, f"{w}/mismatch.pt")
torch.save({"a.weight": torch.zeros(3, 4), "a.bias": torch.zeros(2)}, f"{w}/badbias.pt")
torch.save(nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)), f"{w}/norelu.pt")
torch.save(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU()), f"{w}/endrelu.pt")
nan = nn.Linear(2, 2)
with torch.no_grad():
    nan.weight[1, 0] = float("nan")
torch.save(nan.state_dict(), f"{w}/nan.pt")
EOF

# --- good imports --------------------------------------------------------------------------
expect 0 "" -- "$PY" "$IMPORT" "$W/sd.pt" -o "$W/sd.nnb.h5" --class-names cat,dog,bird \
    --dataset toy --epochs 3 --seed 42 --l1 0.5 --train-accuracy 0.75 --test-accuracy 0.5
grep -qF "layers 6-5-4-3, 62 weights" "$W/out.txt" || fail "import summary: $(cat "$W/out.txt")"
expect 0 "" -- "$PY" "$IMPORT" "$W/seq.pt" -o "$W/seq.nnb.h5"
expect 0 "" -- "$PY" "$IMPORT" "$W/ckpt.pt" -o "$W/ckpt.nnb.h5" --quiet
[ -s "$W/out.txt" ] && fail "--quiet printed: $(cat "$W/out.txt")"

# The file follows docs/file_format.md and holds torch's exact weights.
"$PY" - "$W" >"$W/check.txt" 2>&1 <<'EOF' || { fail "format check:"; sed 's/^/    /' "$W/check.txt" >&2; }
import sys, math, h5py, numpy as np, torch
w = sys.argv[1]
sd = torch.load(f"{w}/sd.pt")
def fixed_string(obj, name):
    t = obj.attrs.get_id(name).get_type()
    assert isinstance(t, h5py.h5t.TypeStringID), f"{name}: not a string"
    assert not t.is_variable_str(), f"{name}: variable-length"
    assert t.get_strpad() == h5py.h5t.STR_NULLTERM, f"{name}: not NUL-terminated"
    assert t.get_cset() == h5py.h5t.CSET_UTF8, f"{name}: not UTF-8"
    v = obj.attrs[name]
    return [s.decode() for s in v] if isinstance(v, np.ndarray) else v.decode()
def expect_dtype(obj, name, dt):
    got = obj.attrs[name].dtype if name in obj.attrs else None
    assert got == np.dtype(dt), f"{name}: dtype {got}, expected {dt}"
for path in (f"{w}/sd.nnb.h5", f"{w}/seq.nnb.h5", f"{w}/ckpt.nnb.h5"):
    with h5py.File(path, "r") as f:
        assert fixed_string(f, "format") == "nnbundle"
        expect_dtype(f, "format_version", "<i8")
        assert f.attrs["format_version"] == 1
        assert fixed_string(f, "software_version") != ""
        n = f["network"]
        assert n["layer_sizes"].dtype == np.dtype("<i4"), n["layer_sizes"].dtype
        assert list(n["layer_sizes"][:]) == [6, 5, 4, 3], list(n["layer_sizes"][:])
        for l, key in enumerate(["1", "4", "6"]):
            wt, b = n[f"dense_{l}/weight"], n[f"dense_{l}/bias"]
            assert wt.dtype == np.dtype("<f4") and b.dtype == np.dtype("<f4")
            assert np.array_equal(wt[:], sd[f"{key}.weight"].numpy()), f"dense_{l}/weight"
            assert np.array_equal(b[:], sd[f"{key}.bias"].numpy()), f"dense_{l}/bias"
        expect_dtype(n, "n_classes", "<i8")
        assert n.attrs["n_classes"] == 3
        assert fixed_string(n, "activation") == "relu"
        assert fixed_string(n, "source") == "import"
        expect_dtype(n, "epochs", "<i8")
        expect_dtype(n, "seed", "<u8")
        for k in ("l1", "train_accuracy", "test_accuracy"):
            expect_dtype(n, k, "<f8")
        if path.endswith("/sd.nnb.h5"):
            assert fixed_string(n, "class_names") == ["cat", "dog", "bird"]
            assert fixed_string(n, "dataset") == "toy"
            assert n.attrs["epochs"] == 3 and n.attrs["seed"] == 42 and n.attrs["l1"] == 0.5
            assert n.attrs["train_accuracy"] == 0.75 and n.attrs["test_accuracy"] == 0.5
        else:
            assert fixed_string(n, "class_names") == ["0", "1", "2"]
            assert math.isnan(n.attrs["test_accuracy"])
print("format ok")
EOF

# nnbundle reads it.
expect 0 "" -- "$NNBUNDLE" info "$W/sd.nnb.h5"
for line in "layers: 4 (6-5-4-3)" "classes: 3 (cat, dog, bird)" "source: import" "dataset: toy" \
    "test accuracy: 0.5"; do
    grep -qF "$line" "$W/out.txt" || fail "info lacks '$line':$(sed 's/^/    /' "$W/out.txt")"
done

# bundle without /importance: magnitude importance is computed, then the bundle written.
cp "$W/sd.nnb.h5" "$W/bundled.nnb.h5"
expect 0 "" -- "$NNBUNDLE" bundle "$W/bundled.nnb.h5" --set importance_method=magnitude \
    --set sampling_rate=5 --threads 1 --quiet
expect 0 "" -- "$NNBUNDLE" info "$W/bundled.nnb.h5"
grep -qF "bundle edges: 62 of 62" "$W/out.txt" || fail "bundle info:$(sed 's/^/    /' "$W/out.txt")"
grep -qF "importance method: magnitude" "$W/out.txt" || fail "no magnitude importance in info"
# nnbundle's rewrite of the file keeps the imported weights bit for bit.
"$PY" - "$W" <<'EOF' || fail "weights changed by nnbundle bundle"
import sys, h5py, numpy as np
w = sys.argv[1]
with h5py.File(f"{w}/sd.nnb.h5", "r") as a, h5py.File(f"{w}/bundled.nnb.h5", "r") as b:
    for l in range(3):
        for d in ("weight", "bias"):
            assert np.array_equal(a[f"network/dense_{l}/{d}"][:], b[f"network/dense_{l}/{d}"][:])
EOF
cp "$W/seq.nnb.h5" "$W/imp.nnb.h5"
expect 0 "" -- "$NNBUNDLE" importance "$W/imp.nnb.h5" --set importance_method=magnitude --quiet

# --- bad models: exit 1, a message naming the culprit, the old output untouched ------------
cp "$W/sd.nnb.h5" "$W/keep.nnb.h5"
expect 1 "module '1' (Tanh) is not supported" -- "$PY" "$IMPORT" "$W/tanh.pt" -o "$W/keep.nnb.h5"
expect 1 "'0.weight' has shape [2, 1, 3, 3]" -- "$PY" "$IMPORT" "$W/conv.pt" -o "$W/keep.nnb.h5"
expect 1 "'1.weight' has shape [3]" -- "$PY" "$IMPORT" "$W/bn.pt" -o "$W/keep.nnb.h5"
expect 1 "layer 'b' takes 5 inputs but layer 'a' has 3 outputs" -- \
    "$PY" "$IMPORT" "$W/mismatch.pt" -o "$W/keep.nnb.h5"
expect 1 "layer 'a': bias shape [2]" -- "$PY" "$IMPORT" "$W/badbias.pt" -o "$W/keep.nnb.h5"
expect 1 "without a ReLU in between" -- "$PY" "$IMPORT" "$W/norelu.pt" -o "$W/keep.nnb.h5"
expect 1 "ends with a ReLU" -- "$PY" "$IMPORT" "$W/endrelu.pt" -o "$W/keep.nnb.h5"
expect 1 "weight: non-finite value nan at [1, 0]" -- "$PY" "$IMPORT" "$W/nan.pt" -o "$W/keep.nnb.h5"
expect 1 "2 class names given, but the output layer has 3 nodes" -- \
    "$PY" "$IMPORT" "$W/sd.pt" -o "$W/keep.nnb.h5" --class-names a,b
expect 1 "test accuracy 1.5" -- "$PY" "$IMPORT" "$W/sd.pt" -o "$W/keep.nnb.h5" --test-accuracy 1.5
expect 1 "no such file" -- "$PY" "$IMPORT" "$W/missing.pt" -o "$W/keep.nnb.h5"
cmp -s "$W/sd.nnb.h5" "$W/keep.nnb.h5" || fail "a failed import changed the existing output"
# An unwritable directory: exit 1 naming the output, nothing left behind.
mkdir "$W/ro" && chmod a-w "$W/ro"
if [ "$(id -u)" != 0 ]; then
    expect 1 "ro/x.nnb.h5" -- "$PY" "$IMPORT" "$W/sd.pt" -o "$W/ro/x.nnb.h5"
fi
ls "$W" "$W/ro" | grep -q '\.tmp\.' && fail "temporary file left behind: $(ls "$W" "$W/ro")"
expect 2 "" -- "$PY" "$IMPORT" "$W/sd.pt"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "cli_import_pytorch: all checks passed"
