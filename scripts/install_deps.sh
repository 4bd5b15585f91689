#!/usr/bin/env bash
# Installs the Debian 12 packages nnbundle needs, if any is missing (root or sudo).
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config clang-format git
      libsdl2-dev libglew-dev libcglm-dev libcjson-dev libhdf5-dev hdf5-tools zlib1g-dev
      libpng-dev libstb-dev fonts-dejavu-core libimgui-dev libopenblas-dev libcmocka-dev
      libegl-dev libgles-dev libgl-dev libgl1-mesa-dri libegl-mesa0 xvfb xauth mesa-utils
      dataset-fashion-mnist gnuplot-nox hyperfine
      protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata python3-onnx
      python3-numpy libjs-three chromium)
# python3-h5py: the hostile-input test (tests/hostile/); clang + libclang-rt-14-dev: the short
# libFuzzer run of scripts/test.sh (tests/fuzz/).
pkgs+=(python3-h5py clang libclang-rt-14-dev)
# protobuf-c + libonnx-dev: the ONNX reader's code is generated from onnx.proto at build time;
# libonnx-testdata: ONNX's operator tests (tests/onnx_testdata.py); python3-onnx: the refusal
# test models (tests/onnx_models.py). libjs-three: three.js r111 inlined into the pages of
# nnbundle-render --export OUT.html; chromium: tests/test_export_browser.c loads such a page
# headless (WebGL via SwiftShader).
# MPI (docs/distributed.md): Open MPI for the NB_MPI build that scripts/test.sh also runs.
pkgs+=(libopenmpi-dev openmpi-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install_deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
