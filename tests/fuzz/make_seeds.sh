#!/usr/bin/env bash
# make_seeds.sh - writes small valid inputs for the fuzz targets: OUT/idx (IDX images and
# labels files, raw and gzip'd), OUT/npy (.npy images and labels, a class names file),
# OUT/config (the shipped configs, --set lines, flag lists) and
# OUT/h5 (.nnb.h5 files from `nnbundle random` and `nnbundle bundle`, plus one from
# examples/import_pytorch.py when python3-torch and python3-h5py are installed).
# usage: tests/fuzz/make_seeds.sh OUT_DIR [NNBUNDLE_BINARY]
set -euo pipefail
if [ $# -lt 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    echo "usage: $0 OUT_DIR [NNBUNDLE_BINARY (default build/release/processor/nnbundle)]" >&2
    exit 2
fi
OUT=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
NNBUNDLE=${2:-$SRC/build/release/processor/nnbundle}
mkdir -p "$OUT/idx" "$OUT/npy" "$OUT/config" "$OUT/h5"

byte() { printf "\\x$(printf %02x "$1")"; }
u32() { byte $(($1 >> 24 & 255)); byte $(($1 >> 16 & 255)); byte $(($1 >> 8 & 255)); byte $(($1 & 255)); }

# --- IDX: 3 images of 2x2, their labels; gzip'd copies; one real Fashion-MNIST image --------
{ printf '\x00\x00\x08\x03'; u32 3; u32 2; u32 2; printf '\x00\x40\x80\xff\x01\x02\x03\x04\xfe\xfd\xfc\xfb'; } >"$OUT/idx/images_3x2x2.idx"
{ printf '\x00\x00\x08\x01'; u32 3; printf '\x00\x07\x09'; } >"$OUT/idx/labels_3.idx"
{ printf '\x00\x00\x08\x03'; u32 1; u32 1; u32 1; printf '\x80'; } >"$OUT/idx/images_1x1x1.idx"
gzip -9 -n -c "$OUT/idx/images_3x2x2.idx" >"$OUT/idx/images_3x2x2.idx.gz"
gzip -9 -n -c "$OUT/idx/labels_3.idx" >"$OUT/idx/labels_3.idx.gz"
FM=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
if [ -r "$FM" ]; then
    { printf '\x00\x00\x08\x03'; u32 1; u32 28; u32 28
      gzip -dc "$FM" 2>/dev/null | head -c $((16 + 784)) | tail -c 784 || true; } >"$OUT/idx/fashion_1.idx"
fi

# --- NumPy: .npy images (uint8 NHW, float32 NHWC) and labels, a class names file --------------
# npy DESCR SHAPE: a version-1 header (dict padded to a multiple of 64 bytes with the preamble)
npy() {
    local dict="{'descr': '$1', 'fortran_order': False, 'shape': $2, }"
    local hl=$((${#dict} + 1)); local pad=$(((64 - (10 + hl) % 64) % 64)); hl=$((hl + pad))
    printf '\x93NUMPY\x01\x00'; byte $((hl & 255)); byte $((hl >> 8))
    printf '%s%*s\n' "$dict" "$pad" ''
}
{ npy '|u1' '(3, 2, 2)'; printf '\x00\x40\x80\xff\x01\x02\x03\x04\xfe\xfd\xfc\xfb'; } >"$OUT/npy/images_u8_3x2x2.npy"
{ npy '<f4' '(2, 1, 1, 3)'; printf '\x00\x00\x00\x00\x00\x00\x00\x3f\x00\x00\x80\x3f\x00\x00\x00\x00\x00\x00\x00\x3f\x00\x00\x80\x3e'; } >"$OUT/npy/images_f4_nhwc.npy"
{ npy '<i8' '(3,)'; printf '\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00'; } >"$OUT/npy/labels_i8_3.npy"
printf 'T-shirt/top\nTrouser\r\nPullover\n' >"$OUT/npy/names.txt"

# --- configs: the shipped files, --set lines, importance flag lists --------------------------
cp "$SRC/configs/processing.json" "$OUT/config/processing.json"
cp "$SRC/configs/rendering.json" "$OUT/config/rendering.json"
printf 'density=exact\nprune_percentage=0.5\nimportance_flags=gamma,l2\nseed=7\n' >"$OUT/config/set_processing.txt"
printf 'class_view=class\nclass_index=3\nbackground=[0,0,0]\nedge_mode=line\nshow_legend=false\n' >"$OUT/config/set_rendering.txt"
printf 'gamma,l1,centering' >"$OUT/config/flags.txt"
printf '{"layer_width": 2.5, "smoothing": false, "density": "fast"}' >"$OUT/config/small.json"
printf '{"edge_size": 0.05, "background": [0.1, 0.2, 0.3], "transparency": "wboit"}' >"$OUT/config/small_render.json"

# --- .nnb.h5: network + importance, then + bundle ------------------------------------------
if [ -x "$NNBUNDLE" ]; then
    "$NNBUNDLE" random --layers 3,4,2 -o "$OUT/h5/random_3_4_2.nnb.h5" --seed 3 --quiet
    cp "$OUT/h5/random_3_4_2.nnb.h5" "$OUT/h5/bundled_3_4_2.nnb.h5"
    "$NNBUNDLE" bundle "$OUT/h5/bundled_3_4_2.nnb.h5" --quiet --threads 1 \
        --set sampling_rate=5 --set prune_percentage=0.3
    "$NNBUNDLE" random --layers 2,2 -o "$OUT/h5/random_2_2.nnb.h5" --seed 1 --quiet
else
    echo "make_seeds.sh: $NNBUNDLE not found; no .nnb.h5 seeds from nnbundle" >&2
fi
if /usr/bin/python3 -c 'import torch, h5py' 2>/dev/null; then
    W=$(mktemp -d "${TMPDIR:-/tmp}/nb_seeds.XXXXXX")
    trap 'rm -rf "$W"' EXIT
    /usr/bin/python3 - "$W/tiny.pt" <<'EOF'
import sys, torch, torch.nn as nn
torch.manual_seed(5)
torch.save(nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 2)).state_dict(), sys.argv[1])
EOF
    /usr/bin/python3 "$SRC/examples/import_pytorch.py" "$W/tiny.pt" -o "$OUT/h5/import_3_2_2.nnb.h5" \
        --class-names cat,dog --quiet
fi
echo "seeds in $OUT: $(find "$OUT" -type f | wc -l) files"
