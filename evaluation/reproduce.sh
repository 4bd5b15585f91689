#!/usr/bin/env bash
# reproduce.sh - the thesis' evaluation figures on Fashion-MNIST in one command.
#
# Trains the 784-81-49-10 network, computes the importance with the seven importance_flags
# variants of the thesis' bn-gamma method (method.md §2.3, §6.2), runs `nnbundle evaluate`
# (pruning curves of five edge orders, class-specific pruning, the variants; then every
# importance method pruned by its own edge scores, class-blind and class-specific, with its
# run time and split-half stability, on the trained and on the L1-trained network), plots everything with
# gnuplot (evaluation/plot_*.gp) and renders an untrained, a trained and an L1-trained
# network side by side (nnbundle-render's compare mode: one camera, one importance scale).
# Everything goes to evaluation/out/ (override with NB_EVAL_OUT);
# --update-figures also copies the PNGs to evaluation/figures/ (the README shows those).
#
# Usage: evaluation/reproduce.sh [--quick] [--no-render] [--update-figures] [--threads N]
#   --quick           smoke run: 2 training epochs, 2 fine-tuning epochs, 1 random draw
#   --no-render       skip the network comparison figure (bundling + nnbundle-render)
#   --update-figures  copy the final PNGs to evaluation/figures/
#   --threads N       threads for every tool (default: all cores)
# Environment: NB_DATA (default /usr/share/datasets/fashion-mnist), NB_BUILD (default
# build/release; configured and built in Release mode if the binaries are missing),
# NB_EVAL_OUT (default evaluation/out).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${NB_EVAL_OUT:-$ROOT/evaluation/out}
DATA=${NB_DATA:-/usr/share/datasets/fashion-mnist}
BUILD=${NB_BUILD:-$ROOT/build/release}
EVAL=$ROOT/evaluation
QUICK=0 RENDER=1 UPDATE=0 THREADS=0

