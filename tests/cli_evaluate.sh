#!/usr/bin/env bash
# cli_evaluate.sh - `nnbundle evaluate` end to end on a tiny IDX data set: CSV content and
# exact pruned counts, the input file byte-identical afterwards, results independent of the
# thread count, --importance (every importance method pruned by its own scores, class-specific,
# split-half stability), and every bad input an exact exit status with the subject named.
set -u
NB_CLI_TEST_NAME=cli_evaluate
# shared: $NNBUNDLE check, work dir $W, fail/expect, byte/u32/write_idx (IDX fixtures)
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

write_idx "$W/data" train 30 2 2 3 11
write_idx "$W/data" t10k 12 2 2 3 12
write_idx "$W/data9" train 6 3 3 3 13      # 3x3 images: do not fit a 4-input network
write_idx "$W/data9" t10k 6 3 3 3 14
write_idx "$W/data5" train 10 2 2 5 15     # labels 0..4: do not fit a 3-class network
write_idx "$W/data5" t10k 10 2 2 5 16

# Fixtures: a 4-6-3 network with importance (E = 24 + 18 = 42 edges) and one without.
"$NNBUNDLE" train --data "$W/data" --layers 6 --epochs 2 --seed 3 -o "$W/noimp.nnb.h5" --quiet >/dev/null \
    || { echo "FAIL: cannot make the fixture with nnbundle train" >&2; exit 1; }
cp "$W/noimp.nnb.h5" "$W/model.nnb.h5"
"$NNBUNDLE" importance "$W/model.nnb.h5" --data "$W/data" --set importance_epochs=1 --quiet >/dev/null \
    || { echo "FAIL: cannot make the fixture with nnbundle importance" >&2; exit 1; }
sha_before=$(sha256sum "$W/model.nnb.h5" | cut -d' ' -f1)

# --- success ---
expect 0 "" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/data" --out "$W/ev1" \
    --class-specific --threads 1
csv="$W/ev1/pruning.csv"
[ -f "$csv" ] || fail "no pruning.csv"
[ "$(head -1 "$csv")" = "method,scored_class,level_percent,pruned_fraction,set,metric,class,value" ] \
    || fail "pruning.csv header: $(head -1 "$csv")"
# 5 methods x 11 levels x 2 sets x (loss, accuracy, 3 recall, 3 balanced) + random SD rows + header
rows=$(wc -l <"$csv")
[ "$rows" = $((5 * 11 * 2 * 8 + 11 * 2 + 1)) ] || fail "pruning.csv has $rows lines"
for m in alpha_mean_gamma mean_gamma alpha random reverse; do
    n=$(grep -c "^$m,all,.*,test,accuracy,all," "$csv")
    [ "$n" = 11 ] || fail "$m: $n test accuracy rows, want 11"
done
# exact counts: pruned_fraction * 42 == round(level * 42 / 100) on every row
bad=$(awk -F, 'NR > 1 { want = int($3 * 42 / 100 + 0.5); got = $4 * 42;
                        if (got - want > 1e-6 || want - got > 1e-6) print }' "$csv" | head -3)
[ -z "$bad" ] || fail "pruned_fraction is not round(p E)/E: $bad"
# values are fractions
bad=$(awk -F, 'NR > 1 && $6 != "loss" && $8 != "nan" && ($8 < 0 || $8 > 1)' "$csv" | head -3)
[ -z "$bad" ] || fail "metric outside [0,1]: $bad"
grep -q "^random,all,50,0.5,test,accuracy_sd,all," "$csv" || fail "no random SD row at 50 %"
grep -q "pruned%" "$W/out.txt" || fail "no summary table on stdout"
ccsv="$W/ev1/class_specific.csv"
[ -f "$ccsv" ] || fail "no class_specific.csv"
n=$(grep -c "^alpha_mean_gamma,[0-2],.*,test,recall_others_mean," "$ccsv")
[ "$n" = 33 ] || fail "class_specific.csv: $n recall_others_mean test rows, want 33"
grep -q "recall_c > others" "$W/out.txt" || fail "no class-specific summary on stdout"

