#!/usr/bin/env bash
# fashion_mnist.sh - the whole nnbundle pipeline on Fashion-MNIST, one step at a time:
# train a 784-81-49-10 ReLU network, estimate per-class importance (batch-norm gamma
# fine-tuning), prune + lay out + bundle its edges, describe the file, render screenshots
# from several camera poses and class views, and test the importance with pruning curves.
#
# usage: examples/fashion_mnist.sh [OUT_DIR]      (default out/example_fashion_mnist)
# environment:
#   NNBUNDLE_BIN       build directory with processor/nnbundle and renderer/nnbundle-render
#                      (default build/release; build it with
#                      cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release &&
#                      cmake --build build/release)
#   DATA               IDX data set directory (default /usr/share/datasets/fashion-mnist)
#   EPOCHS             training epochs (default 15)
#   IMPORTANCE_EPOCHS  fine-tuning epochs per class (default 20)
#   PRUNE              share of edges pruned before bundling, [0, 1) (default 0)
#   THREADS            threads for every stage (default: all cores)
#   SIZE               screenshot size WxH (default 1280x720)
# Runtime on a shared 2-core machine: about 1.5-2 minutes (see examples/README.md).
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
if [ $# -gt 1 ]; then usage >&2; exit 2; fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${NNBUNDLE_BIN:-$REPO/build/release}
OUT=${1:-$REPO/out/example_fashion_mnist}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
EPOCHS=${EPOCHS:-15}
IMPORTANCE_EPOCHS=${IMPORTANCE_EPOCHS:-20}
PRUNE=${PRUNE:-0}
THREADS=${THREADS:-$(nproc)}
SIZE=${SIZE:-1280x720}
NNBUNDLE=$BIN/processor/nnbundle
RENDER=$BIN/renderer/nnbundle-render
for exe in "$NNBUNDLE" "$RENDER"; do
    if [ ! -x "$exe" ]; then
        echo "fashion_mnist.sh: $exe not found; build first (see --help) or set NNBUNDLE_BIN" >&2
        exit 1
    fi
done
if [ ! -d "$DATA" ]; then
    echo "fashion_mnist.sh: data directory $DATA not found (Debian: apt-get install dataset-fashion-mnist)" >&2
    exit 1
fi
# Screenshots render offscreen: no display needed.
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}

mkdir -p "$OUT/screenshots"
MODEL=$OUT/fashion_mnist.nnb.h5
step() { printf '\n== %s\n' "$*"; }
SECONDS=0

# 1. Train: 784 inputs (28x28 pixels), hidden layers of 81 and 49 ReLU nodes, 10 softmax
#    outputs, Adam on the cross-entropy. Writes /network (weights, class names, accuracies).
step "1/6 train ($EPOCHS epochs)"
"$NNBUNDLE" train --data "$DATA" -o "$MODEL" --layers 81,49 --epochs "$EPOCHS" --seed 1 \
    --threads "$THREADS"

# 2. Importance: for each class a one-vs-rest fine-tuning of batch-norm gammas; |gamma| is the
#    node's importance for that class, |w| / max|w| the edge's. Adds /importance.
step "2/6 importance (bn-gamma, $IMPORTANCE_EPOCHS epochs per class)"
"$NNBUNDLE" importance "$MODEL" --data "$DATA" --set importance_method=bn-gamma \
    --set importance_epochs="$IMPORTANCE_EPOCHS" \
    --threads "$THREADS"

# 3. Bundle: prune, lay the layers out as planes, then move nodes (node phase) and edge
#    samples (edge phase) along the class-weighted kernel density. Adds /bundle and writes
#    the run's timings and counts to bundle_stats.json.
step "3/6 bundle (prune_percentage $PRUNE)"
"$NNBUNDLE" bundle "$MODEL" --set prune_percentage="$PRUNE" --stats "$OUT/bundle_stats.json" \
    --threads "$THREADS"

# 4. Info: what the file holds, including the bundle's quality metrics (distortion, MELD,
#    ink ratio; docs/metrics.md).
step "4/6 info"
"$NNBUNDLE" info "$MODEL" | tee "$OUT/info.txt"

# 5. Render: key camera poses (0..9, docs/method.md §5.1; 8 is the default) with all classes
#    blended, then class views from pose 6: every class in black with opacity by importance
#    ("independent"), one class at a time ("class", index = output node), and the original
#    tool's MIN/MAX blending instead of the default weighted blended transparency.
step "5/6 render screenshots"
shot() { # shot NAME [renderer options...]
    local name=$1
    shift
    "$RENDER" "$MODEL" --screenshot "$OUT/screenshots/$name.png" --size "$SIZE" --quiet "$@"
    echo "  screenshots/$name.png"
}
for pose in 0 3 6; do
    shot "pose${pose}_all" --camera "$pose"
done
shot pose6_independent --camera 6 --set class_view=independent
shot pose6_class1_trouser --camera 6 --set class_view=class --set class_index=1
shot pose6_class9_ankle_boot --camera 6 --set class_view=class --set class_index=9
shot pose6_minmax --camera 6 --set transparency=minmax
shot pose6_lines_pair1 --camera 6 --set edge_mode=line --layers 1:1
# a short orbit: 12 frames once around the network
"$RENDER" "$MODEL" --frames "$OUT/screenshots/orbit" --count 12 --orbit --size 640x360 --quiet
echo "  screenshots/orbit/frame_00000.png ... (12 frames)"

# 6. Evaluate: zero the lowest-scoring edges at 0..100 % and measure accuracy, for five edge
#    orders (importance-weighted, gamma only, |w| only, random, reverse) and per class. Writes
#    CSV tables; with gnuplot installed, plots them with evaluation/plot_*.gp.
step "6/6 evaluate (pruning curves)"
"$NNBUNDLE" evaluate "$MODEL" --data "$DATA" --out "$OUT/evaluate" --class-specific \
    --threads "$THREADS"
if command -v gnuplot >/dev/null; then
    gnuplot -c "$REPO/evaluation/plot_methods.gp" "$OUT/evaluate" "$OUT/pruning_methods"
    gnuplot -c "$REPO/evaluation/plot_class_specific.gp" "$OUT/evaluate" "$OUT/pruning_class_specific"
    echo "  pruning_methods.png, pruning_class_specific.png"
else
    echo "  (gnuplot not installed: CSV only)"
fi

step "done in ${SECONDS} s"
echo "model:       $MODEL"
echo "screenshots: $OUT/screenshots"
echo "evaluation:  $OUT/evaluate (pruning.csv, class_specific.csv)"
echo "view it:     $RENDER $MODEL"
