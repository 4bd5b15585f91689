#!/usr/bin/env bash
# reliability_tmpfs.sh - a really full disk: a small tmpfs (needs root or CAP_SYS_ADMIN; the
# test is skipped, exit 77, where mount is not allowed). A bundle, a screenshot and frames
# that do not fit fail with exit 1 and "No space left on device", the old file stays
# byte-identical and nothing else is left on the file system. reliability_full.sh covers the
# same paths without mount (a file size limit).
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
M="$W/tiny"
mkdir "$M"
if ! mount -t tmpfs -o size=64k tmpfs "$M" 2>/dev/null; then
    echo "SKIP: cannot mount a 64 KiB tmpfs here (needs root or CAP_SYS_ADMIN);" \
        "reliability_full.sh tests the same failures with a file size limit"
    exit 77
fi
trap 'umount "$M" 2>/dev/null; rm -rf "$W"' EXIT

"$NNBUNDLE" random --layers 16,8,4 -o "$W/net.nnb.h5" --quiet || fail "setup"
"$NNBUNDLE" bundle "$W/net.nnb.h5" --quiet || fail "setup"
# fill KIB: leave about KIB KiB free on the tmpfs
fill() {
    rm -f "$M/fill"
    local avail
    avail=$(df --output=avail -k "$M" | tail -1)
    [ "$avail" -gt "$1" ] && dd if=/dev/zero of="$M/fill" bs=1k count=$((avail - $1)) 2>/dev/null
    true
}
# full STATUS_WANT -- command...: exit 1, "No space left on device", no leftovers
full() {
    shift 2
    "$@" >"$W/out.txt" 2>"$W/err.txt"
    local rc=$?
    [ "$rc" = 1 ] || fail "exit $rc (want 1): $*"
    grep -qF "No space left on device" "$W/err.txt" || fail "$*: $(cat "$W/err.txt")"
    grep -qE 'buf = |time = |addr = ' "$W/err.txt" && fail "HDF5 internals: $(cat "$W/err.txt")"
    local left
    left=$(leftovers "$M")
    [ -z "$left" ] || fail "$*: left behind: $left"
    echo "ok: exit 1: $(head -1 "$W/err.txt")"
}

"$NNBUNDLE" random --layers 16,8,4 -o "$M/f.nnb.h5" --quiet || fail "random on the tmpfs"
before=$(sha "$M/f.nnb.h5")
fill 8
full 1 -- "$NNBUNDLE" bundle "$M/f.nnb.h5" --quiet
[ "$(sha "$M/f.nnb.h5")" = "$before" ] || fail "bundle on a full disk changed the file"
if [ ${#RENDER_CMD[@]} -gt 0 ]; then
    fill 4
    full 1 -- "${RENDER_CMD[@]}" "$W/net.nnb.h5" --screenshot "$M/shot.png" --size 320x200 --quiet
    [ ! -e "$M/shot.png" ] || fail "a screenshot was left on a full disk"
    full 1 -- "${RENDER_CMD[@]}" "$W/net.nnb.h5" --frames "$M/frames" --count 3 --size 320x200 --quiet
    for f in "$M"/frames/*; do
        [ -e "$f" ] || continue
        [ -s "$f" ] || fail "a 0-byte frame: $f"
        [ "$(tail -c 8 "$f" | head -c 4)" = IEND ] || fail "a truncated frame: $f"
    done
fi
[ "$fails" = 0 ] || {
    echo "$fails failure(s)" >&2
    exit 1
}
