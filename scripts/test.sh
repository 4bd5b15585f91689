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
echo "== libFuzzer: ${NB_FUZZ_SECONDS:-20} s per reader (IDX, JSON config, .nnb.h5, .npy) =="
# Where clang and libFuzzer (libclang-rt-14-dev) are installed; skipped with a message
# otherwise. A finding stops the script; the input is saved as build/fuzz/tests/fuzz/crash-*.
probe=$(mktemp -d)
if command -v clang >/dev/null &&
   printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' |
   clang -x c -fsanitize=fuzzer -o "$probe/probe" - 2>/dev/null; then
  cmake -S . -B build/fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNB_FUZZ=ON -DNB_RENDERER=OFF >/dev/null
  cmake --build build/fuzz -j "$jobs" --target fuzz_idx fuzz_config fuzz_h5 fuzz_npy nnbundle
  cmake --build build/fuzz --target fuzz_seeds >/dev/null
  (cd build/fuzz/tests/fuzz &&
   export LSAN_OPTIONS=suppressions=$PWD/../../../../tests/data/lsan_hdf5.supp &&
   for t in idx config h5 npy; do
     mkdir -p "corpus/$t"
     ./fuzz_$t -max_total_time="${NB_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 "corpus/$t" \
       "seeds/$t" >"fuzz_$t.log" 2>&1 || { tail -40 "fuzz_$t.log"; exit 1; }
     echo "fuzz_$t: $(grep -E '^(#[0-9]+|Done)' "fuzz_$t.log" | tail -1)"
   done)
else
  echo "libFuzzer: skipped (needs clang and libclang-rt-14-dev: scripts/install_deps.sh)"
fi
rm -rf "$probe"

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
