#!/usr/bin/env bash
# reliability_full.sh - a write that fails (a full disk) is an error, exit 1, nothing left
# behind, every input byte-identical. The failure comes from a file size limit (`ulimit -f`,
# with SIGXFSZ ignored so that write(2) returns EFBIG as it returns ENOSPC on a full disk):
# no mount, no root, no preload. Covers every writer: bundle, train, importance, random, run
# (processor), and --screenshot, --frames, --export (renderer, when it was built).
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

D="$W/data"
small_model "$D" "$W/net.nnb.h5" 64,32
[ "$fails" = 0 ] || exit 1
O="$W/out"
L="$W/log" # the commands' output, outside the checked inputs
mkdir "$O" "$L"

# limited KIB EXPECT_FILE [NOT_CREATED] -- command...: under a KIB KiB file size limit the
# command exits 1 with "File too large" naming EXPECT_FILE, without HDF5's internals; every
# file in $W keeps its bytes, and $O holds no temporary or lock file.
limited() {
    local kib=$1 target=$2
    shift 3
    local before
    before=$(cd "$W" && find . -type f -not -path './out/*' -not -path './log/*' -exec sha256sum {} + | sort)
    local pre_target=absent
    [ -e "$target" ] && pre_target=$(sha "$target")
    (
        trap '' XFSZ
        ulimit -f "$kib"
        exec "$@"
    ) >"$L/stdout.txt" 2>"$L/err.txt"
    local rc=$?
    local what="${*:1:3} (limit $kib KiB)"
    [ "$rc" = 1 ] || fail "$what: exit $rc, want 1"
    grep -qF "File too large" "$L/err.txt" || fail "$what: no 'File too large': $(cat "$L/err.txt")"
    grep -qF "$target" "$L/err.txt" || fail "$what: the message does not name $target"
    if grep -qE 'buf = |time = |addr = |bytes actually' "$L/err.txt"; then
        fail "$what: HDF5 internals in the message: $(cat "$L/err.txt")"
    fi
    [ "$(wc -l <"$L/err.txt")" -le 2 ] || fail "$what: more than two lines: $(cat "$L/err.txt")"
    local after
    after=$(cd "$W" && find . -type f -not -path './out/*' -not -path './log/*' -exec sha256sum {} + | sort)
    [ "$before" = "$after" ] || fail "$what: an input changed"
    if [ "$pre_target" = absent ]; then
        [ ! -e "$target" ] || fail "$what: $target was created"
    else
        [ "$(sha "$target")" = "$pre_target" ] || fail "$what: $target changed"
    fi
    local left
    left=$(leftovers "$O")
    [ -z "$left" ] || fail "$what: left behind: $left"
    echo "ok: $what -> exit 1: $(head -1 "$L/err.txt")"
}

cp "$W/net.nnb.h5" "$O/f.nnb.h5"
# bundle streams each finished layer pair to a scratch file beside FILE before the HDF5 write:
# a failure there, mid-stream, and one in the HDF5 write after the scratch file is complete (a
# pruned network whose weights outweigh its polylines: 20198 points = 237 KiB of scratch file)
limited 64 "$O/f.nnb.h5" -- "$NNBUNDLE" bundle "$O/f.nnb.h5" --quiet
grep -qF "scratch file" "$L/err.txt" || fail "bundle (64 KiB): not the scratch file: $(cat "$L/err.txt")"
"$NNBUNDLE" random --layers 400,200,10 --seed 1 -o "$W/wide.nnb.h5" --quiet || fail "random wide"
cp "$W/wide.nnb.h5" "$O/g.nnb.h5"
limited 400 "$O/g.nnb.h5" -- "$NNBUNDLE" bundle "$O/g.nnb.h5" --set prune_percentage=0.98 --quiet
grep -qF "write failed" "$L/err.txt" || fail "bundle (400 KiB): not the HDF5 write: $(cat "$L/err.txt")"
limited 16 "$O/f.nnb.h5" -- "$NNBUNDLE" importance "$O/f.nnb.h5" --data "$D" \
    --set importance_epochs=1 --quiet
limited 8 "$O/t.nnb.h5" -- "$NNBUNDLE" train --data "$D" -o "$O/t.nnb.h5" --layers 64,32 \
    --epochs 1 --quiet
limited 8 "$O/r.nnb.h5" -- "$NNBUNDLE" random --layers 64,32,4 -o "$O/r.nnb.h5" --quiet
limited 8 "$O/run.nnb.h5" -- "$NNBUNDLE" run --data "$D" -o "$O/run.nnb.h5" --layers 64,32 \
    --epochs 1 --set importance_epochs=1 --quiet

if [ ${#RENDER_CMD[@]} -gt 0 ]; then
    limited 4 "$O/shot.png" -- "${RENDER_CMD[@]}" "$W/net.nnb.h5" --screenshot "$O/shot.png" \
        --size 320x200 --quiet
    limited 4 "$O/frames/frame_00000.png" -- "${RENDER_CMD[@]}" "$W/net.nnb.h5" --frames "$O/frames" \
        --count 3 --size 320x200 --quiet
    [ -z "$(find "$O/frames" -type f)" ] || fail "--frames: a frame file was left"
    limited 4 "$O/scene.glb" -- "${RENDER_CMD[@]}" "$W/net.nnb.h5" --export "$O/scene.glb" --quiet
else
    echo "note: nnbundle-render not built; its outputs are not tested here"
fi

[ "$fails" = 0 ] || {
    echo "$fails failure(s)" >&2
    exit 1
}
