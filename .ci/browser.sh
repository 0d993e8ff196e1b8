#!/usr/bin/env bash
# Kantor in the browser: builds the WebAssembly board and the page (web/build.sh), checks
# under Node.js that the module's kernel sets agree and that its MIDI files and MusicXML
# are the host's bytes for the same settings (web/test/node.test.mjs), then drives the
# page in Debian's headless Chromium with playwright-core (web/test/browser.mjs): compose,
# score drawn, MIDI downloaded and compared with the host's, a melody harmonised, play,
# endless chorale, offline reload, no console errors. Prints the page weight and the time
# per piece in Chromium. Needs the host's `kantor` built (cargo build --release -p kantor).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
section() { printf '\n=== %s\n' "$*"; }
t0=$(date +%s)
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"

missing=""
for p in chromium chromium-driver nodejs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

section "host command"
cargo build --release -q -p kantor
bin=$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/release/kantor
export KANTOR_BIN="$bin"

section "the page (web/dist)"
bash web/build.sh

section "the WebAssembly board under Node.js"
node --test web/test/node.test.mjs
node web/test/bench.mjs 16 1

section "the page in headless Chromium"
node web/test/browser.mjs
echo "browser CI passed in $(( $(date +%s) - t0 )) s"
