# cli_lib.sh - helpers shared by the CLI script tests (sourced, not run).
# Provides: $NNBUNDLE (required), a work dir $W removed on exit, fail (counts into $fails),
# expect STATUS STDERR_SUBSTRING -- command... (checks exit status and the message), and
# write_idx DIR PREFIX N ROWS COLS N_CLASSES SEED (a tiny raw IDX pair).
NNBUNDLE=${NNBUNDLE:?NNBUNDLE must point at the nnbundle binary}
W=$(mktemp -d "${TMPDIR:-/tmp}/${NB_CLI_TEST_NAME:-cli}.XXXXXX")
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

byte() { printf "\\x$(printf %02x "$1")"; }
u32() { byte $(($1 >> 24 & 255)); byte $(($1 >> 16 & 255)); byte $(($1 >> 8 & 255)); byte $(($1 & 255)); }
# write_idx DIR PREFIX N ROWS COLS N_CLASSES SEED: random pixels, labels i mod N_CLASSES
write_idx() {
    local dir=$1 prefix=$2 n=$3 rows=$4 cols=$5 nc=$6 seed=$7 i
    mkdir -p "$dir"
    {
        printf '\x00\x00\x08\x03'; u32 "$n"; u32 "$rows"; u32 "$cols"
        local x=$seed
        for ((i = 0; i < n * rows * cols; i++)); do
            x=$(((x * 1103515245 + 12345) % 2147483648))
            byte $(((x >> 16) & 255))
        done
    } >"$dir/$prefix-images-idx3-ubyte"
    {
        printf '\x00\x00\x08\x01'; u32 "$n"
        for ((i = 0; i < n; i++)); do byte $((i % nc)); done
    } >"$dir/$prefix-labels-idx1-ubyte"
}