# the input is byte-identical
[ "$(sha256sum "$W/model.nnb.h5" | cut -d' ' -f1)" = "$sha_before" ] || fail "input file changed"

# results do not depend on the thread count
expect 0 "" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/data" --out "$W/ev2" \
    --class-specific --threads 2 --quiet
cmp -s "$W/ev1/pruning.csv" "$W/ev2/pruning.csv" || fail "pruning.csv differs between 1 and 2 threads"
cmp -s "$W/ev1/class_specific.csv" "$W/ev2/class_specific.csv" || fail "class_specific.csv differs"

# options: levels, methods, sets, draws
expect 0 "" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/data" --out "$W/ev3" \
    --levels 0,50,99.5 --methods alpha,random --sets test --draws 2 --quiet
rows=$(wc -l <"$W/ev3/pruning.csv")
[ "$rows" = $((2 * 3 * 8 + 3 + 1)) ] || fail "subset run: $rows lines"
grep -q "^random,all,99.5,0.999,.*" "$W/ev3/pruning.csv" \
    || grep -q "^random,all,99.5,1,test" "$W/ev3/pruning.csv" || fail "level 99.5 row missing"
grep -q ",train," "$W/ev3/pruning.csv" && fail "--sets test still measured train"

# --importance: each method computed here and pruned by its own edge scores (the file needs no
# /importance), class-specific with the class-blind control, split-half stability, seconds
expect 0 "" -- "$NNBUNDLE" evaluate "$W/noimp.nnb.h5" --data "$W/data" --out "$W/ev4" \
    --importance all --class-specific --stability --levels 0,50 --sets test --threads 1
[ -e "$W/ev4/pruning.csv" ] && fail "stored-importance curves written for a file without them"
icsv="$W/ev4/importance.csv"
[ "$(head -1 "$icsv")" = "method,scored_class,level_percent,pruned_fraction,set,metric,class,value" ] \
    || fail "importance.csv header: $(head -1 "$icsv")"
# 6 methods x 2 levels x 1 set x (loss, accuracy, 3 recall, 3 balanced) + header
rows=$(wc -l <"$icsv")
[ "$rows" = $((6 * 2 * 8 + 1)) ] || fail "importance.csv has $rows lines"
for m in activation bn-gamma magnitude taylor taylor-mean obd; do
    n=$(grep -c "^$m,all,.*,test,accuracy,all," "$icsv")
    [ "$n" = 2 ] || fail "importance.csv: $m has $n accuracy rows, want 2"
    n=$(grep -c "^$m,[0-2],.*,test,recall_others_mean," "$W/ev4/importance_class_specific.csv")
    [ "$n" = 6 ] || fail "importance_class_specific.csv: $m has $n rows, want 6"
    grep -q "^$m,seconds,all," "$W/ev4/importance_methods.csv" || fail "$m: no seconds"
    n=$(grep -c "^$m,spearman_split_half,[01]," "$W/ev4/importance_methods.csv")
    [ "$n" = 2 ] || fail "$m: $n split-half rows, want 2 (layers 0 and 1)"
done
# unpruned accuracy is the same whatever the method
n=$(grep ",all,0,0,test,accuracy,all," "$icsv" | cut -d, -f8 | sort -u | wc -l)
[ "$n" = 1 ] || fail "level 0 accuracy differs between methods"
grep -q "split-half Spearman" "$W/out.txt" || fail "no stability table on stdout"
grep -q "class-blind pruning by the same method" "$W/out.txt" || fail "no class-specific table"
expect 0 "" -- "$NNBUNDLE" evaluate "$W/noimp.nnb.h5" --data "$W/data" --out "$W/ev5" \
    --importance all --class-specific --levels 0,50 --sets test --threads 2 --quiet
cmp -s "$icsv" "$W/ev5/importance.csv" || fail "importance.csv differs between 1 and 2 threads"
cmp -s "$W/ev4/importance_class_specific.csv" "$W/ev5/importance_class_specific.csv" \
    || fail "importance_class_specific.csv differs between 1 and 2 threads"

