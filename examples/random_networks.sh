#!/usr/bin/env bash
# random_networks.sh - random networks of several shapes, bundled with the `exact` density
# back-end (the reference's segment kernel, the oracle) and the `fast` one (binned splat +
# separable convolution, the default), rendered, and their quality metrics compared.
#
# For every shape: `nnbundle random` (seeded Glorot weights and random per-class importance,
# no training, no data set), then
#   fast_full   the whole network with `fast` (what you would normally run);
#   exact, fast the same network pruned to at most EXACT_MAX_EDGES edges (importance order),
#               bundled once with each back-end: the exact back-end costs minutes per thousand
#               edges, so it is compared on a pruned copy (no pruning for small networks).
# Every bundle is rendered from camera pose 6, and comparison.txt lists edges, samples,
# mean/max distortion, mean edge-length difference (MELD), ink ratio and bundling time.
#
# usage: examples/random_networks.sh [OUT_DIR]      (default out/example_random_networks)
# environment:
#   NNBUNDLE_BIN     build directory with processor/nnbundle and renderer/nnbundle-render
#                    (default build/release)
#   SHAPES           space-separated layer lists (default "4,9,10 100,30,20,10 784,81,49,10")
#   EXACT_MAX_EDGES  edges kept for the exact/fast comparison (default 200)
#   SEED             seed of the random networks and of bundling (default 1)
#   THREADS          threads (default: all cores)
#   SIZE             screenshot size WxH (default 960x540)
# Runtime on a shared 2-core machine: about 1.5 minutes (see examples/README.md).
set -euo pipefail

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
if [ $# -gt 1 ]; then usage >&2; exit 2; fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${NNBUNDLE_BIN:-$REPO/build/release}
OUT=${1:-$REPO/out/example_random_networks}
SHAPES=${SHAPES:-"4,9,10 100,30,20,10 784,81,49,10"}
EXACT_MAX_EDGES=${EXACT_MAX_EDGES:-200}
SEED=${SEED:-1}
THREADS=${THREADS:-$(nproc)}
SIZE=${SIZE:-960x540}
NNBUNDLE=$BIN/processor/nnbundle
RENDER=$BIN/renderer/nnbundle-render
for exe in "$NNBUNDLE" "$RENDER"; do
    if [ ! -x "$exe" ]; then
        echo "random_networks.sh: $exe not found; build first or set NNBUNDLE_BIN" >&2
        exit 1
    fi
done
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}
mkdir -p "$OUT"
SECONDS=0

# bundle_row NAME FILE: one line of the comparison table, from `nnbundle info FILE`
# (lines "label: value [s]").
bundle_row() {
    "$NNBUNDLE" info "$2" | awk -v name="$1" '
        { i = index($0, ": "); if (i) { k = substr($0, 1, i - 1); v = substr($0, i + 2); split(v, w, " "); val[k] = w[1] } }
        END { printf "%-28s %8s %9s %10s %9s %8s %7s %9s\n", name, val["bundle edges"],
              val["bundle samples"], val["mean distortion"], val["max distortion"],
              val["mean edge length difference"], val["ink ratio"], val["time total"] }'
}

TABLE=$OUT/comparison.txt
printf '%-28s %8s %9s %10s %9s %8s %7s %9s\n' network edges samples distortion max_dist MELD ink time_s >"$TABLE"

for shape in $SHAPES; do
    name=net_${shape//,/-}
    base=$OUT/$name.nnb.h5
    printf '\n== %s\n' "$shape"

    # A random network with random per-class importance: /network + /importance.
    "$NNBUNDLE" random --layers "$shape" -o "$base" --seed "$SEED" --quiet
    edges=$("$NNBUNDLE" info "$base" | awk '/^edges:/ { print $2; exit }')

    # The whole network with the fast back-end.
    cp "$base" "$OUT/${name}_fast_full.nnb.h5"
    "$NNBUNDLE" bundle "$OUT/${name}_fast_full.nnb.h5" --set density=fast --set seed="$SEED" \
        --threads "$THREADS" --quiet
    bundle_row "$shape fast (all)" "$OUT/${name}_fast_full.nnb.h5" | tee -a "$TABLE"

    # exact vs fast on the same (pruned) edges. prune_percentage removes round(p * E) edges
    # in importance order, so p = 1 - EXACT_MAX_EDGES / E keeps EXACT_MAX_EDGES of them.
    # A network that small already is compared whole: its fast bundle is fast_full.
    if [ "$edges" -gt "$EXACT_MAX_EDGES" ]; then
        prune=$(awk -v e="$edges" -v k="$EXACT_MAX_EDGES" 'BEGIN { printf "%.9f", (1 - k / e) }')
        densities="exact fast" what=pruned
    else
        prune=0 densities=exact what=all
        cp "$OUT/${name}_fast_full.nnb.h5" "$OUT/${name}_fast.nnb.h5"
    fi
    for density in $densities; do
        f=$OUT/${name}_$density.nnb.h5
        cp "$base" "$f"
        "$NNBUNDLE" bundle "$f" --set density="$density" --set prune_percentage="$prune" \
            --set seed="$SEED" --threads "$THREADS" --quiet
        bundle_row "$shape $density ($what)" "$f" | tee -a "$TABLE"
    done

    # Render each bundle from the default camera pose, all classes blended.
    for variant in fast_full exact fast; do
        "$RENDER" "$OUT/${name}_$variant.nnb.h5" --screenshot "$OUT/${name}_$variant.png" \
            --size "$SIZE" --camera 6 --quiet
    done
    echo "  rendered ${name}_{fast_full,exact,fast}.png"
done

printf '\n== comparison (%s)\n' "$TABLE"
cat "$TABLE"
echo "distortion = polyline length / straight length (mean, max); MELD = mean edge-length"
echo "difference in world units; ink = occupied cells bundled / straight (docs/metrics.md)."
echo "done in ${SECONDS} s; files in $OUT"
