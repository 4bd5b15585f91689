#!/usr/bin/env bash
# docs/images/make_reading.sh - the annotated pictures of docs/reading.md.
#
# Renders a bundled network with nnbundle-render and writes labels, boxes and arrows on the
# pictures with ffmpeg (drawtext with DejaVu Sans, drawbox). Every label is placed from what
# `nnbundle-render --verbose` prints about the rendered frame: the image column and row range
# of each layer's nodes and the pixel of each output node (class), so the labels follow the
# network when it is re-bundled or replaced.
#
#   reading_layers.png  the default picture, layers and output nodes named
#   reading_stages.png  laid out / after the node phase / after edge bundling, side by side
#   reading_input.png   the input layer seen face-on, laid out and after the node phase
#   reading_class.png   class view of one class (CLASS, default 7)
#   reading_pairs.png   two layer pairs alone (--layers A:A): a waist; the classes named
#
# usage: docs/images/make_reading.sh BUILD_DIR FILE.nnb.h5 [OUT_DIR]
#   BUILD_DIR  build directory with processor/nnbundle and renderer/nnbundle-render
#   FILE       a bundled network with /importance (the docs use Fashion-MNIST 784-81-49-10,
#              out/fashion_mnist.nnb.h5 from scripts/demo.sh)
#   OUT_DIR    where the PNGs go (default: the directory of this script, docs/images)
# Environment: CLASS (class of the class view, default 7), NNBUNDLE_FONT (label font,
# default DejaVu Sans). Needs ffmpeg (Debian package ffmpeg). The stage and input pictures
# re-bundle copies of FILE in a temporary directory (`nnbundle bundle --set
# node_advection=false --set edge_advection=false`, and with only edge_advection=false);
# FILE itself is only read. About 30 s on a 2-core machine with llvmpipe.
set -euo pipefail

if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
BUILD=$1
FILE=$2
OUT=${3:-$(cd "$(dirname "$0")" && pwd)}
CLASS=${CLASS:-7}
NB=$BUILD/processor/nnbundle
NBR=$BUILD/renderer/nnbundle-render
FONT=${NNBUNDLE_FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf}
for exe in "$NB" "$NBR"; do
    [ -x "$exe" ] || { echo "make_reading.sh: [$exe] not found or not executable" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "make_reading.sh: [ffmpeg] not found (apt-get install ffmpeg)" >&2; exit 1; }
[ -r "$FILE" ] || { echo "make_reading.sh: [$FILE] cannot read" >&2; exit 1; }
[ -r "$FONT" ] || { echo "make_reading.sh: [$FONT] cannot read the label font" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/make_reading.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}

