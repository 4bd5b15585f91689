#!/usr/bin/env bash
# cli_pipeline.sh - end-to-end checks of the nnbundle CLI: dispatch and exit codes, random ->
# bundle -> info, the HDF5 layout of a tiny processed network against a golden h5dump -H,
# atomic writes, bad input, and `run` on a small slice of Fashion-MNIST.
# Environment: NNBUNDLE (binary), NB_SOURCE_DIR. NB_UPDATE_GOLDEN=1 rewrites the golden file.
set -euo pipefail
N=${NNBUNDLE:?}
G=${NB_SOURCE_DIR:?}/tests/golden/tiny_straight.h5dump
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # expect_rc CODE PATTERN-IN-STDERR cmd...
    local want=$1 pat=$2; shift 2
    set +e; "$@" >out.txt 2>err.txt; local rc=$?; set -e
    [ "$rc" -eq "$want" ] || { cat err.txt >&2; fail "'$*' exited $rc, expected $want"; }
    if [ -n "$pat" ]; then grep -q -- "$pat" err.txt || { cat err.txt >&2; fail "'$*': stderr lacks '$pat'"; }; fi
}
checks=0
ok() { checks=$((checks + 1)); }

# dispatch and exit codes
expect_rc 2 "usage: nnbundle" "$N"; ok
expect_rc 0 "" "$N" --help; grep -q "bundle" out.txt || fail "--help lists no commands"; ok
expect_rc 2 "unknown command 'frobnicate'" "$N" frobnicate; ok
expect_rc 0 "" "$N" --version; grep -q "^nnbundle [0-9]" out.txt || fail "--version"; ok
for c in train random importance bundle run evaluate info; do
    expect_rc 0 "" "$N" "$c" --help
    grep -qi "usage" out.txt || fail "$c --help prints no usage"
    ok
done

# random -> bundle -> info, default config (full bundling)
"$N" random --layers 16,9,4 --seed 3 -o r.nnb.h5 --quiet
"$N" bundle r.nnb.h5 --quiet --threads 2
"$N" info r.nnb.h5 > info.txt
grep -q "iterations: 79 (node 56, edge 23)" info.txt || { cat info.txt; fail "iteration counts"; }
grep -q "mean distortion" info.txt || fail "info prints no metrics"; ok

# straight edges: both phases off -> "iterations: 0"
"$N" random --layers 4,9,10 --seed 1 -o tiny.nnb.h5 --quiet
"$N" bundle tiny.nnb.h5 --quiet --set node_advection=false --set edge_advection=false
"$N" info tiny.nnb.h5 | grep -q "iterations: 0" || fail "straight bundle does not say iterations: 0"; ok

# golden HDF5 layout (h5dump -H: groups, datasets, dtypes, shapes; no values)
if command -v h5dump >/dev/null; then
    h5dump -H tiny.nnb.h5 | sed '1s/^HDF5 ".*" {/HDF5 "tiny.nnb.h5" {/' \
        | sed 's/STRSIZE [0-9]*;/STRSIZE n;/' > layout.txt
    if [ "${NB_UPDATE_GOLDEN:-0}" = 1 ]; then cp layout.txt "$G"; echo "updated $G"; fi
    diff -u "$G" layout.txt || fail "HDF5 layout differs from $G (NB_UPDATE_GOLDEN=1 to accept)"
    ok
else
    echo "note: h5dump not installed (hdf5-tools), golden layout check skipped"
fi

# atomic writes: no temporary file is left behind
ls -a | grep -q '\.tmp\.' && fail "temporary file left behind"; ok

# bad input: missing file, not HDF5, wrong config value, unknown key
expect_rc 1 "nope.nnb.h5" "$N" bundle nope.nnb.h5; ok
echo "not hdf5" > junk.nnb.h5
expect_rc 1 "junk.nnb.h5" "$N" info junk.nnb.h5; ok
cp r.nnb.h5 before.nnb.h5
expect_rc 1 "sampling_rate" "$N" bundle r.nnb.h5 --set sampling_rate=0; ok
expect_rc 1 "no_such_key" "$N" bundle r.nnb.h5 --set no_such_key=1; ok
cmp -s r.nnb.h5 before.nnb.h5 || fail "a failed bundle modified its input"; ok

# run: train (1 epoch on 2000 images) -> importance (1 epoch) -> bundle
D=/usr/share/datasets/fashion-mnist
if [ -f "$D/train-images-idx3-ubyte.gz" ]; then
    "$N" run --data "$D" -o run.nnb.h5 --epochs 1 --max-train 2000 --max-test 500 \
        --set importance_epochs=1 --threads 2 --quiet > run.txt
    "$N" info run.nnb.h5 > info2.txt
    grep -q "importance method: activation" info2.txt \
        || { cat info2.txt; fail "run: no importance by the default method (activation)"; }
    grep -q "iterations: 79" info2.txt || { cat info2.txt; fail "run: no bundle"; }
    ok
else
    echo "note: Fashion-MNIST not installed, 'run' check skipped"
fi
echo "cli_pipeline: $checks checks passed"
