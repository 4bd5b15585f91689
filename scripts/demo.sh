#!/usr/bin/env bash
# The main job of the README: trains a 784-81-49-10 network on Fashion-MNIST, estimates
# importance, bundles it into out/fashion_mnist.nnb.h5 and renders out/fashion_mnist.png
# headless; with a display it then opens the viewer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DNB_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
mkdir -p out
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
./build/release/processor/nnbundle run --data "$DATA" -o out/fashion_mnist.nnb.h5
./build/release/processor/nnbundle info out/fashion_mnist.nnb.h5
SDL_VIDEODRIVER=offscreen ./build/release/renderer/nnbundle-render out/fashion_mnist.nnb.h5 \
    --screenshot out/fashion_mnist.png --size 1600x900
echo "wrote out/fashion_mnist.nnb.h5 and out/fashion_mnist.png"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${CI:-}" ]; then
  ./build/release/renderer/nnbundle-render out/fashion_mnist.nnb.h5
fi
