#!/usr/bin/env bash
# cli_bundle_stream.sh - `nnbundle bundle` holds one layer pair's polylines at a time: a network
# whose polylines (samples x 12 bytes) exceed an address-space limit set with `ulimit -v` is
# bundled within it, and the file reads back whole. The network: 16 layers of 60 nodes (15
# pairs, 54,000 edges) with layer_distance 20 and both advection phases off (the stages that
# hold polylines, straight sampling, final resample, metrics, the write, without the minutes
# of advection), 16.3 M samples = 187 MiB of polylines under a 160 MiB limit (peak RSS 55 MB).
# The version that assembled every pair (05e7f91) fails there and needs between 450 and 500
# MiB (docs/bundling.md "Memory"). Then a file size limit that the scratch file of finished
# pairs passes halfway: exit 1, naming FILE, which keeps its bytes, and nothing left behind.
# Under ASan (NB_ASAN set; ASan reserves terabytes of address space, no `ulimit -v`) a smaller
# network runs without the address-space limit.
set -uo pipefail
NB_CLI_TEST_NAME=cli_bundle_stream
. "$(dirname "$0")/cli_lib.sh"
# OpenBLAS's worker threads cannot get a malloc arena under a tight `ulimit -v` and would hang
# the exit; this command does not use BLAS
export OPENBLAS_NUM_THREADS=1
LIMIT_KIB=163840 # 160 MiB
cfg=(--set node_advection=false --set edge_advection=false)
if [ -n "${NB_ASAN:-}" ]; then
    layers=60,60,60,60
    cfg+=(--set layer_distance=5)
    limit() { "$@"; }
else
    layers=60,60,60,60,60,60,60,60,60,60,60,60,60,60,60,60
    cfg+=(--set layer_distance=20)
    limit() { (ulimit -v "$LIMIT_KIB" && exec "$@"); }
fi
F="$W/net.nnb.h5"
"$NNBUNDLE" random --layers "$layers" --seed 6 -o "$F" --quiet || fail "random"
cp "$F" "$W/pristine.nnb.h5"

limit "$NNBUNDLE" bundle "$F" --threads 1 --quiet "${cfg[@]}" --stats "$W/s.json" \
    2>"$W/err.txt" || fail "bundle under ulimit -v $LIMIT_KIB: $(cat "$W/err.txt")"
num() { awk -F'[:,]' -v k="\"$1\"" '$1 ~ k { gsub(/[ \t]/, "", $2); print $2; exit }' "$W/s.json"; }
samples=$(num samples)
[ -n "$samples" ] || fail "no sample count in --stats"
bytes=$((${samples:-0} * 12))
echo "polylines: $samples samples = $bytes bytes; peak RSS $(num peak_rss_bytes) bytes;" \
    "limit $((LIMIT_KIB * 1024)) bytes of address space"
if [ -z "${NB_ASAN:-}" ]; then
    [ "$bytes" -gt $((LIMIT_KIB * 1024)) ] ||
        fail "the polylines ($bytes bytes) do not exceed the limit: the test proves nothing"
fi
"$NNBUNDLE" info "$F" >"$W/info.txt" 2>&1 || fail "info: $(cat "$W/info.txt")"
grep -qF "bundle samples: $samples " "$W/info.txt" || fail "info does not show $samples samples"
grep -qF "bundle edges: 54000 of 54000" "$W/info.txt" || [ -n "${NB_ASAN:-}" ] ||
    fail "info: not 54000 edges: $(grep 'bundle edges' "$W/info.txt")"

# The writer takes the points from the scratch file in pieces of 2^20 (cli_bundle.c), so these
# pairs of about 1.09 M points come in two: with both advection phases off every edge must be
# the straight line from its layer's plane to the next one's (a piece read from the wrong place
# puts points of other edges, or other parts of an edge, into its slice).
if [ -z "${NB_ASAN:-}" ]; then
    if /usr/bin/python3 -c "import h5py, numpy" 2>/dev/null; then
        /usr/bin/python3 - "$F" >"$W/py.txt" 2>&1 <<'PY' || fail "points of the streamed file: $(cat "$W/py.txt")"
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as f:
    off = f["/bundle/edge_point_offset"][...].astype(np.int64)
    pts = f["/bundle/point_position"]
    assert off[0] == 0 and off[-1] == pts.shape[0], "offsets do not cover the points"
    planes = -15 * 20 / 2 + 20 * np.arange(16)
    dev = 0.0
    for e0 in range(0, len(off) - 1, 3600):  # a layer pair at a time
        o = off[e0:e0 + 3601]
        p = pts[o[0]:o[-1]].astype(np.float64)
        o = o - o[0]
        first, last = p[o[:-1]], p[o[1:] - 1]
        assert np.abs(first[:, 2][:, None] - planes[None, :]).min(axis=1).max() < 1e-3, "an edge starts off a layer plane"
        assert np.abs(last[:, 2] - first[:, 2] - 20).max() < 1e-3, "an edge does not end on the next plane"
        edge = np.repeat(np.arange(len(o) - 1), np.diff(o))
        a, b = first[edge], last[edge]
        t = (p[:, 2] - a[:, 2]) / 20.0
        dev = max(dev, np.abs(a + t[:, None] * (b - a) - p).max())
    assert dev < 1e-3, "a point %.3g off its straight edge" % dev
print("%d edges, %d points on their straight edges (largest deviation %.2g)" % (len(off) - 1, off[-1], dev))
PY
        cat "$W/py.txt"
    else
        echo "cli_bundle_stream: no /usr/bin/python3 with h5py and numpy (scripts/install_deps.sh): the point check is skipped"
    fi
fi

# a failure mid-stream: the scratch file (12 bytes per point) stops at half the points
cp "$W/pristine.nnb.h5" "$F"
half_kib=$((bytes / 2048))
(
    trap '' XFSZ
    ulimit -f "$half_kib"
    exec "$NNBUNDLE" bundle "$F" --threads 1 --quiet "${cfg[@]}" --stats "$W/s2.json"
) 2>"$W/err.txt"
rc=$?
[ "$rc" = 1 ] || fail "bundle with a full disk at $half_kib KiB: exit $rc, want 1"
grep -qF "[$F] cannot write the scratch file of finished layer pairs: File too large" \
    "$W/err.txt" || fail "not the scratch file's message: $(cat "$W/err.txt")"
cmp -s "$F" "$W/pristine.nnb.h5" || fail "a failed run changed FILE"
left=$(cd "$W" && ls -A | grep -vxE 'net.nnb.h5|pristine.nnb.h5|s.json|err.txt|info.txt|py.txt')
[ -z "$left" ] || fail "left behind: $left"
[ "$fails" -eq 0 ] && echo "cli_bundle_stream: all passed"
exit $((fails > 0))
