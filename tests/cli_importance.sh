#!/usr/bin/env bash
# cli_importance.sh - `nnbundle importance` end to end on a tiny IDX data set: /importance
# written next to an unchanged /network, the same result with 1 and 2 threads, magnitude,
# progress lines, --config, and every bad input an exact exit status with the subject named.
# (A file without /network is tested in test_importance.c: no command writes one.)
set -u
NB_CLI_TEST_NAME=cli_importance
# shared: $NNBUNDLE check, work dir $W, fail/expect, byte/u32/write_idx (IDX fixtures)
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

write_idx "$W/data" train 60 2 2 3 11
write_idx "$W/data" t10k 24 2 2 3 12
write_idx "$W/data9" train 6 3 3 3 13      # 3x3 images: do not fit a 4-input network
write_idx "$W/data9" t10k 6 3 3 3 14
write_idx "$W/data5" train 10 2 2 5 15     # labels 0..4: do not fit a 3-class network
write_idx "$W/data5" t10k 10 2 2 5 16

# Fixture: a 4-6-5-3 network.
"$NNBUNDLE" train --data "$W/data" --layers 6,5 --epochs 2 --seed 3 -o "$W/base.nnb.h5" --quiet \
    || { echo "FAIL: cannot make the fixture with nnbundle train" >&2; exit 1; }
HAVE_H5DUMP=0
command -v h5dump >/dev/null && HAVE_H5DUMP=1
dump() { h5dump -d "$2" "$1" | grep -v '^HDF5 "'; }

# --- success ---
cp "$W/base.nnb.h5" "$W/m1.nnb.h5"
expect 0 "" -- "$NNBUNDLE" importance "$W/m1.nnb.h5" --data "$W/data" --threads 1 \
    --set importance_method=bn-gamma --set importance_epochs=3 --set importance_top_k=4
grep -q "^importance: bn-gamma (gamma,l1) on 3 classes" "$W/out.txt" \
    || fail "no summary on stdout: $(cat "$W/out.txt")"
grep -q "class 2 .*acc" "$W/err.txt" || fail "no per-class progress with accuracy on stderr"
grep -q "fine-tune test accuracy" "$W/err.txt" || fail "no per-class accuracy lines"
if [ "$HAVE_H5DUMP" = 1 ]; then
    for d in node_0 node_1 node_2 node_3 edge_0 edge_1 edge_2 finetune_accuracy top_1 top_2; do
        dump "$W/m1.nnb.h5" "/importance/$d" >/dev/null 2>&1 || fail "/importance/$d missing"
    done
    h5dump -a /importance/method "$W/m1.nnb.h5" | grep -q '"bn-gamma"' || fail "method attribute"
    for d in /network/dense_0/weight /network/dense_1/bias /network/layer_sizes; do
        [ "$(dump "$W/m1.nnb.h5" $d)" = "$(dump "$W/base.nnb.h5" $d)" ] || fail "$d changed"
    done
    # top_k = 4 over 24 test images
    dump "$W/m1.nnb.h5" /importance/top_1 | grep -q "DATASPACE  SIMPLE { ( 6, 4 )" \
        || fail "top_1 is not 6 x 4"
else
    echo "note: h5dump not found, dataset checks skipped" >&2
fi

# the same result with 2 threads
cp "$W/base.nnb.h5" "$W/m2.nnb.h5"
expect 0 "" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/data" --threads 2 \
    --set importance_method=bn-gamma --set importance_epochs=3 --set importance_top_k=4 --quiet
[ -s "$W/err.txt" ] && fail "--quiet still wrote to stderr: $(head -3 "$W/err.txt")"
if [ "$HAVE_H5DUMP" = 1 ]; then
    for d in node_0 node_1 node_2 edge_0 finetune_accuracy top_1 top_2; do
        [ "$(dump "$W/m1.nnb.h5" /importance/$d)" = "$(dump "$W/m2.nnb.h5" /importance/$d)" ] \
            || fail "/importance/$d differs between 1 and 2 threads"
    done
fi

# running again replaces /importance; --config is read
printf '{\n  "importance_method": "bn-gamma",\n  "importance_epochs": 2,\n  "importance_flags": "gamma,l1,l2,centering"\n}\n' \
    >"$W/proc.json"
expect 0 "" -- "$NNBUNDLE" importance "$W/m1.nnb.h5" --data "$W/data" --config "$W/proc.json" --quiet
grep -q "(gamma,l1,l2,centering)" "$W/out.txt" || fail "--config flags not used: $(cat "$W/out.txt")"
if [ "$HAVE_H5DUMP" = 1 ]; then
    h5dump -a /importance/flags "$W/m1.nnb.h5" | grep -q 'gamma,l1,l2,centering' \
        || fail "flags attribute not replaced"
fi

