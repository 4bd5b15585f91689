#!/usr/bin/env bash
# compare_networks.sh - the thesis' untrained / trained / L1-trained figure in one command.
#
# Makes three networks of the same architecture (784-81-49-10 on Fashion-MNIST) with
# nnbundle's own commands: untrained (`nnbundle random`: Glorot-uniform weights, seed 1),
# trained (`nnbundle train`, 15 epochs) and trained with an L1 penalty on the weights
# (`nnbundle train --l1 0.001`, the thesis' Keras l1(0.001), method.md §2.1); gives each
# its importance (`nnbundle importance`, bn-gamma, 20 fine-tuning epochs per class), measures
# its test accuracy (`nnbundle evaluate --levels 0`), bundles it (`nnbundle bundle`, default
# processing config) and renders the three side by side with one nnbundle-render command
# each (compare mode: one camera, so equal sizes in world units are equal in pixels):
#   networks.png            the figure: one importance scale for the three (--shared-scale),
#                           otherwise the default rendering config (pose 8, side view), 1800x640
#   networks_own_scale.png  the same without --shared-scale (each panel on its own display
#                           scale, as its file would be drawn alone: compare mode's default)
#   networks_pose6.png      as networks.png from pose 6 (UPPER_BACK_RIGHT, the original's
#                           recording pose)
#   networks_reference.png  the original tool's look (configs/rendering_reference.json: raw
#                           importance, transparent nodes, MIN/MAX) in its grey class-independent
#                           view, pose 6, framed: the closest to the thesis' figure
# and prints the picture measures of each (evaluation/picture_stats: drawn %, saturation,
# span) and the wall time of every step.
#
# usage: evaluation/compare_networks.sh BUILD_DIR OUT_DIR [--quick | --render-only]
#   BUILD_DIR      build directory with processor/nnbundle, renderer/nnbundle-render (and
#                  evaluation/picture_stats for the measures)
#   OUT_DIR        where the networks, logs and figures go (created)
#   --quick        2 training epochs, 2 fine-tuning epochs (a smoke run, under a minute)
#   --render-only  only the renders, from the networks an earlier run left in OUT_DIR
# Environment: NB_DATA (default /usr/share/datasets/fashion-mnist), NB_THREADS (default: all
# cores), SDL_VIDEODRIVER (default offscreen).
set -euo pipefail

if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    [ $# -ge 1 ] && { [ "$1" = "-h" ] || [ "$1" = "--help" ]; } && exit 0
    exit 2
fi
BUILD=$1
OUT=$2
QUICK=0 MAKE=1
case ${3:-} in
"") ;;
--quick) QUICK=1 ;;
--render-only) MAKE=0 ;;
*) echo "compare_networks.sh: unknown option '$3' (try --help)" >&2; exit 2 ;;
esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${NB_DATA:-/usr/share/datasets/fashion-mnist}
NB=$BUILD/processor/nnbundle
NBR=$BUILD/renderer/nnbundle-render
PS=$BUILD/evaluation/picture_stats
for exe in "$NB" "$NBR"; do
    [ -x "$exe" ] || { echo "compare_networks.sh: [$exe] not found or not executable" >&2; exit 1; }
done
[ -f "$DATA/train-images-idx3-ubyte.gz" ] || [ -f "$DATA/train-images-idx3-ubyte" ] ||
    { echo "compare_networks.sh: [$DATA] no Fashion-MNIST here (set NB_DATA)" >&2; exit 1; }

# The choices of evaluation/reproduce.sh (the thesis' settings, method.md §2.1, §2.4).
if [ "$QUICK" = 1 ]; then
    EPOCHS=2 FT_EPOCHS=2
else
    EPOCHS=15 FT_EPOCHS=20
fi
L1_WEIGHT=0.001
SEED=1
SIZE=1800x640
threads_opt=()
[ -n "${NB_THREADS:-}" ] && threads_opt=(--threads "$NB_THREADS")
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}

mkdir -p "$OUT/logs"
T_START=$SECONDS
step() {
    T_STEP=$SECONDS
    printf '%-64s' "$*"
}
step_done() {
    printf ' %4d s\n' $((SECONDS - T_STEP))
}
# run LOGNAME command...: the tool's own output goes to logs/LOGNAME.log
run() {
    local log=$OUT/logs/$1.log
    shift
    if ! "$@" >"$log" 2>&1; then
        echo
        echo "compare_networks.sh: FAILED: $*" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
}

