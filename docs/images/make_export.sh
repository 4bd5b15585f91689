#!/usr/bin/env bash
# docs/images/make_export.sh - the pictures and figures of docs/export.md.
#
# Exports a bundled network with `nnbundle-render --export` to OUT_DIR/FILE.glb and
# OUT_DIR/FILE.html, prints their sizes and counts, validates the glb with the Khronos
# glTF validator when node and npm are there (npm install gltf-validator in a temporary
# directory), and photographs the page in headless Chromium with the network disabled:
#
#   export_page_all.png    class view "all", the default pose (8, the side view)
#   export_page_class.png  class view of class CLASS (default 1), pose 8
#
# usage: docs/images/make_export.sh BUILD_DIR FILE.nnb.h5 [OUT_DIR]
#   BUILD_DIR  build directory with renderer/nnbundle-render
#   FILE       a bundled network (the docs use Fashion-MNIST 784-81-49-10)
#   OUT_DIR    where the PNGs go (default: the directory of this script, docs/images); the
#              .glb and .html go to a temporary directory
# Needs chromium (Debian package chromium). About 30 s on a 2-core machine.
set -euo pipefail

if [ $# -lt 2 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
build=$1
file=$2
out=${3:-$(cd "$(dirname "$0")" && pwd)}
class=${CLASS:-1}
render="$build/renderer/nnbundle-render"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$file" .nnb.h5)

"$render" "$file" --export "$tmp/$name.glb"
"$render" "$file" --export "$tmp/$name.html"
ls -l "$tmp/$name.glb" "$tmp/$name.html"

if command -v npm > /dev/null && command -v node > /dev/null; then
    (cd "$tmp" && npm install --silent gltf-validator > /dev/null 2>&1) || true
    if [ -d "$tmp/node_modules/gltf-validator" ]; then
        cat > "$tmp/validate.js" <<'JS'
const v = require('gltf-validator');
const data = new Uint8Array(require('fs').readFileSync(process.argv[2]));
v.validateBytes(data).then((r) => {
  const i = r.issues;
  console.log(`gltf-validator ${r.validatorVersion}: ${i.numErrors} errors, ` +
              `${i.numWarnings} warnings, ${i.numInfos} infos, ${i.numHints} hints; ` +
              `${r.info.totalVertexCount} vertices, ${r.info.drawCallCount} draw calls`);
  for (const m of i.messages) console.log(`  ${m.severity} ${m.code} ${m.pointer}: ${m.message}`);
  process.exit(i.numErrors > 0 ? 1 : 0);
});
JS
        node "$tmp/validate.js" "$tmp/$name.glb"
    fi
fi

shoot() { # QUERY PNG
    chromium --headless --no-sandbox --use-angle=swiftshader --enable-unsafe-swiftshader \
        --proxy-server=127.0.0.1:9 '--host-resolver-rules=MAP * ~NOTFOUND' \
        --user-data-dir="$tmp/profile" --window-size=1024,576 --virtual-time-budget=15000 \
        --screenshot="$2" "file://$tmp/$name.html$1" > /dev/null 2>&1
    echo "wrote $2"
}
shoot "?view=0" "$out/export_page_all.png"
shoot "?view=$((class + 2))&pose=8" "$out/export_page_class.png"