# ---- the network -----------------------------------------------------------------------
# "layers: 4 (784-81-49-10)" -> SIZES=(784 81 49 10)
IFS='-' read -r -a SIZES < <("$NB" info "$FILE" | sed -n 's/^layers: [0-9]* (\(.*\))$/\1/p')
L=${#SIZES[@]}
[ "$L" -ge 2 ] || { echo "make_reading.sh: [$FILE] no layer sizes in 'nnbundle info'" >&2; exit 1; }
LAST_PAIR=$((L - 2))

layer_name() { # layer index -> two label lines "name|count"
    local l=$1 n=${SIZES[$1]} s
    if [ "$l" -eq 0 ]; then
        s=$(awk -v n="$n" 'BEGIN { r = int(sqrt(n) + 0.5); if (r * r == n) print r; else print 0 }')
        if [ "$s" -gt 1 ]; then echo "input layer|$n pixels (${s}×$s)"; else echo "input layer|$n inputs"; fi
    elif [ "$l" -eq $((L - 1)) ]; then
        echo "output layer|$n classes"
    else
        echo "hidden layer $l|$n nodes"
    fi
}

# ---- rendering and the --verbose positions -----------------------------------------------
# render NAME FILE ARGS...: $TMP/NAME.png and the --verbose log $TMP/NAME.log
render() {
    local name=$1 src=$2
    shift 2
    "$NBR" "$src" --screenshot "$TMP/$name.png" "$@" --verbose >"$TMP/$name.log" 2>&1 ||
        { cat "$TMP/$name.log" >&2; exit 1; }
}
# layer_pos NAME L FIELD: FIELD of layer L's line in NAME.log
#   "layer L: column X (nodes A..B), row Y (nodes C..D)" -> col X, left A, right B, row Y,
#   top C, bottom D (pixels, rounded)
layer_pos() {
    sed -n "s/.*layer $2: column \([-0-9.]*\) (nodes \([-0-9.]*\)\.\.\([-0-9.]*\)), row \([-0-9.]*\) (nodes \([-0-9.]*\)\.\.\([-0-9.]*\)).*/\1 \2 \3 \4 \5 \6/p" \
        "$TMP/$1.log" | awk -v f="$3" '{ i = f == "col" ? 1 : f == "left" ? 2 : f == "right" ? 3 : f == "row" ? 4 : f == "top" ? 5 : 6
                                         printf "%d\n", $i + ($i < 0 ? -0.5 : 0.5) }'
}
# classes NAME: "k x y name" per output node, from "class k (name): node at (x, y)"
classes() {
    sed -n 's/.*class \([0-9]*\) (\(.*\)): node at (\([-0-9.]*\), \([-0-9.]*\)).*/\1 \3 \4 \2/p' "$TMP/$1.log"
}
# dist NAME: the camera distance of NAME's frame (pixels per world unit ~ frame height / it)
dist() { sed -n 's/.*camera: .* distance \([0-9.e+-]*\),.*/\1/p' "$TMP/$1.log"; }
class_field() { classes "$1" | awk -v k="$2" -v f="$3" '$1 == k { printf "%d\n", $f + 0.5 }'; }
class_name() { classes "$1" | awk -v k="$2" '$1 == k { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }'; }

