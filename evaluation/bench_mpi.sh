#!/usr/bin/env bash
# bench_mpi.sh - `nnbundle bundle` in one process (T threads) against `mpirun -n K` ranks
# (T/K threads each) of an NB_MPI build: wall time of both, their ratio, and whether the two
# files are bit-identical (tests/h5_same.sh: every dataset and attribute but time_*).
#
# usage: evaluation/bench_mpi.sh [NNBUNDLE] [options]
#   NNBUNDLE          an nnbundle built with -DNB_MPI=ON (default build/mpi/processor/nnbundle):
#                       cmake -S . -B build/mpi -G Ninja -DCMAKE_BUILD_TYPE=Release -DNB_MPI=ON
#                       cmake --build build/mpi --target nnbundle
#   --ranks K         MPI ranks (default 2)
#   --threads T       threads of the one-process run; each rank gets T/K (default: nproc)
#   --runs N          runs of each, alternating; the table shows medians (default 3)
#   --nets "A B ..."  networks: comma lists for `nnbundle random --seed 1`, or .nnb.h5 files
#                     (copied, never written) (default: 100,30,20,10 784,300,100,10)
#   --set KEY=VALUE   passed to every bundle run
# "bundle" is rank 0's bundle_total from --stats (layout to metrics: rank 0 waits for the
# other ranks' pairs inside it), "wall" the whole command as seen from outside (mpirun's
# start-up included). On a shared machine timings are noisy: the load average is printed.
set -euo pipefail
NNBUNDLE=build/mpi/processor/nnbundle
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then NNBUNDLE=$1; shift; fi
RANKS=2
THREADS=$(nproc)
RUNS=3
NETS="100,30,20,10 784,300,100,10"
SETS=()
while [ $# -gt 0 ]; do
    case $1 in
    --ranks) RANKS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --nets) NETS=$2; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_mpi.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -x "$NNBUNDLE" ] || { echo "bench_mpi.sh: no executable at $NNBUNDLE (see --help)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "bench_mpi.sh: no mpirun (openmpi-bin)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
SAME="$(cd "$(dirname "$0")/.." && pwd)/tests/h5_same.sh"
PER_RANK=$((THREADS / RANKS > 0 ? THREADS / RANKS : 1))
W=$(mktemp -d "${TMPDIR:-/tmp}/bench_mpi.XXXXXX")
trap 'rm -rf "$W"' EXIT

json_num() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
now() { date +%s.%N; }

echo "# nnbundle bundle: 1 process x $THREADS threads vs mpirun -n $RANKS x $PER_RANK threads;" \
    "$(nproc) cores; median of $RUNS alternating runs${SETS[*]:+; ${SETS[*]}}"
printf '%-22s %9s %9s | %9s %9s | %9s %9s | %9s | %s\n' network edges samples "1p bundle" "1p wall" \
    "${RANKS}r bundle" "${RANKS}r wall" "wall ratio" "h5_same"
for net in $NETS; do
    if [ -f "$net" ]; then
        name=$(basename "$net" .nnb.h5)
        cp "$net" "$W/in.nnb.h5"
    else
        name=$net
        "$NNBUNDLE" random --layers "$net" --seed 1 -o "$W/in.nnb.h5" --quiet
    fi
    : >"$W/b1"; : >"$W/w1"; : >"$W/bk"; : >"$W/wk"; loads=""
    for ((r = 0; r < RUNS; r++)); do
        cp "$W/in.nnb.h5" "$W/one.nnb.h5"
        cp "$W/in.nnb.h5" "$W/mpi.nnb.h5"
        t0=$(now)
        "$NNBUNDLE" bundle "$W/one.nnb.h5" --threads "$THREADS" --quiet "${SETS[@]}" \
            --stats "$W/one.json"
        t1=$(now)
        mpirun --oversubscribe -n "$RANKS" "$NNBUNDLE" bundle "$W/mpi.nnb.h5" \
            --threads "$PER_RANK" --quiet "${SETS[@]}" --stats "$W/mpi.json"
        t2=$(now)
        json_num "$W/one.json" bundle_total >>"$W/b1"
        json_num "$W/mpi.json" bundle_total >>"$W/bk"
        awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$W/w1"
        awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }' >>"$W/wk"
        loads="$loads $(cut -d' ' -f1 /proc/loadavg)"
    done
    if bash "$SAME" "$W/one.nnb.h5" "$W/mpi.nnb.h5" >"$W/same.txt" 2>&1; then same="identical"
    else same="DIFFERENT: $(head -n 1 "$W/same.txt")"; fi
    b1=$(median <"$W/b1"); w1=$(median <"$W/w1"); bk=$(median <"$W/bk"); wk=$(median <"$W/wk")
    printf '%-22s %9s %9s | %9.2f %9.2f | %9.2f %9.2f | %9.2f | %s\n' "$name" \
        "$(json_num "$W/one.json" edges)" "$(json_num "$W/one.json" samples)" \
        "$b1" "$w1" "$bk" "$wk" "$(awk -v a="$wk" -v b="$w1" 'BEGIN { print a / b }')" "$same"
    echo "#   $(cat "$W/same.txt"); 1-min load average after each run:$loads"
done
