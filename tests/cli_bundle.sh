#!/usr/bin/env bash
# cli_bundle.sh - `nnbundle bundle` and `nnbundle info` end to end on tiny networks: a full
# run with --stats, straight edges with both phases off ("iterations: 0"), the magnitude
# fallback for a file without /importance, and every bad config value or argument an exact
# exit status with the key named and the input file left byte-identical.
set -u
NNBUNDLE=${NNBUNDLE:?NNBUNDLE must point at the nnbundle binary}
W=$(mktemp -d "${TMPDIR:-/tmp}/cli_bundle.XXXXXX")
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect STATUS SUBSTRING_OF_STDERR -- command...
expect() {
    local want=$1 needle=$2
    shift 3
    "$@" >"$W/out.txt" 2>"$W/err.txt"
    local rc=$?
    if [ "$rc" != "$want" ]; then
        fail "exit $rc (want $want): $*"
        sed 's/^/    /' "$W/err.txt" >&2
    elif [ -n "$needle" ] && ! grep -qF -- "$needle" "$W/err.txt"; then
        fail "stderr of '$*' lacks '$needle':"
        sed 's/^/    /' "$W/err.txt" >&2
    fi
}

# out_has SUBSTRING: the last command's stdout contains it
out_has() { grep -qF -- "$1" "$W/out.txt" || { fail "stdout lacks '$1':"; sed 's/^/    /' "$W/out.txt" >&2; }; }

"$NNBUNDLE" random --layers 16,9,4 --seed 3 -o "$W/net.nnb.h5" --quiet \
    || { echo "FAIL: cannot make the fixture with nnbundle random" >&2; exit 1; }
cp "$W/net.nnb.h5" "$W/straight.nnb.h5"
cp "$W/net.nnb.h5" "$W/pristine.nnb.h5"

# 1. a full run with statistics; info reports the iteration counts of the defaults
expect 0 "" -- "$NNBUNDLE" bundle "$W/net.nnb.h5" --threads 2 --stats "$W/stats.json" --quiet
[ -s "$W/err.txt" ] && fail "--quiet printed to stderr: $(head -3 "$W/err.txt")"
for key in '"edges":' '"samples":' '"node_iterations":' '"edge_iterations":' \
           '"peak_rss_bytes":' '"density_advection":' '"smoothing":' '"ink_ratio":'; do
    grep -qF -- "$key" "$W/stats.json" || fail "stats.json lacks $key"
done
grep -qE '"edges":[[:space:]]*180' "$W/stats.json" || fail "stats.json: edges != 16*9+9*4"
expect 0 "" -- "$NNBUNDLE" info "$W/net.nnb.h5"
out_has "layers: 3 (16-9-4)"
out_has "iterations: 79 (node 56, edge 23)"
out_has "bundle edges: 180 of 180"
out_has "mean distortion:"
out_has "ink ratio:"
out_has "config: density fast, sampling_rate 15"

# 2. progress lines when not quiet (stderr is not a TTY: plain lines per phase)
cp "$W/pristine.nnb.h5" "$W/progress.nnb.h5"
expect 0 "node phase" -- "$NNBUNDLE" bundle "$W/progress.nnb.h5" --threads 1
grep -qF "edge phase" "$W/err.txt" || fail "no edge phase progress"

# 3. both phases off: straight edges, "iterations: 0"
expect 0 "" -- "$NNBUNDLE" bundle "$W/straight.nnb.h5" --set node_advection=false \
    --set edge_advection=false --quiet
expect 0 "" -- "$NNBUNDLE" info "$W/straight.nnb.h5"
out_has "iterations: 0"
out_has "mean distortion: 1.0000"

# 4. pruning keeps an exact count: 180 * 0.5 = 90 edges
cp "$W/pristine.nnb.h5" "$W/pruned.nnb.h5"
expect 0 "" -- "$NNBUNDLE" bundle "$W/pruned.nnb.h5" --set prune_percentage=0.5 \
    --set edge_advection=false --quiet
expect 0 "" -- "$NNBUNDLE" info "$W/pruned.nnb.h5"
out_has "bundle edges: 90 of 180 (90 pruned)"

# 4b. a file without /importance: "magnitude" importance is computed, stored and announced
byte() { printf "\\x$(printf %02x "$1")"; }
u32() { byte $(($1 >> 24 & 255)); byte $(($1 >> 16 & 255)); byte $(($1 >> 8 & 255)); byte $(($1 & 255)); }
write_idx() { # DIR PREFIX N: N random 2x2 images, labels i mod 3
    local dir=$1 prefix=$2 n=$3 i x=7
    mkdir -p "$dir"
    {
        printf '\x00\x00\x08\x03'; u32 "$n"; u32 2; u32 2
        for ((i = 0; i < n * 4; i++)); do x=$(((x * 1103515245 + 12345) % 2147483648)); byte $(((x >> 16) & 255)); done
    } >"$dir/$prefix-images-idx3-ubyte"
    { printf '\x00\x00\x08\x01'; u32 "$n"; for ((i = 0; i < n; i++)); do byte $((i % 3)); done; } \
        >"$dir/$prefix-labels-idx1-ubyte"
}
write_idx "$W/data" train 30
write_idx "$W/data" t10k 12
if "$NNBUNDLE" train --data "$W/data" --layers 6 --epochs 1 --seed 3 -o "$W/noimp.nnb.h5" --quiet; then
    # magnitude importance is the same for every class: the warning names the layers, and the
    # node phase keeps the layout (spread ratio 1 in layers 0 and 1)
    expect 0 "nearly the same for every node of layer(s) 0, 1" -- "$NNBUNDLE" bundle \
        "$W/noimp.nnb.h5" --set edge_advection=false
    grep -qF "magnitude" "$W/err.txt" || fail "no notice about magnitude importance"
    expect 0 "" -- "$NNBUNDLE" info "$W/noimp.nnb.h5"
    out_has "importance method: magnitude"
    out_has "iterations: 56 (node 56, edge 0)"
    out_has "layer spread (x, y; after / before the node phase): 1.00 1.00; 1.00 1.00;"
