#!/usr/bin/env bash
# cli_mpi.sh - `mpirun -n K nnbundle bundle` (an NB_MPI build) writes the file a single process
# writes, bit for bit (tests/h5_same.sh: every dataset and attribute, timings aside), for 2 and
# 3 ranks, with pruning, and with more ranks than layer pairs; rank 0 streams the pairs (its
# peak memory stays below the polylines of the whole network); only rank 0 prints; errors
# name the rank; other commands refuse to run on several ranks.
set -uo pipefail
NB_CLI_TEST_NAME=cli_mpi
. "$(dirname "$0")/cli_lib.sh"
SAME="$(dirname "$0")/h5_same.sh"
if [ "$(id -u)" -eq 0 ]; then # Open MPI refuses root unless told (CI containers run as root)
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
MPIRUN=(mpirun --oversubscribe)
FAST=(--set sampling_rate=8) # fewer iterations and cells than the default 15: a quicker test

# one network, a copy per run; $1 = name, rest: random's --layers
net() { "$NNBUNDLE" random --layers "$2" --seed 7 -o "$W/$1.nnb.h5" --quiet || fail "random $2"; }
same() { bash "$SAME" "$1" "$2" >"$W/same.txt" 2>&1 || { fail "$3: $(cat "$W/same.txt")"; return; }; }

# the build says it has MPI
"$NNBUNDLE" --version | grep -qx "nnbundle [0-9.]* (MPI)" || fail "--version does not say (MPI)"

net base 30,20,12,6
for run in single r2 r3 pruned1 pruned3; do cp "$W/base.nnb.h5" "$W/$run.nnb.h5"; done
expect 0 "" -- "$NNBUNDLE" bundle "$W/single.nnb.h5" "${FAST[@]}" --threads 1 --quiet
expect 0 "" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle "$W/r2.nnb.h5" "${FAST[@]}" --threads 1 \
    --quiet \
    --stats "$W/r2.json"
same "$W/single.nnb.h5" "$W/r2.nnb.h5" "2 ranks"
grep -q '^same: 22 datasets' "$W/same.txt" || fail "h5_same compared $(cat "$W/same.txt")"
grep -q '"ranks":[[:space:]]*2' "$W/r2.json" || fail "--stats lacks \"ranks\": 2"
expect 0 "" -- "${MPIRUN[@]}" -n 3 "$NNBUNDLE" bundle "$W/r3.nnb.h5" "${FAST[@]}" --threads 1 --quiet
same "$W/single.nnb.h5" "$W/r3.nnb.h5" "3 ranks"
expect 0 "" -- "$NNBUNDLE" bundle "$W/pruned1.nnb.h5" "${FAST[@]}" --set prune_percentage=0.6 --quiet
expect 0 "" -- "${MPIRUN[@]}" -n 3 "$NNBUNDLE" bundle "$W/pruned3.nnb.h5" "${FAST[@]}" \
    --set prune_percentage=0.6 --quiet
same "$W/pruned1.nnb.h5" "$W/pruned3.nnb.h5" "3 ranks, pruned"

# without edge advection (only the final resample runs) and without node advection
for off in edge_advection node_advection; do
    cp "$W/base.nnb.h5" "$W/${off}1.nnb.h5"
    cp "$W/base.nnb.h5" "$W/${off}2.nnb.h5"
    expect 0 "" -- "$NNBUNDLE" bundle "$W/${off}1.nnb.h5" "${FAST[@]}" --set $off=false --quiet
    expect 0 "" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle "$W/${off}2.nnb.h5" "${FAST[@]}" \
        --set $off=false --quiet
    same "$W/${off}1.nnb.h5" "$W/${off}2.nnb.h5" "2 ranks, $off=false"
done

# one layer pair, two ranks: rank 1 has nothing to do
net one 12,5
cp "$W/one.nnb.h5" "$W/one2.nnb.h5"
expect 0 "" -- "$NNBUNDLE" bundle "$W/one.nnb.h5" "${FAST[@]}" --quiet
expect 0 "" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle "$W/one2.nnb.h5" "${FAST[@]}" --quiet
same "$W/one.nnb.h5" "$W/one2.nnb.h5" "one pair on 2 ranks"

