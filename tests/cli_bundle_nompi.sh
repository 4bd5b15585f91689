#!/usr/bin/env bash
# cli_bundle_nompi.sh - an nnbundle built without MPI (NB_MPI=OFF) started by an MPI launcher
# with several ranks refuses to run (every rank would write the same file) and says how to
# build with MPI; one rank, or none, runs as usual. The launcher is played by its environment.
set -uo pipefail
NB_CLI_TEST_NAME=cli_bundle_nompi
. "$(dirname "$0")/cli_lib.sh"
"$NNBUNDLE" random --layers 6,4,3 --seed 2 -o "$W/net.nnb.h5" --quiet || fail "random"
sha=$(sha256sum "$W/net.nnb.h5" | cut -d' ' -f1)
expect 1 "[bundle] started as one of 2 MPI ranks" -- env OMPI_COMM_WORLD_SIZE=2 \
    "$NNBUNDLE" bundle "$W/net.nnb.h5" --quiet
grep -qF -- "-DNB_MPI=ON" "$W/err.txt" || fail "the refusal does not say how to build with MPI"
expect 1 "[bundle] started as one of 4 MPI ranks" -- env PMI_SIZE=4 \
    "$NNBUNDLE" bundle "$W/net.nnb.h5" --quiet
[ "$(sha256sum "$W/net.nnb.h5" | cut -d' ' -f1)" = "$sha" ] || fail "a refused run changed the file"
"$NNBUNDLE" --version | grep -q "MPI" && fail "--version of a build without MPI says MPI"
expect 0 "" -- env OMPI_COMM_WORLD_SIZE=1 "$NNBUNDLE" bundle "$W/net.nnb.h5" --quiet
[ "$fails" -eq 0 ] && echo "cli_bundle_nompi: all passed"
exit $((fails > 0))
