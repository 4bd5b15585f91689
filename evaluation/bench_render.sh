#!/usr/bin/env bash
# bench_render.sh - frame time of nnbundle-render for every edge mode and both transparencies,
# on one or more bundled files, as one Markdown table (issue: the GPU renderer measured).
#
# usage: evaluation/bench_render.sh [RENDER] --files "A.nnb.h5 B.nnb.h5" [options]
#   RENDER              the nnbundle-render binary (default build/release/renderer/nnbundle-render);
#                       this script builds nothing
#   --files "F ..."     bundled files (`nnbundle bundle` output), each one row group (required)
#   --size WxH          frame size (default 1920x1080)
#   --frames N          frames per cell after one warm-up; the table shows their median
#                       (default 20)
#   --modes "M ..."     edge modes (default: ellipsoid_transparent sphere sphere_transparent
#                       line)
#   --transparency "T ..." (default: wboit minmax)
#   --set KEY=VALUE     rendering key for every cell (repeatable)
# Every cell is `RENDER F --benchmark N --size WxH --set edge_mode=M --set transparency=T`
# (offscreen, no window); its median ms/frame, drawn segments and fragments come from the
# renderer's own benchmark line, and the GL renderer string of the first cell heads the table
# (on a machine without a GPU it names llvmpipe: a software rasteriser, whose times are not a
# GPU's). Without a display the script sets SDL_VIDEODRIVER=offscreen. Exit status 0, 1 if
# a cell failed (its row says so), 2 on a usage error.
set -uo pipefail

RENDER=build/release/renderer/nnbundle-render
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    RENDER=$1
    shift
fi
FILES=""
SIZE=1920x1080
FRAMES=20
MODES="ellipsoid_transparent sphere sphere_transparent line"
TRANSP="wboit minmax"
SETS=()
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
    --files) FILES=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --frames) FRAMES=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --transparency) TRANSP=$2; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench_render.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$FILES" ] || { echo "bench_render.sh: --files is required" >&2; usage >&2; exit 2; }
[ -x "$RENDER" ] || { echo "bench_render.sh: $RENDER is not an executable" >&2; exit 2; }
for f in $FILES; do
    [ -r "$f" ] || { echo "bench_render.sh: cannot read $f" >&2; exit 2; }
done
[ -n "${DISPLAY:-}" ] || export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}

out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
header=""
rows=()
for f in $FILES; do
    for m in $MODES; do
        for t in $TRANSP; do
            if ! "$RENDER" "$f" --benchmark "$FRAMES" --size "$SIZE" --set edge_mode="$m" \
                --set transparency="$t" "${SETS[@]}" >"$out" 2>&1; then
                rows+=("| $(basename "$f") | | $m | $t | failed: $(tail -1 "$out") | | | |")
                status=1
                continue
            fi
            # "  nodes 924 (drawn 892), edges 67963, segments 866054 (drawn 149459), fragments N"
            # "  median 625.40 ms/frame (min 614.14, max 636.67); CPU time ...; GL <renderer>"
            counts=$(grep -m1 '^  nodes ' "$out")
            timing=$(grep -m1 '^  median ' "$out")
            edges=$(sed -n 's/.* edges \([0-9]*\),.*/\1/p' <<<"$counts")
            segs=$(sed -n 's/.*segments [0-9]* (drawn \([0-9]*\)).*/\1/p' <<<"$counts")
            frags=$(sed -n 's/.*fragments \([0-9]*\).*/\1/p' <<<"$counts")
            med=$(sed -n 's/^  median \([0-9.]*\) ms.*/\1/p' <<<"$timing")
            range=$(sed -n 's/.*(min \([0-9.]*\), max \([0-9.]*\)).*/\1–\2/p' <<<"$timing")
            [ -n "$header" ] || header=$(sed -n 's/.*; GL \(.*\)$/\1/p' <<<"$timing")
            if [ -z "$med" ]; then
                rows+=("| $(basename "$f") | | $m | $t | no benchmark line | | | |")
                status=1
                continue
            fi
            rows+=("| $(basename "$f") | $edges | $m | $t | $med | $range | $segs | $frags |")
        done
    done
done
echo "# nnbundle-render --benchmark $FRAMES --size $SIZE; GL: ${header:-unknown}; $(nproc) cores;" \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| file | edges | edge_mode | transparency | median ms/frame | min–max | segments drawn | fragments |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit $status
