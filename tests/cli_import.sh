#!/usr/bin/env bash
# cli_import.sh - `nnbundle import` end to end: the committed PyTorch exports of tests/data/onnx
# import and `nnbundle info` reads the result; --class-names sets the names and refuses a wrong
# count; an existing output is kept without --force and replaced with it; a failed import
# (unsupported operator, truncated file, bad class names) exits 1 with a message naming the
# file and node, leaves an existing output untouched and no temporary file behind; usage
# errors exit 2. The generated bad models ($NB_ONNX_MODELS, from tests/onnx_models.py) are
# used where python3-onnx made them.
set -u
NB_CLI_TEST_NAME=cli_import
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"
SRC=${NB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
D=$SRC/tests/data/onnx
MODELS=${NB_ONNX_MODELS:-}

no_tmp() { # no_tmp FILE: no "<FILE>.nbtmp.*" left behind
    if compgen -G "$1.nbtmp.*" >/dev/null; then fail "temporary file left: $(echo "$1".nbtmp.*)"; fi
}

# --- usage ---------------------------------------------------------------------------------
expect 0 "" -- "$NNBUNDLE" import --help
grep -qF -- "--class-names" "$W/out.txt" || fail "import --help lacks --class-names"
grep -qF -- "--force" "$W/out.txt" || fail "import --help lacks --force"
expect 2 "missing MODEL" -- "$NNBUNDLE" import
expect 2 "missing output file" -- "$NNBUNDLE" import "$D/mlp.onnx"
expect 2 "'tflite' is not auto, onnx or keras" -- "$NNBUNDLE" import "$D/mlp.onnx" -o "$W/x.nnb.h5" --format tflite
expect 2 "unknown option '--bogus'" -- "$NNBUNDLE" import "$D/mlp.onnx" -o "$W/x.nnb.h5" --bogus
expect 2 "one MODEL only" -- "$NNBUNDLE" import "$D/mlp.onnx" "$D/cnn.onnx" -o "$W/x.nnb.h5"
expect 2 "--set does not apply" -- "$NNBUNDLE" import "$D/mlp.onnx" -o "$W/x.nnb.h5" --set a=b
[ -e "$W/x.nnb.h5" ] && fail "a usage error wrote the output"

# --- good imports ----------------------------------------------------------------------------
for m in mlp cnn bn_gelu; do
    expect 0 "" -- "$NNBUNDLE" import "$D/$m.onnx" -o "$W/$m.nnb.h5"
    [ -s "$W/$m.nnb.h5" ] || fail "$m: no output file"
    no_tmp "$W/$m.nnb.h5"
    expect 0 "" -- "$NNBUNDLE" info "$W/$m.nnb.h5"
done
# a Keras HDF5 model through the same command (format from the HDF5 signature)
expect 0 "" -- "$NNBUNDLE" import "$SRC/tests/data/keras/dense.h5" -o "$W/keras.nnb.h5"
expect 0 "" -- "$NNBUNDLE" info "$W/keras.nnb.h5"
expect 1 "is an HDF5 file, not ONNX" -- "$NNBUNDLE" import "$SRC/tests/data/keras/dense.h5" -o "$W/keras2.nnb.h5" --format onnx
printf 'T-shirt/top\nTrouser\nPullover\nDress\nCoat\r\nSandal\nShirt\nSneaker\nBag\nAnkle boot' >"$W/classes.txt"
expect 0 "" -- "$NNBUNDLE" import "$D/cnn.onnx" -o "$W/named.nnb.h5" --class-names "$W/classes.txt" --format onnx
expect 0 "" -- "$NNBUNDLE" info "$W/named.nnb.h5"
grep -qF "Ankle boot" "$W/out.txt" || fail "info of the named import lacks 'Ankle boot'"
grep -qF "Coat" "$W/out.txt" || fail "info of the named import lacks 'Coat'"

# --- an existing output is kept unless --force -----------------------------------------------
cp "$W/mlp.nnb.h5" "$W/keep.nnb.h5"
sum=$(cksum <"$W/keep.nnb.h5")
expect 1 "exists; use --force" -- "$NNBUNDLE" import "$D/cnn.onnx" -o "$W/keep.nnb.h5"
[ "$(cksum <"$W/keep.nnb.h5")" = "$sum" ] || fail "an existing output was changed without --force"

# --- failures leave the existing output untouched --------------------------------------------
printf 'a\nb\nc\n' >"$W/three.txt"
expect 1 "has 3 class names, the model has 10 classes" -- "$NNBUNDLE" import "$D/cnn.onnx" -o "$W/keep.nnb.h5" --force --class-names "$W/three.txt"
expect 1 "none.txt" -- "$NNBUNDLE" import "$D/cnn.onnx" -o "$W/keep.nnb.h5" --force --class-names "$W/none.txt"
head -c 20000 "$D/cnn.onnx" >"$W/truncated.onnx"
expect 1 "truncated.onnx] not a valid ONNX model" -- "$NNBUNDLE" import "$W/truncated.onnx" -o "$W/keep.nnb.h5" --force
expect 1 "cannot open the model" -- "$NNBUNDLE" import "$W/none.onnx" -o "$W/keep.nnb.h5" --force
expect 1 "" -- "$NNBUNDLE" import "$D/cnn.onnx" -o "$W/keep.nnb.h5" --force --format keras
if [ -n "$MODELS" ] && [ -f "$MODELS/bad_op.onnx" ]; then
    expect 1 "bad_op.onnx node 'act' (Elu)] operator Elu is not supported" -- "$NNBUNDLE" import "$MODELS/bad_op.onnx" -o "$W/keep.nnb.h5" --force
    expect 1 "node 'conv' (Conv)] attribute group=2" -- "$NNBUNDLE" import "$MODELS/bad_group.onnx" -o "$W/keep.nnb.h5" --force
    expect 1 "weight 'wn' value 7 is nan" -- "$NNBUNDLE" import "$MODELS/bad_nan.onnx" -o "$W/keep.nnb.h5" --force
    expect 1 "the graph is not a chain" -- "$NNBUNDLE" import "$MODELS/bad_branch.onnx" -o "$W/keep.nnb.h5" --force
else
    echo "note: no generated bad models (python3-onnx missing); their CLI checks are skipped"
fi
[ "$(cksum <"$W/keep.nnb.h5")" = "$sum" ] || fail "a failed import changed the existing output"
no_tmp "$W/keep.nnb.h5"

# --- --force replaces ------------------------------------------------------------------------
expect 0 "" -- "$NNBUNDLE" import "$D/cnn.onnx" -o "$W/keep.nnb.h5" --force
[ "$(cksum <"$W/keep.nnb.h5")" != "$sum" ] || fail "--force did not replace the output"
cmp -s "$W/keep.nnb.h5" "$W/cnn.nnb.h5" || echo "note: re-import differs byte-wise (timestamps?)"

if [ "$fails" -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "cli_import: all checks passed"