# rank 0 streams the pairs to its scratch file as they arrive: it never holds every polyline.
# 16 pairs of 10,000 edges, straight and finely sampled (24 M points, 275 MiB of polylines):
# gathering them all peaked at 617 MiB on rank 0, streaming at 199 MiB
net deep 100,100,100,100,100,100,100,100,100,100,100,100,100,100,100,100,100,4
cp "$W/deep.nnb.h5" "$W/deep2.nnb.h5"
DEEP=(--set edge_advection=false --set node_advection=false --set sampling_rate=200)
expect 0 "" -- "$NNBUNDLE" bundle "$W/deep.nnb.h5" "${DEEP[@]}" --quiet
expect 0 "" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle "$W/deep2.nnb.h5" "${DEEP[@]}" --threads 1 \
    --quiet --stats "$W/deep2.json"
same "$W/deep.nnb.h5" "$W/deep2.nnb.h5" "2 ranks, 16 pairs streamed"
json_int() { sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([0-9]*\),\{0,1\}$/\1/p" "$W/deep2.json"; }
rss=$(json_int peak_rss_bytes)
samples=$(json_int samples)
[ "${samples:-0}" -gt 20000000 ] || fail "deep network has ${samples:-?} samples, expected > 20 M"
[ "${rss:-0}" -gt 0 ] && [ "$rss" -lt $((samples * 12)) ] ||
    fail "rank 0 peaked at ${rss:-?} bytes, not below the $((samples * 12)) bytes of all polylines"
rm -f "$W/deep.nnb.h5" "$W/deep2.nnb.h5"

# the comparison can fail: another edge_step is another bundle
cp "$W/base.nnb.h5" "$W/other.nnb.h5"
expect 0 "" -- "$NNBUNDLE" bundle "$W/other.nnb.h5" "${FAST[@]}" --set edge_step=0.45 --quiet
bash "$SAME" "$W/single.nnb.h5" "$W/other.nnb.h5" >/dev/null 2>&1 &&
    fail "h5_same found two different bundles the same"

# only rank 0 reports progress and the result
cp "$W/base.nnb.h5" "$W/talk.nnb.h5"
expect 0 "" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle "$W/talk.nnb.h5" "${FAST[@]}"
[ "$(grep -c '^bundled ' "$W/err.txt")" = 1 ] || fail "not one 'bundled' line: $(cat "$W/err.txt")"
[ "$(grep -c '^edge phase.*: 100%' "$W/err.txt")" = 1 ] || fail "not one edge phase bar"
[ "$(grep -c '^gather and metrics: 100% (6/6)' "$W/err.txt")" = 1 ] ||
    fail "not one bar over the 3 pairs' gather and metrics: $(cat "$W/err.txt")"

# errors: every rank names itself; the input stays as it was
expect 1 "nnbundle [rank 1]: [$W/missing.nnb.h5]" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle \
    "$W/missing.nnb.h5" "${FAST[@]}" --quiet
grep -qF "nnbundle [rank 0]: [$W/missing.nnb.h5]" "$W/err.txt" || fail "rank 0 did not report"
sha=$(sha256sum "$W/base.nnb.h5" | cut -d' ' -f1)
expect 1 "[rank 1]: [--set edge_step]" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle \
    "$W/base.nnb.h5" "${FAST[@]}" --set edge_step=7 --quiet
grep -q "NB_E_CONFIG" "$W/err.txt" || fail "bad --set under mpirun is not NB_E_CONFIG"
[ "$(sha256sum "$W/base.nnb.h5" | cut -d' ' -f1)" = "$sha" ] || fail "failed run changed the input"
# FILE being written by another process: rank 0 cannot take its lock, and every rank stops
cp "$W/base.nnb.h5" "$W/locked.nnb.h5"
flock -x "$W/locked.nnb.h5.nblock" sleep 60 &
lpid=$!
for _ in $(seq 1 100); do flock -n -x "$W/locked.nnb.h5.nblock" true || break; sleep 0.05; done
expect 1 "nnbundle [rank 1]: [rank 0] failed" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" bundle \
    "$W/locked.nnb.h5" "${FAST[@]}" --quiet
grep -q "nnbundle \[rank 0\]: .*locked.nnb.h5" "$W/err.txt" || fail "rank 0 did not name FILE"
kill "$lpid"
wait "$lpid" 2>/dev/null

# another command on several ranks would write its output K times: refused
expect 1 "only \`nnbundle bundle\` runs distributed" -- "${MPIRUN[@]}" -n 2 "$NNBUNDLE" \
    random --layers 4,3 -o "$W/twice.nnb.h5"
[ -e "$W/twice.nnb.h5" ] && fail "random under mpirun wrote a file"

[ "$fails" -eq 0 ] && echo "cli_mpi: all passed"
exit $((fails > 0))
