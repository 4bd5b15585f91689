#!/usr/bin/env bash
# docs/images/make_look.sh - bundle_look.png of docs/bundling.md ("`fast` against `exact`"):
# one network bundled four ways, side by side, with one camera:
#
#   1. the default (`fast`, fast_kernel_scale 0.7)
#   2. `fast` with fast_kernel_scale 1.5 (the scale whose metrics match `exact`'s)
#   3. `exact` (the reference kernel: about 8 min at 2 threads, 17 min at 1, for 784-81-49-10)
#   4. `fast` with 12 edge iterations instead of 23 (edge_bandwidth_reduction 0.81,
#      edge_step 0.75, smoothing_iterations 12: the quicker schedule of "Performance")
#
# The picture keeps the panel titles and the lower half of the default side view (rows
# 300..629 of 2000x640), where the four differ most on the Fashion-MNIST network: the fans of
# edges from the lowest node of the first hidden layer.
#
# usage: docs/images/make_look.sh BUILD_DIR FILE.nnb.h5 [OUT_DIR]
#   BUILD_DIR  build directory with processor/nnbundle and renderer/nnbundle-render
#   FILE       a network with /importance (the docs use out/fashion_mnist.nnb.h5 from
#              scripts/demo.sh); only read: the four bundles are made from copies
#   OUT_DIR    where bundle_look.png goes (default: the directory of this script)
# Environment: THREADS (default 2). Needs ffmpeg (Debian package ffmpeg). Prints the four
# bundles' metrics (mean distortion, MELD, ink ratio, sharpest turn).
set -euo pipefail

if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
BUILD=$1
FILE=$2
OUT=${3:-$(cd "$(dirname "$0")" && pwd)}
THREADS=${THREADS:-2}
NB=$BUILD/processor/nnbundle
NBR=$BUILD/renderer/nnbundle-render
for exe in "$NB" "$NBR"; do
    [ -x "$exe" ] || { echo "make_look.sh: [$exe] not found or not executable" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "make_look.sh: [ffmpeg] not found (apt-get install ffmpeg)" >&2; exit 1; }
[ -r "$FILE" ] || { echo "make_look.sh: [$FILE] cannot read" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/make_look.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}

# bundle NAME KEY=VALUE...: $TMP/NAME.nnb.h5 and its stats, one metrics line printed
bundle() {
    local name=$1 sets=() kv
    shift
    for kv in "$@"; do sets+=(--set "$kv"); done
    cp "$FILE" "$TMP/$name.nnb.h5"
    "$NB" bundle "$TMP/$name.nnb.h5" --threads "$THREADS" --quiet --stats "$TMP/$name.json" "${sets[@]}"
    python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
m = s["metrics"]
print("%-8s mean distortion %.4f  MELD %.4f  ink ratio %.4f  sharpest turn %.1f deg  (%.1f s)" % (
    sys.argv[2], m["mean_distortion"], m["mean_edge_length_difference"], m["ink_ratio"],
    m["max_turn_degrees"], s["seconds"]["bundle_total"]))' "$TMP/$name.json" "$name"
}
bundle default
bundle scale15 fast_kernel_scale=1.5
bundle exact density=exact
bundle quick edge_bandwidth_reduction=0.81 edge_step=0.75 smoothing_iterations=12

"$NBR" "$TMP/default.nnb.h5" "$TMP/scale15.nnb.h5" "$TMP/exact.nnb.h5" "$TMP/quick.nnb.h5" \
    --screenshot "$TMP/all.png" --size 2000x640 --columns 4 --set show_legend=false --quiet \
    --titles "fast default (kernel scale 0.7),fast kernel scale 1.5,exact (reference kernel),fast 12 iterations"
ffmpeg -loglevel error -y -i "$TMP/all.png" \
    -filter_complex "[0]crop=2000:34:0:0[t];[0]crop=2000:330:0:300[b];[t][b]vstack,format=rgb24" \
    -pred mixed -compression_level 100 "$OUT/bundle_look.png"
echo "make_look.sh: wrote $OUT/bundle_look.png"
