# cli_ops.sh - the programs on a network with operators (tests/data/small_cnn.nnb.h5, a CNN
# in .nnb.h5 format 2 made by tests/data/make_small_cnn.py): `nnbundle info` prints the
# operator table; magnitude importance, bundling and `info` on the result work on its graph
# view; a file whose chain disagrees with its graph view is refused naming the operator.
. "$NB_SOURCE_DIR/tests/cli_lib.sh"
CNN="$NB_TEST_DATA/small_cnn.nnb.h5"

"$NNBUNDLE" info "$CNN" >"$W/info.txt" 2>"$W/err.txt" || fail "info on the CNN: $(cat "$W/err.txt")"
for want in "layers: 5 (1-8-16-32-10)" "input: 1x28x28 (channels x height x width)" \
    "operators: 10" "parameters: 26698 (26.7 k)" "MACs per image: 317056 (317.1 k)"; do
    grep -qF "$want" "$W/info.txt" || fail "info lacks '$want'"
done
# one row per operator: index, kind, output shape, parameters, MACs, node layer
grep -qE '^ +0  conv2d +8x28x28 +80 +56448  1 \(8 channels\)$' "$W/info.txt" ||
    fail "info: conv2d row"
grep -qE '^ +2  maxpool +8x14x14 +0 +6272$' "$W/info.txt" || fail "info: maxpool row"
grep -qE '^ +7  dense +32x1x1 +25120 +25088  3 \(32 nodes\)$' "$W/info.txt" ||
    fail "info: dense row"
grep -q "^activation:" "$W/info.txt" && fail "info prints a dense activation for a CNN"

cp "$CNN" "$W/cnn.nnb.h5"
expect 0 "" -- "$NNBUNDLE" importance "$W/cnn.nnb.h5" --data /nonexistent \
    --set importance_method=magnitude --set importance_top_k=0
expect 0 "" -- "$NNBUNDLE" bundle "$W/cnn.nnb.h5"
"$NNBUNDLE" info "$W/cnn.nnb.h5" >"$W/info2.txt" || fail "info after bundling"
grep -qF "bundle edges: 968 of 968" "$W/info2.txt" || fail "the CNN's 968 graph edges are bundled"
grep -qF "operators: 10" "$W/info2.txt" || fail "bundling kept the operators"

# a lie (needs python3-h5py, which CI lacks: the unit tests in test_h5_ops.c cover every
# refusal; this checks the exit status and the message of the program)
if ! ${NB_PYTHON:-/usr/bin/python3} -c 'import h5py' 2>/dev/null; then
    echo "lie check skipped: no python3-h5py"
    exit $((fails > 0))
fi
${NB_PYTHON:-/usr/bin/python3} - "$W/cnn.nnb.h5" "$W/lie.nnb.h5" <<'PY'
import shutil, sys
import h5py
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    f["network/ops/000"].attrs["kind"] = "swish"
PY
expect 1 'lie.nnb.h5 /network/ops/000 kind' -- "$NNBUNDLE" info "$W/lie.nnb.h5"
grep -qF 'unknown operator kind "swish"' "$W/err.txt" || fail "unknown kind message"

exit $((fails > 0))