if [ "$MAKE" = 1 ]; then # make, measure and bundle the three networks
step "untrained: nnbundle random (seed $SEED)"
run random "$NB" random --layers 784,81,49,10 -o "$OUT/untrained.nnb.h5" --seed "$SEED"
step_done
step "trained: nnbundle train ($EPOCHS epochs)"
run train "$NB" train --data "$DATA" -o "$OUT/trained.nnb.h5" --layers 81,49 --epochs "$EPOCHS" \
    --seed "$SEED" "${threads_opt[@]}"
step_done
step "L1: nnbundle train --l1 $L1_WEIGHT ($EPOCHS epochs)"
run train_l1 "$NB" train --data "$DATA" -o "$OUT/l1.nnb.h5" --layers 81,49 --epochs "$EPOCHS" \
    --l1 "$L1_WEIGHT" --seed "$SEED" "${threads_opt[@]}"
step_done
for n in untrained trained l1; do
    step "$n: nnbundle importance ($FT_EPOCHS fine-tuning epochs per class)"
    run "importance_$n" "$NB" importance "$OUT/$n.nnb.h5" --data "$DATA" \
        --set importance_method=bn-gamma --set "importance_epochs=$FT_EPOCHS" \
        --set "seed=$SEED" "${threads_opt[@]}"
    step_done
done
for n in untrained trained l1; do
    step "$n: test accuracy (nnbundle evaluate --levels 0)"
    run "evaluate_$n" "$NB" evaluate "$OUT/$n.nnb.h5" --data "$DATA" --out "$OUT/eval_$n" \
        --methods alpha_mean_gamma --levels 0 --sets test "${threads_opt[@]}"
    step_done
done
for n in untrained trained l1; do
    step "$n: nnbundle bundle (default processing config)"
    run "bundle_$n" "$NB" bundle "$OUT/$n.nnb.h5" "${threads_opt[@]}"
    step_done
done
fi # MAKE
acc() { awk -F, '$6 == "accuracy" && $3 == 0 { printf "%.1f", 100 * $8 }' "$OUT/eval_$1/pruning.csv"; }

TITLES="untrained: $(acc untrained) % test accuracy,trained: $(acc trained) %,trained with L1 $L1_WEIGHT: $(acc l1) %"
FILES=("$OUT/untrained.nnb.h5" "$OUT/trained.nnb.h5" "$OUT/l1.nnb.h5")
step "render networks.png (compare mode, --shared-scale, $SIZE)"
run render "$NBR" "${FILES[@]}" --screenshot "$OUT/networks.png" --titles "$TITLES" \
    --size "$SIZE" --shared-scale
step_done
step "render networks_own_scale.png (each panel on its own scale)"
run render_own "$NBR" "${FILES[@]}" --screenshot "$OUT/networks_own_scale.png" \
    --titles "$TITLES" --size "$SIZE"
step_done
step "render networks_pose6.png (pose 6)"
run render_pose6 "$NBR" "${FILES[@]}" --screenshot "$OUT/networks_pose6.png" --titles "$TITLES" \
    --size "$SIZE" --shared-scale --camera 6
step_done
step "render networks_reference.png (the original's settings, grey)"
run render_reference "$NBR" "${FILES[@]}" --screenshot "$OUT/networks_reference.png" \
    --titles "$TITLES" --size "$SIZE" --config "$ROOT/configs/rendering_reference.json" \
    --set class_view=independent --set camera_fit=true
step_done

echo "test accuracy: untrained $(acc untrained) %, trained $(acc trained) %, L1 $(acc l1) %"
echo "the figure's command:"
echo "  nnbundle-render untrained.nnb.h5 trained.nnb.h5 l1.nnb.h5 --screenshot networks.png \\"
echo "      --titles \"$TITLES\" --size $SIZE --shared-scale"
if [ -x "$PS" ]; then
    echo "picture measures (drawn %, mean saturation 0-255, span):"
    "$PS" "$OUT/networks.png" "$OUT/networks_own_scale.png" "$OUT/networks_pose6.png" \
        "$OUT/networks_reference.png"
fi
echo "compare_networks.sh: finished in $((SECONDS - T_START)) s; figures in $OUT"
