#!/usr/bin/env bash
# Fuzzes every input Kantor can be handed, SECONDS per target (libFuzzer via cargo-fuzz),
# and prints a table: target, executions, coverage, corpus size, result.
#
#   bash .ci/fuzz.sh SECONDS [TARGET...]
#
# Targets (fuzz/host: what the `kantor` command reads; fuzz/device: what a board reads,
# with the device core built without std):
#   musicxml_prepare  musicxml_melody  midi_melody  midi_eval  onnx_quantize  dataset
#   checkpoint        blob             sampler_settings
#
# Seeds come from real files: the shipped model (.kq8, .onnx) and dataset, the golden
# blobs, MIDI from `kantor generate`, a short training run's checkpoint and its ONNX
# export, the MusicXML test fixtures and a few of Bach's chorales (.mxl and .xml, from
# KANTOR_BACH_CORPUS or .ci/corpus.sh; skipped when offline), plus every input that once crashed
# (fuzz/regressions/TARGET). What the fuzzer finds is kept in fuzz/work (not in git):
# corpus/TARGET grows from run to run, artifacts/TARGET holds crashes, logs/TARGET.log
# the run. KANTOR_FUZZ_WORK moves that folder; KANTOR_FUZZ_RUNS=N ends each target after
# N executions (or SECONDS, whichever comes first). Needs cargo-fuzz (`cargo install
# cargo-fuzz`); the stable toolchain takes its flags with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ $# -lt 1 ]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
host_targets="musicxml_prepare musicxml_melody midi_melody midi_eval onnx_quantize dataset checkpoint"
device_targets="blob sampler_settings"
targets=${*:-$host_targets $device_targets}
work=${KANTOR_FUZZ_WORK:-$root/fuzz/work}
mkdir -p "$work"
export RUSTC_BOOTSTRAP=1
# Overflow checks and debug assertions on; no sanitizer: the unsafe code of the engine is
# guarded by the blob target's arena check, and the fuzzer runs several times faster.
fuzz_flags=(-O -a -s none)
target_base=${CARGO_TARGET_DIR:-$root/target}

crate_of() {
    case " $device_targets " in *" $1 "*) echo device ;; *) echo host ;; esac
}

# Each fuzz crate builds into its own folder: their instrumented builds differ.
target_dir_of() {
    case $1 in device) echo fuzz ;; *) echo fuzz-host ;; esac
}

# Inputs longer than this are cut: the small seeds carry the fuzzing, and a mutated
# shipped model or dataset (0.3-1 MB) costs tens of times more per run.
max_len_of() {
    case $1 in blob) echo 16384 ;; onnx_quantize | dataset) echo 65536 ;;
    checkpoint) echo 262144 ;; *) echo 0 ;; esac
}

# KANTOR_BIN: a `kantor` binary already built (otherwise it is built here).
kantor=${KANTOR_BIN:-}
kantor_bin() {
    if [ -z "$kantor" ]; then
        cargo build --release -q -p kantor >&2
        kantor=$target_base/release/kantor
    fi
    echo "$kantor"
}

