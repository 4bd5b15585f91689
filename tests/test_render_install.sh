#!/bin/bash
# test_render_install.sh - the installed layout: `cmake --install` of the build tree into a
# temporary prefix, then the installed nnbundle and nnbundle-render make and draw a small
# network headless, run from another directory. nnbundle-render must read the shaders
# installed next to it (<prefix>/share/nnbundle/shaders, found from its own path), also after
# the prefix is moved, and NNBUNDLE_SHADER_DIR must still override them.
# Environment: NB_BINARY_DIR (the build tree), CMAKE (the cmake to install with).
set -euo pipefail
: "${NB_BINARY_DIR:?}" "${CMAKE:=cmake}"
export SDL_VIDEODRIVER=offscreen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$CMAKE" --install "$NB_BINARY_DIR" --prefix "$tmp/prefix" > "$tmp/install.log" ||
    fail "cmake --install: $(tail -3 "$tmp/install.log")"
for f in bin/nnbundle bin/nnbundle-render share/nnbundle/shaders/impostor.frag \
    share/nnbundle/shaders/impostor_ellipsoid.geom share/nnbundle/configs/rendering.json \
    share/nnbundle/configs/processing.json; do
    [ -e "$tmp/prefix/$f" ] || fail "not installed: $f"
done

mkdir "$tmp/work"
cd "$tmp/work"
"$tmp/prefix/bin/nnbundle" random --layers 12,6,3 -o net.nnb.h5 --quiet
"$tmp/prefix/bin/nnbundle" bundle net.nnb.h5 --quiet

# draws with the installed shaders (the verbose log names the directory in use)
"$tmp/prefix/bin/nnbundle-render" net.nnb.h5 --size 96x64 --screenshot a.png --verbose \
    2> log.txt || fail "installed nnbundle-render: $(tail -3 log.txt)"
[ -s a.png ] || fail "no image written"
grep -q "shaders $tmp/prefix/bin/../share/nnbundle/shaders" log.txt ||
    fail "not the installed shaders: $(grep 'shaders' log.txt || true)"

# the prefix moved: the shaders are found in the new place
mv "$tmp/prefix" "$tmp/moved"
"$tmp/moved/bin/nnbundle-render" net.nnb.h5 --size 96x64 --screenshot b.png --verbose \
    2> log.txt || fail "moved nnbundle-render: $(tail -3 log.txt)"
grep -q "shaders $tmp/moved/bin/../share/nnbundle/shaders" log.txt ||
    fail "not the moved shaders: $(grep 'shaders' log.txt || true)"
cmp -s a.png b.png || fail "the moved install draws another image"

# the installed interactive loop (GUI included) runs a few frames
"$tmp/moved/bin/nnbundle-render" net.nnb.h5 --size 320x200 --quit-after 3 --quiet ||
    fail "interactive run"

# NNBUNDLE_SHADER_DIR overrides: a directory without shaders is an error naming it
status=0
NNBUNDLE_SHADER_DIR="$tmp/empty" "$tmp/moved/bin/nnbundle-render" net.nnb.h5 --size 96x64 \
    --screenshot c.png 2> log.txt || status=$?
[ "$status" -eq 1 ] || fail "NNBUNDLE_SHADER_DIR=empty: exit status $status, expected 1"
grep -q "$tmp/empty/" log.txt || fail "the error does not name NNBUNDLE_SHADER_DIR: $(cat log.txt)"
echo "ok: installed to a prefix, drawn with the installed shaders, moved, overridden"
