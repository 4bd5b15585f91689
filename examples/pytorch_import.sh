#!/usr/bin/env bash
# pytorch_import.sh - a network trained in PyTorch, visualised with nnbundle: train a
# 784-81-49-10 MLP on Fashion-MNIST with torch (examples/train_pytorch_example.py), convert its
# state_dict to .nnb.h5 (examples/import_pytorch.py), check that nnbundle's forward pass gives
# the accuracy torch measured, then estimate importance, bundle, describe and render it.
#
# usage: examples/pytorch_import.sh [OUT_DIR]      (default out/example_pytorch_import)
# environment:
#   NNBUNDLE_BIN       build directory with processor/nnbundle and renderer/nnbundle-render
#                      (default build/release)
#   PYTHON             Python with torch, h5py, numpy (default /usr/bin/python3: Debian's
#                      python3-torch python3-h5py python3-numpy)
#   DATA               IDX data set directory (default /usr/share/datasets/fashion-mnist)
#   EPOCHS             torch training epochs (default 5)
#   IMPORTANCE_EPOCHS  fine-tuning epochs per class (default 20)
#   THREADS            threads (default: all cores)
# Runtime on a shared 2-core machine: about 3-4 minutes (see examples/README.md).
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
if [ $# -gt 1 ]; then usage >&2; exit 2; fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${NNBUNDLE_BIN:-$REPO/build/release}
OUT=${1:-$REPO/out/example_pytorch_import}
PYTHON=${PYTHON:-/usr/bin/python3}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
EPOCHS=${EPOCHS:-5}
IMPORTANCE_EPOCHS=${IMPORTANCE_EPOCHS:-20}
THREADS=${THREADS:-$(nproc)}
NNBUNDLE=$BIN/processor/nnbundle
RENDER=$BIN/renderer/nnbundle-render
for exe in "$NNBUNDLE" "$RENDER"; do
    if [ ! -x "$exe" ]; then
        echo "pytorch_import.sh: $exe not found; build first or set NNBUNDLE_BIN" >&2
        exit 1
    fi
done
if ! "$PYTHON" -c 'import torch, h5py, numpy' 2>/dev/null; then
    echo "pytorch_import.sh: $PYTHON lacks torch/h5py/numpy (Debian: apt-get install python3-torch python3-h5py python3-numpy)" >&2
    exit 1
fi
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}
mkdir -p "$OUT"
PT=$OUT/mlp.pt
MODEL=$OUT/mlp.nnb.h5
step() { printf '\n== %s\n' "$*"; }
SECONDS=0

# 1. Train in PyTorch: nn.Sequential(Flatten, Linear(784,81), ReLU, Linear(81,49), ReLU,
#    Linear(49,10)), Adam, seeded. Writes the state_dict and a JSON file with its accuracies.
step "1/6 train with PyTorch ($EPOCHS epochs)"
"$PYTHON" "$REPO/examples/train_pytorch_example.py" --data "$DATA" -o "$PT" --layers 81,49 \
    --epochs "$EPOCHS" --seed 1 --threads "$THREADS"
meta() { "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$PT.json" "$1"; }
TORCH_TEST_ACC=$(meta test_accuracy)

# 2. Import: the Linear weights are [out, in] in PyTorch and in .nnb.h5 alike, so they are
#    copied as they are; the provenance goes into /network's attributes.
step "2/6 import_pytorch.py"
"$PYTHON" "$REPO/examples/import_pytorch.py" "$PT" -o "$MODEL" --class-names fashion-mnist \
    --dataset "$DATA" --epochs "$EPOCHS" --seed 1 \
    --train-accuracy "$(meta train_accuracy)" --test-accuracy "$TORCH_TEST_ACC"
"$NNBUNDLE" info "$MODEL"

# 3. Importance on the imported network (batch-norm gamma fine-tuning per class).
step "3/6 importance (bn-gamma)"
"$NNBUNDLE" importance "$MODEL" --data "$DATA" --set importance_method=bn-gamma \
    --set importance_epochs="$IMPORTANCE_EPOCHS" \
    --threads "$THREADS"

# 4. Check: nnbundle's own forward pass on the test set (evaluate at 0 % pruning) must give
#    the accuracy torch measured: same weights, same ReLU/softmax network.
step "4/6 check the import: nnbundle's test accuracy vs torch's"
"$NNBUNDLE" evaluate "$MODEL" --data "$DATA" --out "$OUT/evaluate" --levels 0 --methods alpha \
    --sets test --threads "$THREADS" --quiet >/dev/null
NB_TEST_ACC=$(awk -F, '$1 == "alpha" && $5 == "test" && $6 == "accuracy" && $7 == "all" { print $8 }' \
    "$OUT/evaluate/pruning.csv")
echo "test accuracy: torch $TORCH_TEST_ACC, nnbundle $NB_TEST_ACC"
# float32 sums in a different order may flip an image that sits on a decision boundary
if ! awk -v a="$TORCH_TEST_ACC" -v b="$NB_TEST_ACC" 'BEGIN { d = a - b; exit !(b != "" && d < 0.001 && d > -0.001) }'; then
    echo "pytorch_import.sh: the imported network does not reproduce torch's accuracy" >&2
    exit 1
fi

# 5. Bundle and describe.
step "5/6 bundle + info"
"$NNBUNDLE" bundle "$MODEL" --threads "$THREADS"
"$NNBUNDLE" info "$MODEL" | tee "$OUT/info.txt"

# 6. One screenshot from the default camera pose.
step "6/6 render"
"$RENDER" "$MODEL" --screenshot "$OUT/mlp.png" --size 1280x720 --camera 6 --quiet
echo "  $OUT/mlp.png"

step "done in ${SECONDS} s"
echo "view it: $RENDER $MODEL"