while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --no-render) RENDER=0 ;;
    --update-figures) UPDATE=1 ;;
    --threads)
        [ $# -ge 2 ] || { echo "reproduce.sh: --threads needs a value" >&2; exit 2; }
        THREADS=$2
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "reproduce.sh: unknown option '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

# The thesis' settings (method.md §2.1, §2.4, §6.2), or a few epochs for a smoke run.
if [ "$QUICK" = 1 ]; then
    EPOCHS=2 FT_EPOCHS=2 DRAWS=1
else
    EPOCHS=15 FT_EPOCHS=20 DRAWS=5
fi
L1_WEIGHT=0.001  # Keras l1(0.001) kernel penalty of the thesis' regularised model (§2.1)
SHOT_SIZE=1800x640 # three 600x640 panels (evaluation/compare_networks.sh makes the same figure)
SEED=1
# importance variants: importance_flags value -> the thesis' name (method.md §2.3)
VARIANTS=(
    "gamma,l1:nobeta_gammaone_l1"
    "gamma:nobeta_gammaone"
    "gamma,l2:nobeta_gammaone_l2"
    "gamma,l1,l2:nobeta_gammaone_l1l2"
    "l1:nobeta_gammazero_l1"
    "centering,l1:beta_gammazero_l1"
    "centering,gamma,l1:beta_gammaone_l1"
)

NB=$BUILD/processor/nnbundle
NBR=$BUILD/renderer/nnbundle-render
LOGS=$OUT/logs
T_START=$SECONDS
STEP=0
N_STEPS=$((7 + ${#VARIANTS[@]} + (RENDER ? 5 : 0)))

step() {
    STEP=$((STEP + 1))
    T_STEP=$SECONDS
    printf '[%2d/%d] %s\n' "$STEP" "$N_STEPS" "$*"
}
step_done() {
    printf '        done in %d s (elapsed %d:%02d)\n' $((SECONDS - T_STEP)) \
        $(((SECONDS - T_START) / 60)) $(((SECONDS - T_START) % 60))
}
# run LOGNAME command...: the tool's own output goes to logs/LOGNAME.log
run() {
    local log=$LOGS/$1.log
    shift
    if ! "$@" >"$log" 2>&1; then
        echo "reproduce.sh: FAILED: $*" >&2
        echo "--- last lines of $log:" >&2
        tail -n 25 "$log" >&2
        exit 1
    fi
}
# run_out LOGNAME OUTFILE command...: stdout to OUTFILE, stderr to logs/LOGNAME.log
run_out() {
    local log=$LOGS/$1.log outfile=$2
    shift 2
    if ! "$@" >"$outfile" 2>"$log"; then
        echo "reproduce.sh: FAILED: $*" >&2
        echo "--- last lines of $log:" >&2
        tail -n 25 "$log" >&2
        exit 1
    fi
}
threads_opt=()
[ "$THREADS" != 0 ] && threads_opt=(--threads "$THREADS")

command -v gnuplot >/dev/null || { echo "reproduce.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
[ -f "$DATA/train-images-idx3-ubyte.gz" ] || [ -f "$DATA/train-images-idx3-ubyte" ] ||
    { echo "reproduce.sh: no Fashion-MNIST in $DATA (apt-get install dataset-fashion-mnist, or set NB_DATA)" >&2; exit 1; }
mkdir -p "$OUT" "$LOGS" "$OUT/eval"

# ---- 1. build ------------------------------------------------------------------------
step "build (Release, $BUILD)"
need_build=0
[ -x "$NB" ] || need_build=1
[ "$RENDER" = 1 ] && [ ! -x "$NBR" ] && need_build=1
if [ "$need_build" = 1 ]; then
    targets=(nnbundle)
    [ "$RENDER" = 1 ] && targets+=(nnbundle-render)
    gen=()
    command -v ninja >/dev/null && gen=(-G Ninja)
    run build-configure cmake -S "$ROOT" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF
    run build cmake --build "$BUILD" --target "${targets[@]}"
else
    echo "        binaries present, not rebuilt (delete $BUILD to force)"
fi
step_done

# ---- 2. train -------------------------------------------------------------------------
MODEL=$OUT/model.nnb.h5
step "train 784-81-49-10 on Fashion-MNIST ($EPOCHS epochs, seed $SEED)"
run train "$NB" train --data "$DATA" -o "$MODEL" --layers 81,49 --epochs "$EPOCHS" --seed "$SEED" "${threads_opt[@]}"
step_done

# ---- 3. importance, seven variants on copies of the same network -----------------------
for v in "${VARIANTS[@]}"; do
    flags=${v%%:*} name=${v##*:}
    step "importance $name (importance_flags=$flags, $FT_EPOCHS fine-tuning epochs per class)"
    cp "$MODEL" "$OUT/imp_$name.nnb.h5"
    run "importance_$name" "$NB" importance "$OUT/imp_$name.nnb.h5" --data "$DATA" \
        --set importance_method=bn-gamma --set "importance_flags=$flags" \
        --set "importance_epochs=$FT_EPOCHS" --set "seed=$SEED" "${threads_opt[@]}"
    step_done
done
MAIN=nobeta_gammaone_l1

# ---- 4. evaluate ----------------------------------------------------------------------
step "evaluate $MAIN: 5 orders x 11 levels, class-specific pruning, test + training set"
run_out "evaluate_$MAIN" "$OUT/summary_$MAIN.txt" "$NB" evaluate "$OUT/imp_$MAIN.nnb.h5" --data "$DATA" \
    --out "$OUT/eval/$MAIN" --class-specific --seed "$SEED" --draws "$DRAWS" "${threads_opt[@]}"
step_done

step "evaluate the other $((${#VARIANTS[@]} - 1)) importance variants (alpha_mean_gamma)"
for v in "${VARIANTS[@]}"; do
    name=${v##*:}
    [ "$name" = "$MAIN" ] && continue
    run "evaluate_$name" "$NB" evaluate "$OUT/imp_$name.nnb.h5" --data "$DATA" --out "$OUT/eval/$name" \
        --methods alpha_mean_gamma --seed "$SEED" "${threads_opt[@]}"
done
step_done

step "every importance method on its own edge scores (--importance all --class-specific --stability)"
run_out "evaluate_importance" "$OUT/summary_importance.txt" "$NB" evaluate "$MODEL" --data "$DATA" \
    --out "$OUT/eval/importance" --importance all --class-specific --stability \
    --levels 0,50,60,70,80,90 --sets test --seed "$SEED" "${threads_opt[@]}"
if [ "$QUICK" = 0 ]; then
    run train_l1_eval "$NB" train --data "$DATA" -o "$OUT/model_l1.nnb.h5" --layers 81,49 \
        --epochs "$EPOCHS" --l1 "$L1_WEIGHT" --seed "$SEED" "${threads_opt[@]}"
    run_out "evaluate_importance_l1" "$OUT/summary_importance_l1.txt" "$NB" evaluate \
        "$OUT/model_l1.nnb.h5" --data "$DATA" --out "$OUT/eval/importance_l1" --importance all \
        --class-specific --levels 0,50,60,70,80,90 --sets test --seed "$SEED" "${threads_opt[@]}"
fi
step_done

# ---- 5. plots -------------------------------------------------------------------------
step "plots (gnuplot: methods, class-specific, regularisers, BN parameters)"
E=$OUT/eval
run plot_methods gnuplot -c "$EVAL/plot_methods.gp" "$E/$MAIN" "$OUT/methods" \
    "Fashion-MNIST 784-81-49-10, importance γ init 1 + L1"
run plot_class_specific gnuplot -c "$EVAL/plot_class_specific.gp" "$E/$MAIN" "$OUT/class_specific" \
    "Fashion-MNIST 784-81-49-10"
run plot_regularisers gnuplot -c "$EVAL/plot_variants.gp" "$OUT/regularisers" \
    "Regulariser on γ during fine-tuning (γ init 1, no β), pruned by α · mean γ" "$E/$MAIN" \
    "$E/nobeta_gammaone $E/nobeta_gammaone_l1 $E/nobeta_gammaone_l2 $E/nobeta_gammaone_l1l2"
run plot_bn_parameters gnuplot -c "$EVAL/plot_variants.gp" "$OUT/bn_parameters" \
    "Batch-norm parameters during fine-tuning (all with L1 on γ), pruned by α · mean γ" "$E/$MAIN" \
    "$E/nobeta_gammaone_l1 $E/nobeta_gammazero_l1 $E/beta_gammaone_l1 $E/beta_gammazero_l1"
step_done

# ---- 6. network comparison ------------------------------------------------------------
if [ "$RENDER" = 1 ]; then
    step "untrained network (nnbundle random, same layers) + importance"
    run random "$NB" random --layers 784,81,49,10 -o "$OUT/net_untrained.nnb.h5" --seed "$SEED"
    run importance_untrained "$NB" importance "$OUT/net_untrained.nnb.h5" --data "$DATA" \
        --set "seed=$SEED" "${threads_opt[@]}"
    step_done

    step "L1-trained network (--l1 $L1_WEIGHT, $EPOCHS epochs) + importance"
    run train_l1 "$NB" train --data "$DATA" -o "$OUT/net_l1.nnb.h5" --layers 81,49 --epochs "$EPOCHS" \
        --l1 "$L1_WEIGHT" --seed "$SEED" "${threads_opt[@]}"
    run importance_l1 "$NB" importance "$OUT/net_l1.nnb.h5" --data "$DATA" \
        --set "seed=$SEED" "${threads_opt[@]}"
    # the three pictures with the default importance method (activation)
    cp "$MODEL" "$OUT/net_trained.nnb.h5"
    run importance_trained "$NB" importance "$OUT/net_trained.nnb.h5" --data "$DATA" \
        --set "seed=$SEED" "${threads_opt[@]}"
    step_done

    step "test accuracy of the three networks"
    for n in untrained trained l1; do
        run "evaluate_net_$n" "$NB" evaluate "$OUT/net_$n.nnb.h5" --data "$DATA" --out "$E/net_$n" \
            --methods alpha_mean_gamma --levels 0 --sets test "${threads_opt[@]}"
    done
    acc() { awk -F, '$6 == "accuracy" && $3 == 0 { printf "%.1f", 100 * $8 }' "$E/net_$1/pruning.csv"; }
    step_done

    step "bundle the three networks (nnbundle bundle, default processing config)"
    for n in untrained trained l1; do
        run "bundle_$n" "$NB" bundle "$OUT/net_$n.nnb.h5" "${threads_opt[@]}"
    done
    step_done

    step "render the three side by side (nnbundle-render compare mode, $SHOT_SIZE)"
    titles="untrained: $(acc untrained) % test accuracy,trained: $(acc trained) %,trained with L1 $L1_WEIGHT: $(acc l1) %"
    run render env SDL_VIDEODRIVER="${SDL_VIDEODRIVER:-offscreen}" "$NBR" "$OUT/net_untrained.nnb.h5" \
        "$OUT/net_trained.nnb.h5" "$OUT/net_l1.nnb.h5" --screenshot "$OUT/networks.png" \
        --titles "$titles" --size "$SHOT_SIZE" --shared-scale
    step_done
fi

# ---- 7. summary -----------------------------------------------------------------------
step "summary"
{
    echo "reproduce.sh on $(hostname), $(nproc) cores, threads=${THREADS/#0/all}, quick=$QUICK"
    echo "wall time: $((SECONDS - T_START)) s"
    echo
    cat "$OUT/summary_$MAIN.txt"
    echo
    echo "every importance method, trained network (nnbundle evaluate --importance all):"
    cat "$OUT/summary_importance.txt"
    if [ -f "$OUT/summary_importance_l1.txt" ]; then
        echo
        echo "every importance method, L1-trained network (--l1 $L1_WEIGHT):"
        cat "$OUT/summary_importance_l1.txt"
    fi
    echo
    echo "alpha_mean_gamma pruning, test accuracy per importance variant (same trained network)"
    printf '%-24s' "pruned%"
    awk -F, '$1 == "alpha_mean_gamma" && $5 == "test" && $6 == "accuracy" { printf " %6s", $3 }' \
        "$OUT/eval/$MAIN/pruning.csv"
    echo
    for v in "${VARIANTS[@]}"; do
        name=${v##*:}
        printf '%-24s' "$name"
        awk -F, '$1 == "alpha_mean_gamma" && $5 == "test" && $6 == "accuracy" { printf " %6.4f", $8 }' \
            "$OUT/eval/$name/pruning.csv"
        echo
    done
    if [ "$RENDER" = 1 ]; then
        echo
        echo "network comparison: test accuracy untrained $(acc untrained) %, trained $(acc trained) %," \
            "L1 $L1_WEIGHT $(acc l1) %"
    fi
} >"$OUT/summary.txt"
if [ "$UPDATE" = 1 ]; then
    mkdir -p "$EVAL/figures"
    for f in methods class_specific regularisers bn_parameters networks; do
        [ -f "$OUT/$f.png" ] && cp "$OUT/$f.png" "$EVAL/figures/$f.png"
    done
    cp "$OUT/summary.txt" "$EVAL/figures/summary.txt"
    echo "        copied the PNGs and summary.txt to $EVAL/figures/"
fi
step_done
echo "reproduce.sh: finished in $((SECONDS - T_START)) s; figures and CSVs in $OUT"
