#!/usr/bin/env bash
# h5_same.sh A.nnb.h5 B.nnb.h5 - whether two nnbundle files hold the same bits, wall-clock
# timings aside. Two runs of the same input never give byte-identical files (HDF5 stores
# object times, /bundle stores its run's time_* attributes), so this compares what the run
# computed: every dataset's raw little-endian bytes (h5dump -b LE, then cmp), the same list of
# datasets, and every group, dataset and attribute header and attribute value (h5dump -A, floats
# as C99 hex %a, i.e. every bit), except the attributes named time_*. Prints one line saying
# what was compared; exit 0 when the same, 1 when not (naming the first difference), 2 on
# usage. Needs h5dump and h5ls (hdf5-tools).
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: h5_same.sh A.nnb.h5 B.nnb.h5" >&2; exit 2; }
a=$1 b=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/h5_same.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# headers and attributes without the file name line and the time_* attribute blocks
attrs() {
    h5dump -A -m %a "$1" | awk '
        NR == 1 { next }
        !skip && /ATTRIBUTE "time_/ { skip = 1; depth = 0 }
        skip { depth += gsub(/\{/, "{") - gsub(/\}/, "}"); if (depth <= 0) skip = 0; next }
        { print }'
}
datasets() { h5ls -r "$1" | awk '$2 == "Dataset" { print $1 }'; }

attrs "$a" >"$tmp/a.txt" && attrs "$b" >"$tmp/b.txt" || { echo "h5_same: cannot read $a or $b" >&2; exit 1; }
if ! cmp -s "$tmp/a.txt" "$tmp/b.txt"; then
    echo "h5_same: headers or attributes differ:" >&2
    diff "$tmp/a.txt" "$tmp/b.txt" | head -20 >&2
    exit 1
fi
datasets "$a" >"$tmp/a.list"
datasets "$b" >"$tmp/b.list"
cmp -s "$tmp/a.list" "$tmp/b.list" || { echo "h5_same: the files hold different datasets" >&2; exit 1; }
n=0 bytes=0
while read -r d; do
    h5dump -d "$d" -b LE -o "$tmp/a.bin" "$a" >/dev/null 2>&1 &&
        h5dump -d "$d" -b LE -o "$tmp/b.bin" "$b" >/dev/null 2>&1 ||
        { echo "h5_same: cannot dump $d" >&2; exit 1; }
    cmp -s "$tmp/a.bin" "$tmp/b.bin" || { echo "h5_same: dataset $d differs" >&2; exit 1; }
    n=$((n + 1))
    bytes=$((bytes + $(stat -c %s "$tmp/a.bin")))
done <"$tmp/a.list"
na=$(grep -c 'ATTRIBUTE "' "$tmp/a.txt")
echo "same: $n datasets ($bytes bytes) bit-identical; $na attributes identical (time_* not compared)"
