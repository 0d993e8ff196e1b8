#!/usr/bin/env bash
# Fetches Bach's chorales (MusicXML) from the music21 wheel on PyPI into DIR and prints
# the folder to pass to `kantor prepare --input`. music21 is only read from, never used.
#
#   .ci/corpus.sh DIR     # then: kantor prepare --input "$(.ci/corpus.sh DIR)"
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dest=$1
mkdir -p "$dest"
wheel_dir=$(mktemp -d)
trap 'rm -rf "$wheel_dir"' EXIT
pip download music21 --no-deps --quiet -d "$wheel_dir" >&2
unzip -q -o "$wheel_dir"/music21-*.whl 'music21/corpus/bach/*' -d "$dest" >&2
echo "$(cd "$dest" && pwd)/music21/corpus/bach"