# a CNN: taylor, taylor-mean and obd are dense-only and skipped; nothing left is an error
SRC=${NB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
FM=/usr/share/datasets/fashion-mnist
if [ -f "$SRC/tests/data/small_cnn.nnb.h5" ] && [ -f "$FM/t10k-images-idx3-ubyte.gz" ]; then
    expect 1 "[--importance]" -- "$NNBUNDLE" evaluate "$SRC/tests/data/small_cnn.nnb.h5" \
        --data "$FM" --out "$W/ev6" --importance taylor,obd --levels 0 --sets test \
        --max-images 100
    grep -qF "no method of the list supports this network" "$W/err.txt" \
        || fail "CNN with dense-only methods: $(cat "$W/err.txt")"
    expect 0 "" -- "$NNBUNDLE" evaluate "$SRC/tests/data/small_cnn.nnb.h5" --data "$FM" \
        --out "$W/ev6" --importance taylor,activation --levels 0,50 --sets test --max-images 300
    grep -q "taylor skipped: dense networks only" "$W/err.txt" || fail "CNN: taylor not skipped"
    n=$(grep -c "^activation,all,.*,test,accuracy,all," "$W/ev6/importance.csv")
    [ "$n" = 2 ] || fail "CNN: $n activation accuracy rows, want 2"
else
    echo "note: small_cnn.nnb.h5 or Fashion-MNIST missing, CNN checks skipped" >&2
fi

# --- errors: exact status and subject ---
expect 1 "[$W/noimp.nnb.h5 /importance]" -- "$NNBUNDLE" evaluate "$W/noimp.nnb.h5" --data "$W/data" --out "$W/e1"
grep -qF "nnbundle importance" "$W/err.txt" || fail "no-importance error does not say to run nnbundle importance"
grep -qF "NB_E_MISSING" "$W/err.txt" || fail "no-importance error is not NB_E_MISSING"
expect 1 "[$W/data9 (test set)]" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/data9" --out "$W/e2"
grep -qF "NB_E_MISMATCH" "$W/err.txt" || fail "image-size mismatch is not NB_E_MISMATCH"
expect 1 "[$W/data5 (test set)]" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/data5" --out "$W/e3"
grep -qF "NB_E_MISMATCH" "$W/err.txt" || fail "label mismatch is not NB_E_MISMATCH"
expect 1 "$W/missing.nnb.h5" -- "$NNBUNDLE" evaluate "$W/missing.nnb.h5" --data "$W/data" --out "$W/e4"
expect 1 "$W/nodata" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/nodata" --out "$W/e5"
touch "$W/afile"
expect 1 "$W/afile/sub" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/data" --out "$W/afile/sub"
[ -e "$W/e1" ] && fail "an output directory was created for a failing run"

# usage errors: status 2
expect 2 "missing output directory" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --data "$W/data"
expect 2 "missing input file" -- "$NNBUNDLE" evaluate --out "$W/e6"
expect 2 "[--levels]" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --out "$W/e6" --levels 10,abc
expect 2 "[--levels]" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --out "$W/e6" --levels 101
expect 2 "[--methods]" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --out "$W/e6" --methods alpha,nope
expect 2 "--sets" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --out "$W/e6" --sets valid
expect 2 "--draws" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --out "$W/e6" --draws 0
expect 2 "unknown option" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --out "$W/e6" --bogus
expect 2 "do not apply" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" --out "$W/e6" --set seed=2
expect 2 "--importance: unknown method 'snip'" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" \
    --out "$W/e6" --importance taylor,snip
expect 2 "--stability needs --importance" -- "$NNBUNDLE" evaluate "$W/model.nnb.h5" \
    --out "$W/e6" --stability
expect 0 "" -- "$NNBUNDLE" evaluate --help
grep -q "usage: nnbundle evaluate" "$W/out.txt" || fail "--help does not print usage on stdout"

[ "$(sha256sum "$W/model.nnb.h5" | cut -d' ' -f1)" = "$sha_before" ] || fail "input file changed"
if [ "$fails" -ne 0 ]; then
    echo "cli_evaluate: $fails failure(s)" >&2
    exit 1
fi
echo "cli_evaluate: all checks passed"
