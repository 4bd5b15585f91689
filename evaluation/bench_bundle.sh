#!/usr/bin/env bash
# bench_bundle.sh - wall time, time per edge and peak memory of `nnbundle bundle` on a ladder
# of random networks up to 784-1000-500-10 (1.29 M edges), default config, 1 and 2 threads.
#
# usage: evaluation/bench_bundle.sh [NNBUNDLE] [options]
#   NNBUNDLE            the nnbundle binary (default build/release/processor/nnbundle);
#                       this script builds nothing: build it first, e.g.
#                         cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
#                         cmake --build build/release --target nnbundle
#   --threads "1 2"     thread counts to run (default "1 2")
#   --runs N            runs per cell; the table shows the median wall time (default 1)
#   --ladder "A B ..."  networks as comma lists (default: the four below)
#   --set KEY=VALUE     passed to every `nnbundle bundle` (e.g. --set density=exact)
#   --keep DIR          keep the networks and stats JSON files in DIR
# Every figure comes from the --stats JSON of each run: "bundle_total" is the bundling time
# (layout to metrics, no file I/O), "wall" the whole command, "peak_rss_bytes" the process's
# peak resident set. Timings on a shared machine are noisy: use --runs 5 and say so.
set -euo pipefail

NNBUNDLE=build/release/processor/nnbundle
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    NNBUNDLE=$1
    shift
fi
THREADS="1 2"
RUNS=1
LADDER="784,81,49,10 784,200,100,10 784,500,250,10 784,1000,500,10"
SETS=()
KEEP=""
while [ $# -gt 0 ]; do
    case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --ladder) LADDER=$2; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
printf "%-18s %10s %11s %7s %10s %10s %12s %10s %9s\n" network edges samples threads \
    "bundle s" "wall s" "us/edge" "RSS MiB" "runs"
for layers in $LADDER; do
    net="$W/net_${layers//,/-}.nnb.h5"
    "$NNBUNDLE" random --layers "$layers" --seed 1 -o "$net" --quiet
    for t in $THREADS; do
        : >"$W/times.txt"
        : >"$W/walls.txt"
        for ((r = 1; r <= RUNS; r++)); do
            stats="$W/stats_${layers//,/-}_t${t}_r${r}.json"
            "$NNBUNDLE" bundle "$net" --threads "$t" --quiet --stats "$stats" "${SETS[@]}"
            json_num "$stats" bundle_total >>"$W/times.txt"
            json_num "$stats" wall >>"$W/walls.txt"
        done
        edges=$(json_num "$stats" edges)
        samples=$(json_num "$stats" samples)
        rss=$(json_num "$stats" peak_rss_bytes)
        tb=$(median <"$W/times.txt")
        tw=$(median <"$W/walls.txt")
        printf "%-18s %10d %11d %7d %10.2f %10.2f %12.2f %10.0f %9d\n" "$layers" "$edges" \
            "$samples" "$t" "$tb" "$tw" "$(awk -v t="$tb" -v e="$edges" 'BEGIN{print t / e * 1e6}')" \
            "$(awk -v r="$rss" 'BEGIN{print r / 1048576}')" "$RUNS"
    done
done
