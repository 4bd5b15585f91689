#!/usr/bin/env bash
# bench_cnn_train.sh - issue 12's must-show: the CNN conv32-pool-conv64-pool-fc128-fc10 trained
# by `nnbundle train --arch` on Fashion-MNIST, and the same network, epochs, batch and optimiser
# in PyTorch (evaluation/train_cnn_torch.py), one after the other at the same thread count
# (nnbundle: --threads caps, and its step tuner runs each step on 1 or all of them, whichever
# measured faster; its switches are printed; PyTorch: torch.set_num_threads).
# Prints each run's accuracies, wall and CPU time, and the load average before and after each
# run (the figures only compare on an otherwise idle machine; say the load when quoting them).
#
# usage: evaluation/bench_cnn_train.sh [EPOCHS [BATCH [THREADS]]]
# env:   NNBUNDLE (default build/release/processor/nnbundle), DATA (Fashion-MNIST IDX dir),
#        OUT (default evaluation/out/bench_cnn), ARCH, LR, SEED, SKIP_TORCH=1 (nnbundle only),
#        PYTHON (default /usr/bin/python3, Debian's, which has python3-torch),
#        OMP_WAIT_POLICY (default passive for both runs: on a shared machine, spinning OpenMP
#        threads wait for partners that are descheduled; results do not depend on it)
#
# Measured 2026-12-07 on the 2-vCPU AMD EPYC VM shared with other sessions, 5 epochs, batch 64,
# --threads 2 / torch.set_num_threads(2), nnbundle c53e57c (the commit that last changed the
# engine), PyTorch 1.13 (Debian python3-torch):
#   load 2.0-3.2:  nnbundle test accuracy 0.9178, 264.6 s wall, 283.6 s user CPU
#                  PyTorch  test accuracy 0.9156, 302.3 s wall, 348.9 s user + 220.0 s system
#   load 4.8-9.4:  nnbundle 0.9178, 413.7 s wall, 311.4 s user; PyTorch 0.9156, 475.0 s wall
# nnbundle reached >= 0.90 test accuracy after epoch 3 (0.9038); its losses were the same to the
# last printed digit in both runs although its step tuner chose different thread counts.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${1:-5}
BATCH=${2:-64}
THREADS=${3:-2}
NNBUNDLE=${NNBUNDLE:-build/release/processor/nnbundle}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
OUT=${OUT:-evaluation/out/bench_cnn}
ARCH=${ARCH:-conv32-pool-conv64-pool-fc128-fc10}
LR=${LR:-0.001}
SEED=${SEED:-1}
mkdir -p "$OUT"

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "settings: $ARCH, $EPOCHS epochs, batch $BATCH, Adam lr $LR, $THREADS threads, seed $SEED," \
    "OMP_WAIT_POLICY ${OMP_WAIT_POLICY:-passive}"

# run NAME CMD...: runs CMD with OMP/OpenBLAS/MKL limited to $THREADS, keeps stdout/stderr in
# $OUT/NAME.{out,err}, prints the load before/after and the wall/user/system seconds
run() {
    local name=$1
    shift
    echo
    echo "== $name"
    echo "load average before: $(load)"
    OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS \
        OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} \
        /usr/bin/time -f "time: %e s wall, %U s user, %S s system" -o "$OUT/$name.time" \
        "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
    echo "load average after:  $(load)"
    grep -E "^epoch .*done in" "$OUT/$name.err" | sed 's/^/  /' || true
    # nnbundle's step tuner (--threads caps; each step runs on 1 or all by measured speed)
    grep -E "debug: training: " "$OUT/$name.err" | sed 's/^/  /' || true
    cat "$OUT/$name.out" "$OUT/$name.time"
}

run nnbundle "$NNBUNDLE" train --data "$DATA" --arch "$ARCH" --epochs "$EPOCHS" \
    --batch "$BATCH" --lr "$LR" --seed "$SEED" --threads "$THREADS" --verbose -o "$OUT/cnn.nnb.h5"
if [ "${SKIP_TORCH:-0}" != 1 ]; then
    run pytorch "${PYTHON:-/usr/bin/python3}" evaluation/train_cnn_torch.py --data "$DATA" --arch "$ARCH" \
        --epochs "$EPOCHS" --batch "$BATCH" --lr "$LR" --seed "$SEED" --threads "$THREADS"
fi

echo
echo "== summary (test accuracy, wall seconds, user CPU seconds)"
for name in nnbundle pytorch; do
    [ -e "$OUT/$name.out" ] || continue
    acc=$(sed -n 's/^test accuracy: //p' "$OUT/$name.out")
    wall=$(sed -n 's/^time: \([0-9.]*\) s wall, \([0-9.]*\) s user.*/\1/p' "$OUT/$name.time")
    user=$(sed -n 's/^time: \([0-9.]*\) s wall, \([0-9.]*\) s user.*/\2/p' "$OUT/$name.time")
    printf "%-9s test accuracy %s  wall %8s s  user %8s s\n" "$name" "$acc" "$wall" "$user"
done
