#!/usr/bin/env bash
# cli_train.sh - `nnbundle train` and `nnbundle random` end to end: a 1-epoch Fashion-MNIST run
# on the first 2000 images (when the data set is installed), a tiny synthetic IDX set, the
# same network for 1 and 2 threads, a CNN from --arch, dropped groups of an old output file,
# and bad input: exact exit status (1 error, 2 usage) and a message naming the problem.
set -u
NB_CLI_TEST_NAME=cli_train
# shared: $NNBUNDLE check, work dir $W, fail/expect, byte/u32/write_idx (IDX fixtures)
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

# weights DIR FILE: the weights of /network as text (h5dump if installed, else nnbundle info)
weights() {
    if command -v h5dump >/dev/null; then
        h5dump -m %.9g -d /network/dense_0/weight -d /network/dense_1/weight "$1" 2>&1 | grep -v HDF5
    else
        "$NNBUNDLE" info "$1" 2>&1
    fi
}

write_idx "$W/data" train 40 3 3 3 11
write_idx "$W/data" t10k 12 3 3 3 12
write_idx "$W/data5" train 10 3 3 3 15
write_idx "$W/data5" t10k 10 3 3 5 16     # test labels 0..4, training labels only 0..2

# --help: what it does, every option, an example
"$NNBUNDLE" train --help >"$W/help.txt" || fail "train --help exit status"
for word in --data --layers --arch convN pool fcN --epochs --batch --lr --l1 --seed --threads \
    --quiet example; do
    grep -qF -- "$word" "$W/help.txt" || fail "train --help does not mention $word"
done
"$NNBUNDLE" random --help | grep -qF -- "--layers" || fail "random --help lacks --layers"

# a tiny synthetic set: trains, writes /network, prints the accuracies
expect 0 "" -- "$NNBUNDLE" train --data "$W/data" --layers 6,4 --epochs 2 --seed 3 \
    -o "$W/tiny.nnb.h5" --quiet
[ -s "$W/tiny.nnb.h5" ] || fail "train wrote no file"
grep -qE '^test accuracy: [01]\.[0-9]{4}$' "$W/out.txt" || fail "no 'test accuracy' line"
grep -qE '^wall time: ' "$W/out.txt" || fail "no 'wall time' line"
"$NNBUNDLE" info "$W/tiny.nnb.h5" >"$W/info.txt" 2>&1 || fail "info cannot read the model"
grep -qF "9-6-4-3" "$W/info.txt" || fail "model shape is not 9-6-4-3: $(cat "$W/info.txt")"
ls "$W"/tiny.nnb.h5.tmp* >/dev/null 2>&1 && fail "temporary file left behind"

# the same network for 1 and 2 threads
"$NNBUNDLE" train --data "$W/data" --layers 6,4 --epochs 2 --seed 3 -o "$W/t1.nnb.h5" \
    --quiet --threads 1 >/dev/null || fail "train --threads 1"
"$NNBUNDLE" train --data "$W/data" --layers 6,4 --epochs 2 --seed 3 -o "$W/t2.nnb.h5" \
    --quiet --threads 2 >/dev/null || fail "train --threads 2"
[ "$(weights "$W/t1.nnb.h5")" = "$(weights "$W/t2.nnb.h5")" ] ||
    fail "1 and 2 threads gave different weights"
"$NNBUNDLE" train --data "$W/data" --layers 6,4 --epochs 2 --seed 4 -o "$W/s4.nnb.h5" \
    --quiet >/dev/null || fail "train --seed 4"
[ "$(weights "$W/t1.nnb.h5")" != "$(weights "$W/s4.nnb.h5")" ] ||
    fail "seeds 3 and 4 gave the same weights"

# --arch: a CNN on the 3x3 images, the same for 1 and 2 threads
expect 0 "" -- "$NNBUNDLE" train --data "$W/data" --arch conv4-pool-fc8 --epochs 2 --seed 3 \
    --threads 1 -o "$W/c1.nnb.h5"
grep -qF "training conv4-pool-fc8 on 1x3x3 images, 3 classes" "$W/err.txt" ||
    fail "train --arch does not log its architecture"
grep -qE '^test accuracy: [01]\.[0-9]{4}$' "$W/out.txt" || fail "train --arch: no test accuracy"
"$NNBUNDLE" train --data "$W/data" --arch conv4-pool-fc8 --epochs 2 --seed 3 --threads 2 \
    -o "$W/c2.nnb.h5" --quiet >/dev/null || fail "train --arch --threads 2"
[ "$(weights "$W/c1.nnb.h5")" = "$(weights "$W/c2.nnb.h5")" ] ||
    fail "--arch: 1 and 2 threads gave different weights"
"$NNBUNDLE" train --data "$W/data" --arch conv4-pool-fc8-fc3 --epochs 2 --seed 3 \
    -o "$W/c3.nnb.h5" --quiet >/dev/null || fail "train --arch with an explicit output layer"
[ "$(weights "$W/c1.nnb.h5")" = "$(weights "$W/c3.nnb.h5")" ] ||
    fail "--arch: a trailing fc3 for 3 classes is not the implied output layer"

# random: /network + /importance; training over it drops /importance and says so
expect 0 "" -- "$NNBUNDLE" random --layers 9,5,3 --seed 2 -o "$W/rand.nnb.h5"
"$NNBUNDLE" info "$W/rand.nnb.h5" >"$W/info.txt" 2>&1 || fail "info cannot read random"
grep -qF "9-5-3" "$W/info.txt" || fail "random shape is not 9-5-3"
grep -qF "importance method: random" "$W/info.txt" || fail "random wrote no importance"
expect 0 "dropping the old file's /importance" -- "$NNBUNDLE" train --data "$W/data" \
    --layers 5 --epochs 1 -o "$W/rand.nnb.h5"
