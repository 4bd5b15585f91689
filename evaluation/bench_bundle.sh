#!/usr/bin/env bash
# bench_bundle.sh - wall time, time per edge and peak memory of `nnbundle bundle` on a ladder
# of random networks from 784-81-49-10 (67,963 edges) to 784-5000-1200-10 (9.93 M edges),
# default config, 1 and 2 threads.
#
# usage: evaluation/bench_bundle.sh [NNBUNDLE] [options]
#   NNBUNDLE            the nnbundle binary (default build/release/processor/nnbundle);
#                       this script builds nothing: build it first, e.g.
#                         cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
#                         cmake --build build/release --target nnbundle
#   --threads "1 2"     thread counts to run (default "1 2")
#   --runs N            runs per cell; the table shows the median wall time (default 1)
#   --ladder "A B ..."  networks as comma lists (default: the six below; "small" = the first
#                       four, up to 1.29 M edges; "big" = the last two)
#   --set KEY=VALUE     passed to every `nnbundle bundle` (e.g. --set density=exact)
#   --compare OLD       also run the binary OLD on every network, alternating with NNBUNDLE
#                       run by run (old/new side by side on a shared machine); its rows are
#                       marked "old"
#   --mpi "1 2"         MPI rank counts: also run `mpirun -n K NNBUNDLE bundle` (1 thread per
#                       rank) where NNBUNDLE was built with -DNB_MPI=ON (its --version says
#                       "(MPI)"; docs/distributed.md); without an MPI build the rows print
#                       "no MPI build". RSS is rank 0's.
#   --keep DIR          keep the networks and stats JSON files in DIR
# Every figure comes from the --stats JSON of each run: "bundle_total" is the bundling time
# (layout to metrics, no file I/O), "wall" the whole command, "peak_rss_bytes" the process's
# peak resident set. Timings on a shared machine are noisy: use --runs 5 and say so; every
# row prints the 1-minute load average seen when it ended.
# The two big rungs need memory: 784-2000-1000-10 (3.58 M edges) about 1.6 GiB, 784-5000-1200-10
# (9.93 M edges) about 5 GiB peak RSS, set by each network's largest layer pair at about
# 800 bytes per edge (docs/bundling.md, "Memory").
set -euo pipefail

NNBUNDLE=build/release/processor/nnbundle
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    NNBUNDLE=$1
    shift
fi
THREADS="1 2"
RUNS=1
SMALL="784,81,49,10 784,200,100,10 784,500,250,10 784,1000,500,10"
BIG="784,2000,1000,10 784,5000,1200,10"
LADDER="$SMALL $BIG"
SETS=()
KEEP=""
OLD=""
MPI=""
while [ $# -gt 0 ]; do
    case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --ladder)
        case $2 in small) LADDER=$SMALL ;; big) LADDER=$BIG ;; *) LADDER=$2 ;; esac
        shift 2 ;;
    --compare) OLD=$2; shift 2 ;;
    --mpi) MPI=$2; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    -h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_bundle.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ ! -x "$NNBUNDLE" ]; then
    echo "bench_bundle.sh: no executable at $NNBUNDLE (build it first, see --help)" >&2
    exit 2
fi

if [ -n "$KEEP" ]; then
    mkdir -p "$KEEP"
    W=$KEEP
else
    W=$(mktemp -d "${TMPDIR:-/tmp}/bench_bundle.XXXXXX")
    trap 'rm -rf "$W"' EXIT
fi

# json_num FILE KEY: the first numeric value of "KEY" in a cJSON-printed file
json_num() {
    sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1
}
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "# nnbundle bundle, default config${SETS[*]:+ plus ${SETS[*]}}; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-18s %-4s %10s %11s %7s %10s %10s %9s %9s %6s %5s\n" network bin edges samples threads \
    "bundle s" "wall s" "us/edge" "RSS MiB" load runs

# row LABEL BIN NET LAYERS THREADS LAUNCH...: RUNS runs of BIN (alternating with the other
# binary is done by the caller), median bundle_total and wall, printed as one table row
declare -A TIMES WALLS LAST
one_run() { # one_run KEY BIN NET THREADS R [LAUNCH...]
    local key=$1 bin=$2 net=$3 t=$4 r=$5
    shift 5
    local stats="$W/stats_${key}_r${r}.json"
    "$@" "$bin" bundle "$net" --threads "$t" --quiet --stats "$stats" "${SETS[@]}"
    TIMES[$key]+="$(json_num "$stats" bundle_total) "
    WALLS[$key]+="$(json_num "$stats" wall) "
    LAST[$key]=$stats
}
print_row() { # print_row KEY LAYERS BINLABEL THREADS
    local key=$1 stats=${LAST[$1]}
    local edges samples rss tb tw
    edges=$(json_num "$stats" edges)
    samples=$(json_num "$stats" samples)
    rss=$(json_num "$stats" peak_rss_bytes)
    tb=$(tr ' ' '\n' <<<"${TIMES[$key]}" | sed '/^$/d' | median)
    tw=$(tr ' ' '\n' <<<"${WALLS[$key]}" | sed '/^$/d' | median)
    printf "%-18s %-4s %10d %11d %7s %10.2f %10.2f %9.2f %9.0f %6s %5d\n" "$2" "$3" "$edges" \
        "$samples" "$4" "$tb" "$tw" "$(awk -v t="$tb" -v e="$edges" 'BEGIN{print t / e * 1e6}')" \
        "$(awk -v r="$rss" 'BEGIN{print r / 1048576}')" "$(cut -d' ' -f1 /proc/loadavg)" "$RUNS"
}
for layers in $LADDER; do
    net="$W/net_${layers//,/-}.nnb.h5"
    "$NNBUNDLE" random --layers "$layers" --seed 1 -o "$net" --quiet
    for t in $THREADS; do
        k="${layers//,/-}_t$t"
        for ((r = 1; r <= RUNS; r++)); do
            one_run "new_$k" "$NNBUNDLE" "$net" "$t" "$r"
            [ -z "$OLD" ] || one_run "old_$k" "$OLD" "$net" "$t" "$r"
        done
        print_row "new_$k" "$layers" new "$t"
        [ -z "$OLD" ] || print_row "old_$k" "$layers" old "$t"
    done
    for k in $MPI; do
        # --- MPI rows (docs/distributed.md): an NB_MPI build, launched by Open MPI's mpirun ---
        if ! command -v mpirun >/dev/null || ! "$NNBUNDLE" --version 2>/dev/null | grep -q "(MPI)"; then
            printf "%-18s %-4s %10s %11s %7s %s\n" "$layers" mpi - - "n=$k" "no MPI build"
            continue
        fi
        key="mpi_${layers//,/-}_n$k"
        for ((r = 1; r <= RUNS; r++)); do
            one_run "$key" "$NNBUNDLE" "$net" 1 "$r" env OMPI_ALLOW_RUN_AS_ROOT=1 \
                OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -n "$k"
        done
        print_row "$key" "$layers" mpi "n=$k"
    done
done