# ---- annotation: an ffmpeg filter chain built up in FILTER -------------------------------
FILTER=""
NT=0
add() { FILTER="${FILTER:+$FILTER,}$1"; }
# text X Y SIZE COLOUR TEXT [ALIGN]: ALIGN l (X = left edge), c (X = centre), r (X = right edge)
text() {
    local x=$1 y=$2 size=$3 colour=$4 str=$5 align=${6:-l} xe
    NT=$((NT + 1))
    printf '%s' "$str" >"$TMP/t$NT.txt"
    case $align in c) xe="$x-text_w/2" ;; r) xe="$x-text_w" ;; *) xe="$x" ;; esac
    add "drawtext=fontfile=$FONT:textfile=$TMP/t$NT.txt:expansion=none:x=$xe:y=$y:fontsize=$size:fontcolor=$colour:box=1:boxcolor=white@0.8:boxborderw=2"
}
box() { add "drawbox=x=$1:y=$2:w=$(($3 - $1)):h=$(($4 - $2)):color=$5:t=${6:-1}"; }
# finish IN OUT: apply FILTER (and reset it), write an 8-bit RGB PNG
finish() {
    ffmpeg -loglevel error -y -i "$1" -vf "${FILTER:-null}" -pred mixed -pix_fmt rgb24 "$2"
    FILTER=""
}
# layer_strip NAME Y0 [FIRST LAST [DX]]: names of layers FIRST..LAST (default all) under their
# columns in NAME's frame, in a strip that starts at row Y0 (DX: x of the frame in the canvas)
layer_strip() {
    local name=$1 y0=$2 first=${3:-0} last=${4:-$((L - 1))} dx=${5:-0} l x lines
    for ((l = first; l <= last; l++)); do
        x=$(layer_pos "$name" "$l" col)
        [ -n "$x" ] || continue
        lines=$(layer_name "$l")
        text $((x + dx)) $((y0 + 2)) 15 0x404040 "↑" c
        text $((x + dx)) $((y0 + 18)) 13 black "${lines%%|*}" c
        text $((x + dx)) $((y0 + 34)) 12 0x404040 "${lines#*|}" c
    done
}
# class_labels NAME [DX DY [SIZE]]: the class names right of the output nodes (DX, DY: where
# the frame sits in the canvas); nodes whose rows are closer than 15 px share one label
# ("Trouser / Dress")
class_labels() {
    local name=$1 dx=${2:-0} dy=${3:-0} size=${4:-13}
    while read -r x y label; do
        text $((x + dx + 20)) $((y + dy - size / 2 - 1)) "$size" black "← $label"
    done < <(classes "$name" | sort -k3,3n | awk '
        function flush() { if (n) printf "%d %d %s\n", xmax, ysum / n + 0.5, names }
        { x = $2; y = $3; $1 = $2 = $3 = ""; sub(/^ +/, "")
          if (n && y - ylast >= 15) { flush(); n = 0 }
          if (!n) { names = $0; xmax = x; ysum = 0 } else { names = names " / " $0; if (x > xmax) xmax = x }
          ysum += y; ylast = y; n++ }
        END { flush() }')
}
# class_key NAME Y: one row of colour swatches with the class names (the ten reference
# colours of renderer/core/nb_palette.c; networks with more classes get no key)
PALETTE=(0x228B22 0x00008B 0xB03060 0xFF4500 0xFFFF00 0xDEB887 0x00FF00 0x00FFFF 0xFF00FF 0x6495ED)
class_key() {
    local name=$1 y=$2 n k x=8 label w
    n=$(classes "$name" | wc -l)
    [ "$n" -le ${#PALETTE[@]} ] || return 0
    w=$((944 / n))
    for ((k = 0; k < n; k++)); do
        label=$(class_name "$name" "$k")
        add "drawbox=x=$x:y=$((y + 2)):w=11:h=11:color=${PALETTE[$k]}:t=fill"
        text $((x + 15)) "$y" 12 black "$label"
        x=$((x + w))
    done
}

# ---- 1. the default picture, layers and classes named ---------------------------------------
render layers "$FILE" --size 960x540
x0=$(layer_pos layers 0 left)
r0=$(layer_pos layers 0 row)
add "pad=960:600:0:0:white"
for ((l = 0; l < L; l++)); do
    box $(($(layer_pos layers "$l" left) - 8)) $(($(layer_pos layers "$l" top) - 10)) \
        $(($(layer_pos layers "$l" right) + 8)) $(($(layer_pos layers "$l" bottom) + 10)) 0x808080@0.7
done
layer_strip layers 540
class_labels layers
c1=$(layer_pos layers 1 col)
c2=$(layer_pos layers $((L > 2 ? 2 : 1)) col)
t1=$(layer_pos layers 1 top)
text $(((c1 + c2) / 2)) $((t1 - 58)) 13 black "blended colours: edges that matter" c
text $(((c1 + c2) / 2)) $((t1 - 42)) 13 black "for several classes  ↓" c
text $((x0 - 14)) $((r0 - 24)) 13 black "pixels: big sphere =" r
text $((x0 - 14)) $((r0 - 8)) 13 black "important pixel  →" r
text 4 544 12 0x404040 "side view (pose 8):"
text 4 560 12 0x404040 "layer planes edge-on,"
text 4 576 12 0x404040 "input −z left → output +z"
finish "$TMP/layers.png" "$OUT/reading_layers.png"

# ---- 2. the three stages of nnbundle bundle, side by side ------------------------------------
cp "$FILE" "$TMP/laid_out.nnb.h5"
cp "$FILE" "$TMP/node_phase.nnb.h5"
"$NB" bundle "$TMP/laid_out.nnb.h5" --set node_advection=false --set edge_advection=false --quiet
"$NB" bundle "$TMP/node_phase.nnb.h5" --set edge_advection=false --quiet
render s1 "$TMP/laid_out.nnb.h5" --size 320x540 --set show_legend=false
render s2 "$TMP/node_phase.nnb.h5" --size 320x540 --set show_legend=false
render s3 "$FILE" --size 320x540 --set show_legend=false
ffmpeg -loglevel error -y -i "$TMP/s1.png" -i "$TMP/s2.png" -i "$TMP/s3.png" \
    -filter_complex "hstack=inputs=3" "$TMP/stages.png"
add "pad=960:600:0:36:white"
text 160 8 15 black "1  laid out (straight edges)" c
text 480 8 15 black "2  after the node phase" c
text 800 8 15 black "3  after edge bundling" c
box 319 36 321 576 0xc0c0c0
box 639 36 641 576 0xc0c0c0
text 160 580 12 0x404040 "input = pixel grid, edges straight" c
text 480 580 12 0x404040 "nodes moved in their planes by class" c
text 800 580 12 0x404040 "edges of similar class drawn together" c
finish "$TMP/stages.png" "$OUT/reading_stages.png"
echo "stages: camera distances $(dist s1), $(dist s2), $(dist s3) (same frame size and fov: scale ~ 1/distance)"

# ---- 3. the input layer face-on (camera pose 0, from the input side) -----------------------
# The moved layer spreads wider than the grid and a few nodes lie far out, so its frame is
# rendered at twice the size and its centre cut out: both panels then show about the same
# scale (the --verbose camera distances say by how much).
face=(--camera 0 --layers 0:0 --set edge_mode=none --set node_size=0.04 --set show_legend=false)
render f1 "$TMP/laid_out.nnb.h5" --size 480x540 "${face[@]}"
render f2 "$FILE" --size 960x1080 "${face[@]}"
ffmpeg -loglevel error -y -i "$TMP/f1.png" -i "$TMP/f2.png" \
    -filter_complex "[1]crop=480:540:240:270[b];[0][b]hstack=inputs=2" "$TMP/face.png"
add "pad=960:620:0:36:white"
text 240 8 15 black "laid out: the input plane is the pixel grid" c
text 720 8 15 black "after the node phase: grouped by class (centre)" c
box 479 36 481 576 0xc0c0c0
class_key f2 582
text 480 602 12 0x404040 "seen from the input side (camera pose 0), --layers 0:0, edges off: small spheres = input pixels, large = hidden layer 1 behind them" c
finish "$TMP/face.png" "$OUT/reading_input.png"
awk -v a="$(dist f1)" -v b="$(dist f2)" 'BEGIN { printf "input face-on: camera distance %.3f (laid out, 480x540) and %.3f (moved, 960x1080, centre cut out): the right panel at %.2f of the left panel'"'"'s scale\n", a, b, (1080 / b) / (540 / a) }'

# ---- 4. the class view of one class --------------------------------------------------------
render class "$FILE" --size 960x540 --set class_view=class --set "class_index=$CLASS"
add "pad=960:600:0:0:white"
layer_strip class 540
kx=$(class_field class "$CLASS" 2)
ky=$(class_field class "$CLASS" 3)
kname=$(class_name class "$CLASS")
text $((kx + 20)) $((ky - 8)) 13 black "← $kname output node (class $CLASS): full colour"
# the top-most and bottom-most other output nodes: faded out
read -r top_k bot_k < <(classes class | awk -v k="$CLASS" '$1 != k { if (!n || $3 < ty) { ty = $3; t = $1 }
                                                                  if (!n || $3 > by) { by = $3; b = $1 }; n++ }
                                                       END { print t, b }')
for o in $top_k $bot_k; do
    text $(($(class_field class "$o" 2) + 20)) $(($(class_field class "$o" 3) - 8)) 13 0x404040 \
        "← $(class_name class "$o"): faded into the background"
done
c1=$(layer_pos class 1 col)
c2=$(layer_pos class $((L > 2 ? 2 : 1)) col)
t1=$(layer_pos class 1 top)
text $(((c1 + c2) / 2)) $((t1 - 58)) 13 black "strong colour: matters for $kname;" c
text $(((c1 + c2) / 2)) $((t1 - 42)) 13 black "pale or white: matters little  ↓" c
finish "$TMP/class.png" "$OUT/reading_class.png"

# ---- 5. two layer pairs alone: a waist, and the bundles into the output nodes ---------------
# drawn_rows PNG X: first and last row of column X that differ from the white background by
# more than 48 levels in some channel (the drawn-pixel rule of evaluation/picture_stats)
drawn_rows() {
    ffmpeg -loglevel error -i "$1" -vf "crop=1:ih:$2:0,format=rgb24" -f rawvideo - |
        od -An -v -tu1 -w3 |
        awk '{ if (255 - $1 > 48 || 255 - $2 > 48 || 255 - $3 > 48) { if (!s) t = NR - 1; b = NR - 1; s = 1 } }
             END { if (s) print t, b; else print -1, -1 }'
}
MID_PAIR=$((LAST_PAIR > 0 ? LAST_PAIR - 1 : 0))
pair_args=(--size 480x540 --set show_legend=false)
render p0 "$TMP/node_phase.nnb.h5" "${pair_args[@]}" --layers "$MID_PAIR:$MID_PAIR"
render p1 "$FILE" "${pair_args[@]}" --layers "$MID_PAIR:$MID_PAIR"
render p2 "$FILE" "${pair_args[@]}" --layers "$LAST_PAIR:$LAST_PAIR"
ffmpeg -loglevel error -y -i "$TMP/p1.png" -i "$TMP/p2.png" -filter_complex "hstack=inputs=2" \
    "$TMP/pairs.png"
add "pad=960:636:0:36:white"
text 240 8 15 black "--layers $MID_PAIR:$MID_PAIR: bundles with a waist" c
text 720 8 15 black "--layers $LAST_PAIR:$LAST_PAIR: follow a colour to its class" c
box 479 36 481 576 0xc0c0c0
layer_strip p1 576 "$MID_PAIR" $((MID_PAIR + 1)) 0
layer_strip p2 576 "$LAST_PAIR" $((LAST_PAIR + 1)) 480
class_labels p2 480 36 12
xl=$(layer_pos p2 "$LAST_PAIR" left)
rl=$(layer_pos p2 "$LAST_PAIR" row)
text $((480 + xl - 12)) $((36 + rl - 22)) 12 black "mixed colours:" r
text $((480 + xl - 12)) $((36 + rl - 7)) 12 black "several classes  →" r
# the waist: the drawn extent of the column half-way between the two layers, bundled (p1) and
# with straight edges between the same moved nodes (p0). Each frame is fitted to its own
# drawing; the printed layer columns and rows show whether the two scales agree.
xm=$((($(layer_pos p1 "$MID_PAIR" col) + $(layer_pos p1 $((MID_PAIR + 1)) col)) / 2))
read -r wt wb < <(drawn_rows "$TMP/p1.png" "$xm")
xm0=$((($(layer_pos p0 "$MID_PAIR" col) + $(layer_pos p0 $((MID_PAIR + 1)) col)) / 2))
read -r st sb < <(drawn_rows "$TMP/p0.png" "$xm0")
lt=$(layer_pos p1 "$MID_PAIR" top)
lb=$(layer_pos p1 "$MID_PAIR" bottom)
if [ "$wt" -ge 0 ]; then
    box $((xm - 1)) $((wt + 36)) $((xm + 1)) $((wb + 36)) black fill
    box $((xm - 7)) $((wt + 35)) $((xm + 7)) $((wt + 37)) black fill
    box $((xm - 7)) $((wb + 35)) $((xm + 7)) $((wb + 37)) black fill
    text "$xm" $((wb + 36 + 6)) 13 black "↑ waist: $((wb - wt + 1)) px tall" c
    text "$xm" $((wb + 36 + 22)) 12 0x404040 "(straight edges: $((sb - st + 1)) px)" c
fi
echo "waist of pair $MID_PAIR at its middle column: bundled rows $wt..$wb ($((wb - wt + 1)) px)," \
    "straight edges between the same nodes $st..$sb ($((sb - st + 1)) px)," \
    "layer $MID_PAIR's node centres $lt..$lb ($((lb - lt + 1)) px; straight frame:" \
    "$(layer_pos p0 "$MID_PAIR" top)..$(layer_pos p0 "$MID_PAIR" bottom))"
finish "$TMP/pairs.png" "$OUT/reading_pairs.png"

for f in layers stages input class pairs; do
    printf '%s  %s bytes\n' "$OUT/reading_$f.png" "$(stat -c %s "$OUT/reading_$f.png")"
done
