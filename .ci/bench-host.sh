#!/usr/bin/env bash
# Host speed (not part of CI): one score evaluation of the shipped model at 64 and 256
# frames, onnxruntime (f32, one thread) on model.onnx against the int8 engine on
# model.kq8 with each kernel set this CPU runs, in turns (.ci/bench_host.py says how).
#
#   bash .ci/bench-host.sh [REPS] [-- more options of bench_host.py]
#
# Builds the engine's timing program (`cargo build --release -p kantor-core --features
# std --example engine_timing`) and installs onnxruntime and numpy from PyPI into a
# throwaway virtual environment (removed at the end). KANTOR_BENCH_PYTHON names a Python
# that has them already (e.g. a venv kept from an earlier run: `python3 -m venv DIR &&
# DIR/bin/pip install onnxruntime numpy`). onnxruntime is only the yardstick: nothing of
# Kantor uses it. Needs python3 with venv and network access to PyPI for the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-2000}
shift $(( $# > 0 ? 1 : 0 ))
[ "${1:-}" = "--" ] && shift

cargo build --release -p kantor-core --features std --example engine_timing
engine="${CARGO_TARGET_DIR:-target}/release/examples/engine_timing"

python=${KANTOR_BENCH_PYTHON:-}
if [ -z "$python" ]; then
    venv=$(mktemp -d)
    trap 'rm -rf "$venv"' EXIT
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check onnxruntime numpy
    python="$venv/bin/python"
fi
"$python" .ci/bench_host.py --engine "$engine" --reps "$reps" "$@"
