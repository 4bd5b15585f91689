#!/usr/bin/env bash
# The test command of the README: installs dependencies, checks the formatting, builds with
# warnings as errors, runs every test; then builds again with AddressSanitizer + UBSan and runs
# the non-GL tests; then builds nnbundle with MPI and runs the two-rank tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
jobs=$(nproc)
export SDL_VIDEODRIVER=offscreen

echo "== format (clang-format --dry-run -Werror over every C/C++ file git tracks) =="
git ls-files -z '*.c' '*.h' '*.cpp' | xargs -0 clang-format --dry-run -Werror
echo "== build (Release, -Werror) =="
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Release -DNB_WERROR=ON >/dev/null
cmake --build build/test -j "$jobs"
echo "== tests =="
(cd build/test && ctest --output-on-failure -j "$jobs")

echo "== build (ASan + UBSan) =="
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNB_WERROR=ON \
      -DNB_ASAN=ON -DNB_UBSAN=ON >/dev/null
cmake --build build/asan -j "$jobs"
echo "== tests under sanitizers (labels unit and cli; GL drivers are not instrumented) =="
(cd build/asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" -L 'unit|cli' -LE slow)

echo "== build (MPI: nnbundle only, NB_MPI=ON) =="
cmake -S . -B build/mpi -G Ninja -DCMAKE_BUILD_TYPE=Release -DNB_WERROR=ON -DNB_MPI=ON \
      -DNB_RENDERER=OFF >/dev/null
cmake --build build/mpi -j "$jobs" --target nnbundle test_bundle_mpi
echo "== MPI tests (label mpi: mpirun -n 2 and 3 on this machine, compared with one process) =="
(cd build/mpi && ctest --output-on-failure -L mpi)
