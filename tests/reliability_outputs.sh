#!/usr/bin/env bash
# reliability_outputs.sh - the output-side cases of issue 14, each checked for its exit status,
# its message, no temporary or lock file left, and every input byte-identical; prints one
# table row per case ("case | exit | message | left | inputs").
# Covers: an output equal to an input (bundle --stats FILE, train -o DATA/file, the renderer's
# --screenshot FILE), a bad side output failing before FILE is touched (bundle and run with
# --stats /nonexistent/...), run failing in a later stage, -o '', a long -o path, a 250-byte
# file name, mode / symbolic link / hard link of a rewritten file, and two writers at once.
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/reliability_lib.sh"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

D="$W/data"
small_model "$D" "$W/net.nnb.h5" 32
[ "$fails" = 0 ] || exit 1
L="$W/log"
mkdir "$L"

snapshot() { (cd "$W" && find . -path ./log -prune -o -type f -print0 | sort -z | xargs -0 sha256sum); }

# case NAME STATUS MESSAGE -- command...: exit STATUS with MESSAGE in stderr, every file in $W
# byte-identical (unless NAME ends in "+": the command is meant to write), no temporary or lock
# file anywhere in $W.
case_() {
    local name=$1 want=$2 needle=$3
    shift 4
    local before after
    before=$(snapshot)
    "$@" >"$L/out.txt" 2>"$L/err.txt"
    local rc=$?
    after=$(snapshot)
    local same=identical
    [ "$before" = "$after" ] || same=CHANGED
    local left
    left=$(find "$W" \( -name '*.nbtmp.*' -o -name '*.nblock' \) -not -name "${KEEP:-/}" \
        -printf '%f ' | head -c 200)
    [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want: $(cat "$L/err.txt")"
    [ -z "$needle" ] || grep -qF -- "$needle" "$L/err.txt" ||
        fail "$name: no '$needle' in: $(cat "$L/err.txt")"
    [ -z "$left" ] || fail "$name: left behind: $left"
    if [ "${name%+}" = "$name" ] && [ "$same" != identical ]; then
        fail "$name: an input changed"
    fi
    printf '%s | %s | %s | %s | %s\n' "$name" "$rc" "$(grep -v '^Try' "$L/err.txt" | head -1 |
        cut -c1-160)" "${left:-none}" "$same"
}

F="$W/f.nnb.h5"
cp "$W/net.nnb.h5" "$F"
case_ "bundle F --stats F" 1 "FILE and --stats name the same file" -- \
    "$NNBUNDLE" bundle "$F" --stats "$F" --quiet
case_ "bundle F --stats /nonexistent/s.json" 1 "/nonexistent/s.json" -- \
    "$NNBUNDLE" bundle "$F" --stats /nonexistent/s.json --quiet
case_ "bundle F --config F" 1 "same file as the input --config" -- \
    "$NNBUNDLE" bundle "$F" --config "$F" --quiet
case_ "train -o DATA/train-images-idx3-ubyte" 1 "is a file of the input --data" -- \
    "$NNBUNDLE" train --data "$D" -o "$D/train-images-idx3-ubyte" --epochs 1 --quiet
case_ "train -o ''" 1 "[-o] no output file name" -- \
    "$NNBUNDLE" train --data "$D" -o '' --epochs 1 --quiet
case_ "random -o DIR/" 1 "names a directory" -- \
    "$NNBUNDLE" random --layers 4,3 -o "$W/" --quiet
long="$W/$(printf 'd%.0s' {1..150})/$(printf 'e%.0s' {1..150})/$(printf 'f%.0s' {1..150})/x.nnb.h5"
case_ "random -o <460-byte path in no directory>" 1 "cannot use its directory: No such file" -- \
    "$NNBUNDLE" random --layers 4,3 -o "$long" --quiet
case_ "run --stats /nonexistent/s.json" 1 "/nonexistent/s.json" -- \
    "$NNBUNDLE" run --data "$D" -o "$W/run.nnb.h5" --layers 8 --epochs 1 \
    --stats /nonexistent/s.json --quiet