"$NNBUNDLE" info "$W/rand.nnb.h5" >"$W/info.txt" 2>&1
grep -qF "importance: none" "$W/info.txt" || fail "old /importance survived training"

# bad input
expect 1 "$W/missing" -- "$NNBUNDLE" train --data "$W/missing" -o "$W/x.nnb.h5"
expect 2 "--layers" -- "$NNBUNDLE" train --data "$W/data" --layers 81,0 -o "$W/x.nnb.h5"
expect 2 "--layers" -- "$NNBUNDLE" train --data "$W/data" --layers abc -o "$W/x.nnb.h5"
expect 2 "unknown option '--bogus'" -- "$NNBUNDLE" train --data "$W/data" --bogus -o "$W/x.nnb.h5"
expect 2 "missing output file" -- "$NNBUNDLE" train --data "$W/data"
expect 2 "--epochs" -- "$NNBUNDLE" train --data "$W/data" --epochs 0 -o "$W/x.nnb.h5"
expect 2 "--lr" -- "$NNBUNDLE" train --data "$W/data" --lr -1 -o "$W/x.nnb.h5"
expect 2 "--epochs needs a value" -- "$NNBUNDLE" train --data "$W/data" -o "$W/x.nnb.h5" --epochs
expect 2 "--config" -- "$NNBUNDLE" train --data "$W/data" --config c.json -o "$W/x.nnb.h5"
expect 1 "test labels go up to 4" -- "$NNBUNDLE" train --data "$W/data5" -o "$W/x.nnb.h5"
expect 1 "$W/nodir" -- "$NNBUNDLE" train --data "$W/data" -o "$W/nodir/x.nnb.h5"
[ -e "$W/x.nnb.h5" ] && fail "a failed run wrote $W/x.nnb.h5"
expect 2 "--arch: block 'conv': conv needs a channel count" -- "$NNBUNDLE" train --data "$W/data" --arch conv \
    -o "$W/x.nnb.h5"
expect 2 "--arch: block 'conv0'" -- "$NNBUNDLE" train --data "$W/data" --arch conv0-pool \
    -o "$W/x.nnb.h5"
expect 2 "--arch: 'conv8--pool': empty block" -- "$NNBUNDLE" train --data "$W/data" \
    --arch conv8--pool -o "$W/x.nnb.h5"
expect 2 "block 2 (conv) follows a dense layer" -- "$NNBUNDLE" train --data "$W/data" \
    --arch fc8-conv4 -o "$W/x.nnb.h5"
expect 2 "--layers and --arch exclude each other" -- "$NNBUNDLE" train --data "$W/data" \
    --layers 8 --arch fc8 -o "$W/x.nnb.h5"
expect 1 "block 2 (pool): its input is 1x1" -- "$NNBUNDLE" train --data "$W/data" \
    --arch pool-pool -o "$W/x.nnb.h5"
[ -e "$W/x.nnb.h5" ] && fail "a failed --arch run wrote $W/x.nnb.h5"
expect 2 "--layers" -- "$NNBUNDLE" random --layers 784 -o "$W/x.nnb.h5"
expect 2 "unknown option '--bogus'" -- "$NNBUNDLE" random --bogus
expect 2 "missing output file" -- "$NNBUNDLE" random --layers 4,3

# Fashion-MNIST: one epoch on the first 2000 images
FM=/usr/share/datasets/fashion-mnist
if [ -e "$FM/train-images-idx3-ubyte.gz" ] || [ -e "$FM/train-images-idx3-ubyte" ]; then
    expect 0 "" -- "$NNBUNDLE" train --data "$FM" --max-train 2000 --max-test 1000 \
        --epochs 1 --threads 2 -o "$W/fm.nnb.h5"
    grep -F "epoch 1/1" "$W/err.txt" | grep -qF "test accuracy" || fail "no per-epoch log line"
    acc=$(sed -n 's/^test accuracy: //p' "$W/out.txt")
    awk -v a="${acc:-0}" 'BEGIN { exit !(a > 0.5) }' ||
        fail "Fashion-MNIST 1 epoch on 2000 images: test accuracy ${acc:-none}, want > 0.5"
    "$NNBUNDLE" info "$W/fm.nnb.h5" >"$W/info.txt" 2>&1
    grep -qF "784-81-49-10" "$W/info.txt" || fail "Fashion-MNIST model is not 784-81-49-10"
    grep -qF "Ankle boot" "$W/info.txt" || fail "no Fashion-MNIST class names"
    # a small CNN, one epoch on the first 2000 images
    expect 0 "" -- "$NNBUNDLE" train --data "$FM" --max-train 2000 --max-test 1000 \
        --arch conv8-pool-fc32 --epochs 1 --batch 64 --threads 2 -o "$W/fmc.nnb.h5"
    acc=$(sed -n 's/^test accuracy: //p' "$W/out.txt")
    awk -v a="${acc:-0}" 'BEGIN { exit !(a > 0.5) }' ||
        fail "Fashion-MNIST CNN 1 epoch on 2000 images: test accuracy ${acc:-none}, want > 0.5"
else
    echo "note: $FM not installed, Fashion-MNIST part skipped"
fi

[ "$fails" = 0 ] && echo "cli_train: all checks passed"
exit $((fails > 0))
