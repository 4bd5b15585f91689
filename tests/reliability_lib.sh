# reliability_lib.sh - helpers of the reliability scripts (sourced after cli_lib.sh).
# Provides: fast_idx (a seeded raw IDX pair, fast enough for thousands of images),
# small_model (data, then a trained, scored and bundled network), sha,
# leftovers DIR (names of temporary and lock files left in DIR), now_ms, and RENDER_CMD: the
# renderer (empty when it was not built), run with LeakSanitizer off: Mesa's llvmpipe leaks at
# exit, which is why the gl tests are not run under LeakSanitizer either.

# fast_idx DIR PREFIX N ROWS COLS N_CLASSES SEED: pseudo-random pixels (an LCG seeded by
# SEED), labels i mod N_CLASSES.
fast_idx() {
    mkdir -p "$1"
    LC_ALL=C awk -v n="$3" -v r="$4" -v c="$5" -v seed="$7" '
        function u32(v) {
            printf "%c%c%c%c", int(v / 16777216) % 256, int(v / 65536) % 256, int(v / 256) % 256, v % 256
        }
        BEGIN {
            printf "%c%c%c%c", 0, 0, 8, 3; u32(n); u32(r); u32(c); x = seed
            for (i = 0; i < n * r * c; i++) { x = (x * 69069 + 1) % 4294967296; printf "%c", int(x / 16777216) }
        }' >"$1/$2-images-idx3-ubyte"
    LC_ALL=C awk -v n="$3" -v nc="$6" '
        BEGIN {
            printf "%c%c%c%c%c%c%c%c", 0, 0, 8, 1, int(n / 16777216) % 256, int(n / 65536) % 256, int(n / 256) % 256, n % 256
            for (i = 0; i < n; i++) printf "%c", i % nc
        }' >"$1/$2-labels-idx1-ubyte"
}

# small_model DATA_DIR FILE LAYERS: 300 + 60 images of 8 x 8 in 4 classes in DATA_DIR, and
# FILE trained on them (hidden LAYERS, 1 epoch), with importance and a bundle; fails "setup".
small_model() {
    fast_idx "$1" train 300 8 8 4 1
    fast_idx "$1" t10k 60 8 8 4 2
    "$NNBUNDLE" train --data "$1" -o "$2" --layers "$3" --epochs 1 --quiet >/dev/null &&
        "$NNBUNDLE" importance "$2" --data "$1" --set importance_epochs=1 --quiet >/dev/null &&
        "$NNBUNDLE" bundle "$2" --quiet >/dev/null || fail "setup"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# leftovers DIR: temporary ("*.nbtmp.*") and lock ("*.nblock") files in DIR, one a line
leftovers() { find "$1" -maxdepth 1 \( -name '*.nbtmp.*' -o -name '*.nblock' \) -printf '%f\n'; }

now_ms() { date +%s%3N; }

RENDER_CMD=()
if [ -x "${NB_BINARY_DIR:-}/renderer/nnbundle-render" ]; then
    RENDER_CMD=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
        "$NB_BINARY_DIR/renderer/nnbundle-render")
fi