[ ! -e "$W/run.nnb.h5" ] || fail "run --stats /nonexistent: the output was written"
# a later stage fails (a data set with an empty class: labels 0, 1, 3): no output left
E="$W/empty_class"
mkdir "$E"
cp "$D"/*images* "$E"/
for s in train t10k; do
    n=$(($(stat -c %s "$D/$s-labels-idx1-ubyte") - 8))
    { head -c 8 "$D/$s-labels-idx1-ubyte"
      LC_ALL=C awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "%c", (i % 3 == 2) ? 3 : i % 3 }'
    } >"$E/$s-labels-idx1-ubyte"
done
case_ "run on a data set with an empty class" 1 "left as it was" -- \
    "$NNBUNDLE" run --data "$E" -o "$W/run.nnb.h5" --layers 8 --epochs 1 \
    --set importance_epochs=1 --quiet
[ ! -e "$W/run.nnb.h5" ] || fail "run with a failing stage left its output"
if [ ${#RENDER_CMD[@]} -gt 0 ]; then
    cp "$F" "$W/g.png"
    case_ "nnbundle-render G --screenshot G" 1 "same file as the input FILE" -- \
        "${RENDER_CMD[@]}" "$W/g.png" --screenshot "$W/g.png" --quiet
    rm "$W/g.png"
fi

# a 250-byte file name: written, bundled, nothing left
name250="$W/$(printf 'n%.0s' {1..243}).nnb.h5"
case_ "random -o <250-byte name>+" 0 "" -- "$NNBUNDLE" random --layers 8,4 -o "$name250" --quiet
case_ "bundle <250-byte name>+" 0 "" -- "$NNBUNDLE" bundle "$name250" --quiet
"$NNBUNDLE" info "$name250" >/dev/null || fail "the 250-byte file does not read"
rm -f "$name250"

# mode, symbolic link, hard link of a rewritten file
chmod 600 "$F"
ln -s f.nnb.h5 "$W/link.nnb.h5"
ln "$F" "$W/hard.nnb.h5"
hard_before=$(sha "$W/hard.nnb.h5")
case_ "bundle LINK (symlink, mode 600, 2 hard links)+" 0 "hard links" -- \
    "$NNBUNDLE" bundle "$W/link.nnb.h5" --set edge_advection=false
[ -L "$W/link.nnb.h5" ] || fail "the symbolic link was replaced"
[ "$(stat -c %a "$F")" = 600 ] || fail "mode 600 became $(stat -c %a "$F")"
[ "$(sha "$W/hard.nnb.h5")" = "$hard_before" ] || fail "the other hard link changed"
[ "$(sha "$F")" != "$hard_before" ] || fail "the target was not rewritten"
rm "$W/link.nnb.h5" "$W/hard.nnb.h5"

# two writers of one file: the second fails naming the first's pid; a reader is not blocked
cp "$W/net.nnb.h5" "$F"
"$NNBUNDLE" bundle "$F" --quiet >"$L/b.txt" 2>&1 &
bpid=$!
for _ in $(seq 1 200); do
    [ -e "$F.nblock" ] && break
    sleep 0.02
done
if [ -e "$F.nblock" ]; then
    KEEP=f.nnb.h5.nblock case_ "importance F during bundle F" 1 "is being written by another nnbundle process (pid $bpid)" \
        -- "$NNBUNDLE" importance "$F" --data "$D" --set importance_epochs=1 --quiet
    "$NNBUNDLE" info "$F" >/dev/null 2>&1 || fail "info (a reader) failed during bundle"
else
    echo "note: bundle finished before the second writer started; lock not exercised"
fi
wait "$bpid" || fail "the first writer (bundle) failed: $(cat "$L/b.txt")"
"$NNBUNDLE" info "$F" | grep -q "bundle" || fail "the first writer's result is missing"
[ -z "$(leftovers "$W")" ] || fail "left after two writers: $(leftovers "$W")"

[ "$fails" = 0 ] || {
    echo "$fails failure(s)" >&2
    exit 1
}