else
    fail "cannot make a file without /importance with nnbundle train"
fi

# 5. bad values: exit 1, the key named, the file untouched
sha() { sha256sum "$1" | cut -d' ' -f1; }
before=$(sha "$W/pristine.nnb.h5")
expect 1 "sampling_rate" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set sampling_rate=0
expect 1 "sampling_rate" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set sampling_rate=-2
expect 1 "node_bandwidth_reduction" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" \
    --set node_bandwidth_reduction=1.5
expect 1 "edge_bandwidth_reduction" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" \
    --set edge_bandwidth_reduction=0
expect 1 "layer_distance" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set layer_distance=-0.5
expect 1 "edge_step" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set edge_step=0
expect 1 "edge_similarity_max" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" \
    --set edge_similarity_max=1.5
expect 1 "node_class_contrast" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" \
    --set node_class_contrast=2
expect 1 "node_min_spread" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set node_min_spread=-1
expect 1 "node_min_distance" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" \
    --set node_min_distance=1.5
expect 1 "edge_repulsion_saturation" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" \
    --set edge_repulsion_saturation=-0.5
expect 1 "edge_clamp_to_layers" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" \
    --set edge_clamp_to_layers=maybe
expect 1 "density" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set density=bogus
expect 1 "prune_percentage" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set prune_percentage=1
expect 1 "no_such_key" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --set no_such_key=3
echo '{"sampling_rate": 0}' >"$W/bad.json"
expect 1 "sampling_rate" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --config "$W/bad.json"
expect 1 "missing.json" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --config "$W/missing.json"
[ "$(sha "$W/pristine.nnb.h5")" = "$before" ] || fail "a failed run changed the input file"

# 5b. an unwritable --stats path: exit 1 naming it, before FILE is touched
cp "$W/pristine.nnb.h5" "$W/stats_fail.nnb.h5"
expect 1 "no_dir/s.json" -- "$NNBUNDLE" bundle "$W/stats_fail.nnb.h5" --set edge_advection=false \
    --set node_advection=false --stats "$W/no_dir/s.json" --quiet
# ... and a --stats name taken by a directory
mkdir "$W/taken.json"
expect 1 "taken.json" -- "$NNBUNDLE" bundle "$W/stats_fail.nnb.h5" --set edge_advection=false \
    --set node_advection=false --stats "$W/taken.json" --quiet
ls "$W"/taken.json.nbtmp.* >/dev/null 2>&1 && fail "a failed --stats write left a temporary file"
ls "$W"/stats_fail.nnb.h5.nbtmp.* >/dev/null 2>&1 && fail "a failed run left a temporary file"
[ "$(sha "$W/stats_fail.nnb.h5")" = "$before" ] || fail "a failed --stats changed FILE"
# ... and --stats naming FILE itself
expect 1 "name the same file" -- "$NNBUNDLE" bundle "$W/stats_fail.nnb.h5" --stats \
    "$W/stats_fail.nnb.h5" --quiet
[ "$(sha "$W/stats_fail.nnb.h5")" = "$before" ] || fail "--stats FILE changed FILE"

# 6. usage errors (exit 2) and unreadable files (exit 1)
expect 2 "missing FILE" -- "$NNBUNDLE" bundle
expect 2 "unknown option" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --frobnicate
expect 2 "--stats" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" --stats
expect 2 "one input file" -- "$NNBUNDLE" bundle "$W/pristine.nnb.h5" "$W/net.nnb.h5"
expect 1 "nope.nnb.h5" -- "$NNBUNDLE" bundle "$W/nope.nnb.h5"
echo "not hdf5" >"$W/junk.nnb.h5"
expect 1 "junk.nnb.h5" -- "$NNBUNDLE" bundle "$W/junk.nnb.h5"
expect 1 "junk.nnb.h5" -- "$NNBUNDLE" info "$W/junk.nnb.h5"
expect 2 "missing FILE" -- "$NNBUNDLE" info
expect 0 "" -- "$NNBUNDLE" bundle --help
out_has "usage: nnbundle bundle"
expect 0 "" -- "$NNBUNDLE" info "$W/pristine.nnb.h5"
out_has "bundle: none"

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed" >&2
    exit 1
fi
echo "cli_bundle: all checks passed"