# Seeds of every target, made once into $work/seeds.
make_seeds() {
    local s=$work/seeds
    [ -f "$s/.done" ] && return 0
    rm -rf "$s"
    mkdir -p "$s"/{musicxml_prepare,musicxml_melody,midi_melody,midi_eval,onnx_quantize,dataset,checkpoint,blob,sampler_settings}
    local k
    k=$(kantor_bin)
    local tmp
    tmp=$(mktemp -d)

    # Device: the shipped blob and the golden ones; the sampler lines models carry.
    cp models/default/model.kq8 "$s/blob/default.kq8"
    cp firmware/tests/golden/*.kq8 "$s/blob/"
    grep -o '"method=[^"]*"' firmware/src/sampler/settings.rs | tr -d '"' >"$s/sampler_settings/recommended"
    printf 'levels=12 sigma_max=6 sigma_min=0.1 steps=8 epsilon=0.002 init=gaussian' >"$s/sampler_settings/doc"
    printf 'levels=225 steps=5 epsilon=0.0001171 predictor=on temperature=0.9 step_exponent=2 refine=3 refine_fraction=0.2 refine_sigma=1 judge_sigma=0.3 judge=network refine_steps=2' >"$s/sampler_settings/refine"

    # MusicXML: the test fixtures, and a few of Bach's chorales as .mxl and .xml.
    cp host-tools/tests/fixtures/musicxml/*.xml "$s/musicxml_prepare/"
    cp host-tools/tests/fixtures/musicxml/{chord,grace_and_short,ties,pickup_three_four,backup}.xml "$s/musicxml_melody/"
    local bach=""
    if [ -d "${KANTOR_BACH_CORPUS:-}" ] || bach=$(bash .ci/corpus.sh "$tmp/corpus" 2>/dev/null); then
        bach=${bach:-$KANTOR_BACH_CORPUS}
        find "$bach" -name 'bwv2*.mxl' | sort | sed -n "1,4p" | xargs -I{} cp {} "$s/musicxml_prepare/"
        find "$bach" \( -name '*.xml' -o -name '*.musicxml' \) | sort | sed -n "1,2p" | xargs -r -I{} cp {} "$s/musicxml_prepare/"
        find "$bach" -name 'bwv2*.mxl' | sort | sed -n "1,2p" | xargs -I{} cp {} "$s/musicxml_melody/"
    else
        echo "warning: no Bach corpus (offline?); MusicXML seeds are the test fixtures only" >&2
    fi

    # MIDI: generated chorales (four voices) and their sopranos alone (a melody).
    "$k" generate --model models/default/model.kq8 --engine int8 --count 3 --bars 4 --seed 11 --quiet -o "$tmp/gen.mid" >/dev/null
    cp "$tmp"/gen*.mid "$s/midi_eval/"
    cp firmware/examples/mps2-an386-seed1.mid "$s/midi_eval/"
    for f in "$tmp"/gen*.mid; do
        cp "$f" "$s/midi_melody/"
        python3 - "$f" "$s/midi_melody/soprano-$(basename "$f")" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
chunks, i = [], 14
while i + 8 <= len(data):
    n = struct.unpack(">I", data[i + 4:i + 8])[0]
    chunks.append(data[i:i + 8 + n])
    i += 8 + n
fmt, ntrks, div = struct.unpack(">HHH", data[8:14])
# Keep the first track that holds a note-on (the soprano), after any tempo track before it.
keep = []
for c in chunks:
    keep.append(c)
    if any(0x90 <= b <= 0x9F for b in c[8:]):
        break
open(sys.argv[2], "wb").write(data[:8] + struct.pack(">HHH", fmt, len(keep), div) + b"".join(keep))
EOF
    done

    # A dataset of a few chorales; a two-step training run of a tiny network and its export.
    cp models/bach-chorales.kds "$s/dataset/bach-chorales.kds"
    if [ -n "$bach" ]; then
        mkdir -p "$tmp/few"
        find "$bach" -name 'bwv2*.mxl' | sort | sed -n "1,6p" | xargs -I{} cp {} "$tmp/few/"
        "$k" prepare --input "$tmp/few" --output "$tmp/few.kds" >/dev/null 2>&1
        cp "$tmp/few.kds" "$s/dataset/few.kds"
    fi
    printf 'steps = 2\neval_every = 1\nvalid_windows = 2\nbatch = 4\nchunk = 2\nwindow = 16\n[net]\nchannels = 4\nkernel = 3\ndilations = [1, 2]\n' >"$tmp/tiny.toml"
    "$k" train --data models/bach-chorales.kds --config "$tmp/tiny.toml" --out "$tmp/run" >/dev/null 2>&1
    cp "$tmp/run/checkpoint.safetensors" "$s/checkpoint/tiny.safetensors"
    "$k" export-onnx --checkpoint "$tmp/run" --output "$tmp/tiny.onnx" >/dev/null 2>&1
    cp "$tmp/tiny.onnx" "$s/onnx_quantize/tiny.onnx"
    cp models/default/model.onnx "$s/onnx_quantize/default.onnx"
    rm -rf "$tmp"
    touch "$s/.done"
}

make_seeds
printf '%-18s %12s %8s %8s  %s\n' target executions coverage corpus result
status=0
for t in $targets; do
    crate=$(crate_of "$t")
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t" "$work/logs"
    regress=()
    [ -d "fuzz/regressions/$t" ] && regress=("fuzz/regressions/$t")
    log=$work/logs/$t.log
    result=ok
    if ! cargo fuzz run "${fuzz_flags[@]}" --fuzz-dir "fuzz/$crate" --target-dir "$target_base/$(target_dir_of "$crate")" "$t" \
        "$work/corpus/$t" "$work/seeds/$t" "${regress[@]}" -- \
        -max_total_time="$seconds" -max_len="$(max_len_of "$t")" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        ${KANTOR_FUZZ_RUNS:+-runs="$KANTOR_FUZZ_RUNS"} -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" >"$log" 2>&1; then
        result="FAILED (see $log and $work/artifacts/$t)"
        status=1
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*')
    files=$(find "$work/corpus/$t" -type f | wc -l)
    printf '%-18s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "$files" "$result"
done
exit $status
