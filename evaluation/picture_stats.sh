#!/usr/bin/env bash
# evaluation/picture_stats.sh - the picture measures of issue 11 for every README image.
#
# Renders each image of the README's "What it looks like" section with the README's own
# command (the list below mirrors it; keep the two in step), with show_legend off, plus the
# default picture (no --set at all, 1280x720), and prints for each the three figures of
# build/.../evaluation/picture_stats: drawn share (pixels differing from the background by
# more than 48/255 in some channel), mean HSV saturation of those pixels (0..255) and span
# (extent of the drawing as a share of the frame's width or height).
#
# Then the class-view table: for classes 0, 7 and 9, the class view (class_view=class) from the
# side pose (camera 8: layers side by side, input on the left) at 1280x720; for each layer pair
# the slab between the image columns of its two layers (nnbundle-render --verbose prints where
# each layer's nodes land), the share of drawn pixels whose hue is within 20 degrees of the
# class's palette colour, and the count of near-black drawn pixels (every channel < 64).
#
# usage: evaluation/picture_stats.sh BUILD_DIR FILE.nnb.h5 [OUT_DIR]
#   BUILD_DIR  build directory with processor/nnbundle, renderer/nnbundle-render and
#              evaluation/picture_stats
#   FILE       a bundled network (the README's: out/fashion_mnist.nnb.h5)
#   OUT_DIR    where the pictures go (default: a new temporary directory, printed)
# The straight-edge image needs a straight bundle of FILE: it is made in OUT_DIR with
# `nnbundle bundle --set node_advection=false --set edge_advection=false`, as the README says.
set -euo pipefail

if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
BUILD=$1
FILE=$2
OUT=${3:-$(mktemp -d "${TMPDIR:-/tmp}/picture_stats.XXXXXX")}
NB=$BUILD/processor/nnbundle
NBR=$BUILD/renderer/nnbundle-render
PS=$BUILD/evaluation/picture_stats
for exe in "$NB" "$NBR" "$PS"; do
    [ -x "$exe" ] || { echo "picture_stats.sh: [$exe] not found or not executable" >&2; exit 1; }
done
[ -r "$FILE" ] || { echo "picture_stats.sh: [$FILE] cannot read" >&2; exit 1; }
mkdir -p "$OUT"
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}

# name | network (bundled = FILE, straight = FILE re-bundled without advection) | arguments.
# The README's commands (section "What it looks like"), without --screenshot.
IMAGES=(
    "default_1280x720|bundled|--size 1280x720"
    "fashion_straight|straight|--size 960x540"
    "fashion_all|bundled|--size 960x540"
    "fashion_independent|bundled|--size 960x540 --set class_view=independent"
    "fashion_class7|bundled|--size 960x540 --set class_view=class --set class_index=7"
    "fashion_wboit|bundled|--size 960x540 --set transparency=wboit --set background=[0,0,0]"
)

STRAIGHT=$OUT/straight.nnb.h5
straight() {
    if [ ! -f "$STRAIGHT" ]; then
        cp "$FILE" "$STRAIGHT"
        "$NB" bundle "$STRAIGHT" --set node_advection=false --set edge_advection=false --quiet
    fi
    echo "$STRAIGHT"
}

# "x.png: WxH background ... drawn D % saturation S span P ..." -> "D S P"
figures() { sed -n 's/.* drawn \([0-9.]*\) % saturation \([0-9.]*\) span \([0-9.]*\).*/\1 \2 \3/p'; }

echo "pictures in $OUT (show_legend off)"
printf '%-22s %8s %11s %6s\n' image "drawn %" saturation span
for entry in "${IMAGES[@]}"; do
    IFS='|' read -r name net args <<<"$entry"
    src=$FILE
    [ "$net" = straight ] && src=$(straight)
    # shellcheck disable=SC2086  # args is a list of words
    "$NBR" "$src" --screenshot "$OUT/$name.png" $args --set show_legend=false --quiet
    read -r drawn sat span < <("$PS" "$OUT/$name.png" | figures)
    printf '%-22s %8s %11s %6s\n' "$name" "$drawn" "$sat" "$span"
done

# Hue (degrees) of the reference palette colours of classes 0..9 (renderer/core/nb_palette.c).
PALETTE=("0.133 0.545 0.133" "0 0 0.545" "0.69 0.188 0.376" "1 0.271 0" "1 1 0"
         "0.871 0.722 0.529" "0 1 0" "0 1 1" "1 0 1" "0.392 0.584 0.929")
hue_of() {
    awk -v rgb="$1" 'BEGIN { split(rgb, c, " "); r = c[1]; g = c[2]; b = c[3]
        mx = r; if (g > mx) mx = g; if (b > mx) mx = b
        mn = r; if (g < mn) mn = g; if (b < mn) mn = b
        d = mx - mn; if (d <= 0) { print 0; exit }
        if (mx == r) h = (g - b) / d; else if (mx == g) h = (b - r) / d + 2; else h = (r - g) / d + 4
        h *= 60; if (h < 0) h += 360; printf "%.1f\n", h }'
}

SIZE_W=1280
SIZE_H=720
echo
echo "class view from the side (camera 8, ${SIZE_W}x${SIZE_H}): per layer pair, share of drawn"
echo "pixels within 20 degrees of the class hue, and near-black drawn pixels"
printf '%-6s %-6s %-12s %8s %10s %7s\n' class hue pair columns hue_share black
for k in 0 7 9; do
    hue=$(hue_of "${PALETTE[$k]}")
    png=$OUT/class${k}_side.png
    log=$("$NBR" "$FILE" --screenshot "$png" --size "${SIZE_W}x${SIZE_H}" --camera 8 \
        --set class_view=class --set "class_index=$k" --set show_legend=false --verbose 2>&1)
    mapfile -t cols < <(sed -n 's/.*layer [0-9]*: column \([-0-9.]*\).*/\1/p' <<<"$log")
    for ((l = 0; l + 1 < ${#cols[@]}; l++)); do
        read -r x0 x1 < <(awk -v a="${cols[$l]}" -v b="${cols[$((l + 1))]}" -v w="$SIZE_W" 'BEGIN {
            lo = a < b ? a : b; hi = a < b ? b : a
            lo = int(lo); hi = int(hi + 0.999); if (lo < 0) lo = 0; if (hi > w) hi = w
            print lo, hi }')
        line=$("$PS" --hue "$hue" --region "$x0,0,$x1,$SIZE_H" "$png")
        share=$(sed -n 's/.* hue_share \([0-9.]*\).*/\1/p' <<<"$line")
        black=$(sed -n 's/.* black \([0-9]*\) .*/\1/p' <<<"$line")
        printf '%-6s %-6s %-12s %8s %10s %7s\n' "$k" "$hue" "$l ($l-$((l + 1)))" "$x0-$x1" \
            "$share" "$black"
    done
done