# magnitude needs no training data
cp "$W/base.nnb.h5" "$W/m3.nnb.h5"
expect 0 "" -- "$NNBUNDLE" importance "$W/m3.nnb.h5" --data "$W/data" \
    --set importance_method=magnitude --quiet
grep -q "^importance: magnitude" "$W/out.txt" || fail "magnitude summary: $(cat "$W/out.txt")"

# the default method (activation) and the gradient methods: method attribute, 1 = 2 threads
for m in default taylor taylor-mean obd; do
    set_m=()
    name=$m
    if [ "$m" = default ]; then name=activation; else set_m=(--set "importance_method=$m"); fi
    for t in 1 2; do
        cp "$W/base.nnb.h5" "$W/g$t.nnb.h5"
        expect 0 "" -- "$NNBUNDLE" importance "$W/g$t.nnb.h5" --data "$W/data" --threads $t \
            "${set_m[@]}" --quiet
        grep -q "^importance: $name in" "$W/out.txt" || fail "$m summary: $(cat "$W/out.txt")"
    done
    if [ "$HAVE_H5DUMP" = 1 ]; then
        h5dump -a /importance/method "$W/g1.nnb.h5" | grep -q "\"$name\"" \
            || fail "$m: method attribute"
        for d in node_0 node_1 node_2 edge_0 edge_1 top_1; do
            [ "$(dump "$W/g1.nnb.h5" /importance/$d)" = "$(dump "$W/g2.nnb.h5" /importance/$d)" ] \
                || fail "$m: /importance/$d differs between 1 and 2 threads"
        done
    fi
done

# --- errors: exact status and subject; the file stays as it was ---
sha_before=$(sha256sum "$W/m2.nnb.h5" | cut -d' ' -f1)
expect 1 "[$W/data9 (train set)]" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/data9"
grep -qF "NB_E_MISMATCH" "$W/err.txt" || fail "image-size mismatch is not NB_E_MISMATCH"
grep -qF "input layer" "$W/err.txt" || fail "image-size mismatch does not name the input layer"
expect 1 "[$W/data5 (train set)]" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/data5"
grep -qF "NB_E_MISMATCH" "$W/err.txt" || fail "class-count mismatch is not NB_E_MISMATCH"
grep -qF "output layer" "$W/err.txt" || fail "class-count mismatch does not name the output layer"
expect 1 "$W/nodata" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/nodata"
grep -qF "NB_E_IO" "$W/err.txt" || fail "missing data is not NB_E_IO"
expect 1 "importance_flags" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/data" \
    --set importance_flags=gamma,bogus
grep -qF "NB_E_CONFIG" "$W/err.txt" || fail "unknown flag is not NB_E_CONFIG"
grep -qF "bogus" "$W/err.txt" || fail "unknown flag error does not name the flag"
expect 1 "importance_method" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/data" \
    --set importance_method=snip
grep -qF "NB_E_CONFIG" "$W/err.txt" || fail "unknown method is not NB_E_CONFIG"
expect 1 "importance_epochs" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/data" \
    --set importance_epochs=0
expect 1 "[$W/data9 (train set)]" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data "$W/data9" \
    --set importance_method=taylor
grep -qF "NB_E_MISMATCH" "$W/err.txt" || fail "taylor: image-size mismatch is not NB_E_MISMATCH"
expect 1 "[$W/missing.nnb.h5]" -- "$NNBUNDLE" importance "$W/missing.nnb.h5" --data "$W/data"
grep -qF "NB_E_IO" "$W/err.txt" || fail "missing file is not NB_E_IO"
echo "not hdf5" >"$W/text.nnb.h5"
expect 1 "[$W/text.nnb.h5]" -- "$NNBUNDLE" importance "$W/text.nnb.h5" --data "$W/data"
[ "$(sha256sum "$W/m2.nnb.h5" | cut -d' ' -f1)" = "$sha_before" ] || fail "a failing run changed the file"

# usage errors: status 2
expect 2 "missing input file" -- "$NNBUNDLE" importance --data "$W/data"
expect 2 "unknown option '--bogus'" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --bogus
expect 2 "unexpected argument" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" "$W/m1.nnb.h5"
expect 2 "--data needs a value" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --data
expect 2 "" -- "$NNBUNDLE" importance "$W/m2.nnb.h5" --threads many
expect 0 "" -- "$NNBUNDLE" importance --help
grep -q "usage: nnbundle importance" "$W/out.txt" || fail "--help does not print usage on stdout"
for k in importance_method importance_flags importance_epochs importance_learning_rate \
    importance_batch_size importance_l1 importance_l2 importance_top_k seed; do
    grep -q "^  $k \[" "$W/out.txt" || fail "--help does not list $k"
done

if [ "$fails" -ne 0 ]; then
    echo "cli_importance: $fails failure(s)" >&2
    exit 1
fi
echo "cli_importance: all checks passed"
