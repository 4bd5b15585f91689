#!/usr/bin/env bash
# fast_vs_exact.sh - bundles one random network with both density back-ends (`fast`, the
# default, and `exact`, the reference kernel of method.md §4.3 on its true support), prints their
# quality metrics side by side with the relative differences, and renders the two bundles
# from the same camera into a PNG pair.
#
# usage: evaluation/fast_vs_exact.sh [options]
#   --bin DIR           build directory holding processor/nnbundle and
#                       renderer/nnbundle-render (default build/release); this script builds
#                       nothing: build first, e.g.
#                         cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
#                         cmake --build build/release
#   --layers A,B,...    the network (default 100,30,20,10: `exact` takes about a minute per
#                       thread there; its cost grows with samples x (bandwidth / cell)^3)
#   --seed N            seed of `nnbundle random` (default 1)
#   --threads N         threads for both runs (default 2; results do not depend on it)
#   --out DIR           where the files, stats and PNGs go (default evaluation/out/fast_vs_exact)
#   --size WxH          PNG size (default 800x600)
#   --camera K          camera pose 0..9 for both PNGs (default 2)
#   --set KEY=VALUE     processing key for both runs (repeatable)
# Output: DIR/{fast,exact}.nnb.h5, DIR/{fast,exact}.json (--stats), DIR/{fast,exact}.png and
# DIR/metrics.txt (the table printed on stdout). Exit status 0, or 1 if a command failed.
set -euo pipefail

BIN=build/release
LAYERS=100,30,20,10
SEED=1
THREADS=2
OUT=evaluation/out/fast_vs_exact
SIZE=800x600
CAMERA=2
SETS=()
while [ $# -gt 0 ]; do
    case $1 in
    --bin) BIN=$2; shift 2 ;;
    --layers) LAYERS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --camera) CAMERA=$2; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    -h | --help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fast_vs_exact.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
NNBUNDLE=$BIN/processor/nnbundle
RENDER=$BIN/renderer/nnbundle-render
for exe in "$NNBUNDLE" "$RENDER"; do
    if [ ! -x "$exe" ]; then
        echo "fast_vs_exact.sh: no executable at $exe (build first, see --help)" >&2
        exit 1
    fi
done
mkdir -p "$OUT"

# json_num FILE KEY: the first numeric value of "KEY" in a cJSON-printed file
json_num() {
    sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1
}

"$NNBUNDLE" random --layers "$LAYERS" --seed "$SEED" -o "$OUT/network.nnb.h5" --quiet
for d in fast exact; do
    cp "$OUT/network.nnb.h5" "$OUT/$d.nnb.h5"
    echo "bundling $LAYERS with density=$d ($THREADS threads) ..." >&2
    "$NNBUNDLE" bundle "$OUT/$d.nnb.h5" --set density=$d "${SETS[@]}" --threads "$THREADS" \
        --quiet --stats "$OUT/$d.json"
    SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen} "$RENDER" "$OUT/$d.nnb.h5" --quiet \
        --size "$SIZE" --camera "$CAMERA" --set show_legend=false --screenshot "$OUT/$d.png"
done
rm -f "$OUT/network.nnb.h5"

{
    echo "# network $LAYERS (nnbundle random --seed $SEED), $(json_num "$OUT/fast.json" edges) edges," \
        "$THREADS threads${SETS[*]:+, ${SETS[*]}}"
    printf "%-28s %12s %12s %10s\n" metric fast exact "fast/exact"
    for k in mean_distortion max_distortion mean_edge_length_difference ink_ratio samples \
        bundle_total; do
        f=$(json_num "$OUT/fast.json" "$k")
        e=$(json_num "$OUT/exact.json" "$k")
        printf "%-28s %12.4f %12.4f %10.3f\n" "$k" "$f" "$e" "$(awk -v f="$f" -v e="$e" 'BEGIN{print e ? f / e : 0}')"
    done
    echo "# bundle_total: seconds of bundling (layout to metrics, no file I/O)"
    echo "# PNGs: $OUT/fast.png $OUT/exact.png (camera $CAMERA, $SIZE)"
} | tee "$OUT/metrics.txt"
