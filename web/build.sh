#!/usr/bin/env bash
# Builds the page into web/dist: the WebAssembly board (Debian's Rust with build-std, linked
# by wasm-ld-19), OpenSheetMusicDisplay from npm (package-lock.json), and the static files.
# Then: python3 -m http.server -d web/dist 8000, and open http://localhost:8000.
#
# Environment: KANTOR_MODEL (blob to build in; default models/default/model.kq8).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"

missing=""
for p in rustc-web cargo-web rust-web-src lld-19; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
command -v node >/dev/null || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

# Debian's cargo (rustup's ignores [unstable] build-std); its own target/ whatever
# CARGO_TARGET_DIR says.
deb() { (cd firmware/boards/wasm && env -u CARGO_TARGET_DIR PATH=/usr/bin:/bin RUSTC_BOOTSTRAP=1 "$@"); }
wasm=firmware/boards/wasm/target/wasm32-unknown-unknown/release/kantor_wasm.wasm
# For the tests: the module with the engine's golden vectors (web/build, not published).
deb cargo build --release -q --features golden
mkdir -p web/build
cp "$wasm" web/build/kantor-golden.wasm
deb cargo build --release -q

(cd web && { [ -d node_modules/opensheetmusicdisplay ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; })

dist=web/dist
rm -rf "$dist"
mkdir -p "$dist/vendor"
cp web/index.html web/style.css web/app.js web/kantor.js web/melody.js web/audio.js web/worker.js web/manifest.webmanifest "$dist/"
cp "$wasm" "$dist/kantor.wasm"
cp web/node_modules/opensheetmusicdisplay/build/opensheetmusicdisplay.min.js "$dist/vendor/"
# The service worker's cache is named after what it caches, so a new build replaces it.
version=$(cat "$dist"/*.* "$dist"/vendor/* | sha256sum | cut -c1-12)
sed "s/kantor-VERSION/kantor-$version/" web/sw.js > "$dist/sw.js"

echo "built $dist (version $version):"
total=0; gz=0
for f in "$dist"/*.* "$dist"/vendor/*; do
    s=$(stat -c %s "$f"); z=$(gzip -9 -c "$f" | wc -c)
    total=$((total + s)); gz=$((gz + z))
    printf '  %-45s %9d bytes, %8d gzipped\n' "${f#$dist/}" "$s" "$z"
done
printf '  %-45s %9d bytes, %8d gzipped\n' "page weight" "$total" "$gz"
