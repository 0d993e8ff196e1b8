#!/usr/bin/env bash
# Firmware CI: installs the cross toolchains (Debian packages), proves the device core is
# no_std, runs the emulated boards in QEMU (Cortex-M4F and Cortex-M33) and checks their
# MIDI byte for byte against the host, cross-builds the Raspberry Pi binary and plays it
# into a pseudo-terminal under user-mode QEMU, and builds the STM32F4 and Pico 2 boards.
#
# Environment: KANTOR_MODEL (blob; default models/default/model.kq8, a synthetic stand-in
# when missing), KANTOR_CI_PIECES (back-to-back pieces on each emulated board, default 100).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
section() { printf '\n=== %s\n' "$*"; }
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }

# --- Toolchains ---------------------------------------------------------------------------
section "toolchains"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
# The Pi's standard library comes prebuilt (libstd-rust-web-dev:arm64, 102 MB to fetch,
# about 25 s to install here) rather than built from source with -Zbuild-std (about 80 s of
# compiling on two cores, every cold build).
packages="rustc-web cargo-web rust-web-src lld-19 qemu-system-arm qemu-user gcc-aarch64-linux-gnu
          libc6-dev-arm64-cross binutils libstd-rust-web-dev:arm64"
missing=""
for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    dpkg --print-foreign-architectures | grep -x arm64 >/dev/null || $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
# Debian's cargo and rustc build every embedded target from source (build-std); rustup's
# cargo comes first on PATH and would ignore [unstable], so it is kept out.
# Each board builds into its own target/ (the paths below), whatever CARGO_TARGET_DIR says.
deb() { env -u CARGO_TARGET_DIR PATH=/usr/bin:/bin RUSTC_BOOTSTRAP=1 "$@"; }
deb cargo --version
deb rustc --version
echo "toolchains ready after $(elapsed)"

# --- The device core without std ----------------------------------------------------------
section "device core for thumbv7em-none-eabihf (no_std, no alloc)"
for features in "" "defmt"; do
    deb cargo build --release -p kantor-core --target thumbv7em-none-eabihf -Zbuild-std=core \
        --target-dir target/debian --features "$features"
done
echo "device core built after $(elapsed)"

# --- The model the boards compose with ----------------------------------------------------
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=${KANTOR_MODEL:-models/default/model.kq8}
if [ ! -f "$model" ]; then
    echo "no model at $model: using a synthetic stand-in network"
    model="$work/stand-in.kq8"
    KANTOR_WRITE_MODEL="$model" cargo test --release -q -p kantor-e2e --test e2e -- --ignored firmware_board::write_stand_in_model >/dev/null
fi
model=$(realpath "$model")
export KANTOR_MODEL="$model"
echo "model: $model ($(stat -c %s "$model") bytes)"

# --- Emulated boards: mps2-an386 (Cortex-M4F) and mps2-an505 (Cortex-M33) in QEMU ---------
# One crate, firmware/boards/mps2; the build target picks the machine.
board=firmware/boards/mps2
use_machine() {  # use_machine an386|an505: the machine the functions below build for and boot
    case $1 in
        an386) target=thumbv7em-none-eabihf cpu=cortex-m4
               chip="168 MHz Cortex-M4 (STM32F4)" chip_hz=168000000 ;;
        an505) target=thumbv8m.main-none-eabihf cpu=cortex-m33
               chip="150 MHz Cortex-M33 (RP2350)" chip_hz=150000000 ;;
    esac
    machine=mps2-$1
    elf=$board/target/$target/release/kantor-mps2
}
qemu_mps2() {  # qemu_mps2 <icount> <uart capture> <log>: boots $elf, UART0 to the capture, semihosting to the log
    timeout "${KANTOR_CI_QEMU_TIMEOUT:-1800}" qemu-system-arm -machine "$machine" -cpu "$cpu" -nographic \
        -monitor none -semihosting-config enable=on,target=native -icount "$1" \
        -serial "file:$2" -kernel "$elf" >"$3"
}
build_mps2() {  # build_mps2 <features> <env...>: the firmware for $machine with these settings
    local features=$1; shift
    (cd "$board" && deb env "$@" cargo build --release -q --target "$target" --features "$features")
}
check_pieces() {  # check_pieces <capture> <log>: the host-side checks of a run of pieces
    KANTOR_FIRMWARE_CAPTURE="$1" KANTOR_FIRMWARE_LOG="$2" \
        cargo test --release -q -p kantor-e2e --test e2e -- --ignored firmware_board::emulated_board_matches_the_host_byte_for_byte --nocapture
}

# The engine's golden vectors with every kernel set the core has (portable and DSP), bit
# for bit, then one evaluation of the model at 48 frames with each, timed. With
# -icount shift=0 QEMU retires one instruction per virtual nanosecond, and the board's
# SysTick counts the core clock of that virtual time (25 MHz on the AN386, 20 MHz on the
# AN505): 10^9 / core_hz instructions a tick.
golden() {
    section "$machine: golden vectors with every kernel set"
    build_mps2 golden
    qemu_mps2 shift=0 "$work/golden.bin" "$work/golden.log" || { cat "$work/golden.log"; echo "golden vectors failed on $machine"; exit 1; }
    cat "$work/golden.log"
    awk -v machine="$machine" '/^evaluation with/ {
           for (i = 1; i < NF; i++) { if ($i == "ticks") t = $(i+1); if ($i == "conv_macs") m = $(i+1); if ($i == "core_hz") hz = $(i+1) }
           sub(/^evaluation with /, ""); sub(/ kernels.*/, ""); n = t * 1e9 / hz;
           printf "%s, %s: %.3g instructions per network evaluation at 48 frames, %.2f per conv MAC (engine alone)\n", machine, $0, n, n / m }' "$work/golden.log"
}

# One piece of two phrases on the model's noise schedule, one Langevin step per level (the
# model's own five would take five times as long, in QEMU as on a chip), byte for byte
# against the host. The first phrase samples 32 frames, the next ones 48 (with a bar of
# context); an evaluation costs in proportion to its frames.
one_piece() {
    section "$machine: one piece, instruction count"
    build_mps2 autoplay KANTOR_PIECES=1 KANTOR_SEED=1 KANTOR_PHRASES=2 KANTOR_STEPS="${KANTOR_CI_STEPS:-1}" KANTOR_LEVELS=0
    size "$elf"
    qemu_mps2 shift=0 "$work/one.bin" "$work/one.log"
    cat "$work/one.log"
    check_pieces "$work/one.bin" "$work/one.log"
    awk -v chip="$chip" -v chip_hz="$chip_hz" '
         /^kantor:/ { hz = $3 }
         /network evaluations per phrase/ { e = $7; own = $12; sub(/\(/, "", own) }
         /^engine:/ { for (i = 2; i < NF; i++) if ($i == "conv") macs = $(i-1) }
         /^piece / { for (i = 1; i < NF; i++) { if ($i == "compose_ticks") t = $(i+1); if ($i == "first_phrase_ticks") f = $(i+1) } }
         /^config:/ { for (i = 1; i < NF; i++) if ($i == "phrases") p = $(i+1) }
         END { per_frame = t * 1e9 / hz / (e * (32 + 48 * (p - 1)));
               phrase = per_frame * 48 * e; own_phrase = per_frame * 48 * own;
               printf "%.3g instructions per network evaluation at 48 frames, %.2f per conv MAC (%d MACs; sampler included)\n", per_frame * 48, per_frame * 48 / macs, macs;
               printf "per phrase (48 frames, %d evaluations): %.3g instructions, %.0f-%.0f s on a %s at 1.0-1.5 cycles per instruction\n", e, phrase, phrase / chip_hz, phrase * 1.5 / chip_hz, chip;
               printf "per phrase at the model'"'"'s own %d evaluations: %.3g instructions, %.0f-%.0f s\n", own, own_phrase, own_phrase / chip_hz, own_phrase * 1.5 / chip_hz;
               # Time to first note: the whole piece was composed before it; now the first
               # phrase (32 frames, no context) is.
               all = t * 1e9 / hz; first = f * 1e9 / hz;
               printf "time to first note, this piece (%d phrases, %d evaluations): whole piece first %.3g instructions (%.1f-%.1f s), first phrase only %.3g (%.1f-%.1f s)\n", p, e, all, all / chip_hz, all * 1.5 / chip_hz, first, first / chip_hz, first * 1.5 / chip_hz;
               own_all = per_frame * own * (32 + 48 * 3); own_first = per_frame * own * 32;
               printf "time to first note at the model'"'"'s own %d evaluations, 4 phrases: whole piece first %.3g instructions (%.0f-%.0f s), first phrase only %.3g (%.1f-%.1f s)\n", own, own_all, own_all / chip_hz, own_all * 1.5 / chip_hz, own_first, own_first / chip_hz, own_first * 1.5 / chip_hz }' "$work/one.log"
}

# Pieces back to back: no hang, no growth of the stack, every byte as the host's.
many_pieces() {  # many_pieces <count>
    section "$machine: $1 pieces back to back (hangs, memory growth)"
    build_mps2 autoplay KANTOR_PIECES="$1" KANTOR_SEED=1000 KANTOR_PHRASES=2 KANTOR_STEPS=1 KANTOR_LEVELS=4
    qemu_mps2 shift=0 "$work/many.bin" "$work/many.log"
    tail -n 3 "$work/many.log"
    check_pieces "$work/many.bin" "$work/many.log"
}

# The endless chorale: SysTick plays while the main loop composes. -icount shift=3 runs the
# core at 8 ns an instruction (125 MIPS; a 168 MHz Cortex-M4 manages about 110-170, a
# 150 MHz Cortex-M33 100-150), so the margins below are what such a chip would see;
# sleep=off skips idle time.
stream() {
    section "$machine: endless chorale, composing while playing"
    build_mps2 stream KANTOR_PHRASES="${KANTOR_CI_STREAM_PHRASES:-4}" KANTOR_SEED=77 KANTOR_STEPS=1 KANTOR_LEVELS="${KANTOR_CI_STREAM_LEVELS:-8}"
    size "$elf"
    qemu_mps2 shift=3,sleep=off "$work/stream.bin" "$work/stream.log"
    cat "$work/stream.log"
    KANTOR_STREAM_CAPTURE="$work/stream.bin" KANTOR_STREAM_LOG="$work/stream.log" \
        cargo test --release -q -p kantor-e2e --test e2e -- --ignored firmware_board::emulated_stream_matches_the_host --nocapture
}

use_machine an386
golden
one_piece
many_pieces "${KANTOR_CI_PIECES:-100}"
stream
echo "mps2-an386 done after $(elapsed)"

use_machine an505
golden
one_piece
many_pieces "${KANTOR_CI_PIECES:-100}"
stream
echo "mps2-an505 done after $(elapsed)"

# --- Raspberry Pi: aarch64 Linux under user-mode QEMU --------------------------------------
section "Raspberry Pi binary (aarch64)"
pi=firmware/boards/raspberry-pi
(cd "$pi" && deb cargo build --release -q --target aarch64-unknown-linux-gnu)
pi_bin=$root/$pi/target/aarch64-unknown-linux-gnu/release/kantor-pi
size "$pi_bin" 2>/dev/null || ls -l "$pi_bin"
# -L /: the arm64 loader and libc that came with the arm64 standard library.
KANTOR_PI_BIN="$pi_bin" KANTOR_PI_RUNNER="qemu-aarch64 -L /" \
    cargo test --release -q -p kantor-e2e --test e2e firmware_pi:: -- --ignored --nocapture
section "the same binary built for this machine"
(cd "$pi" && env -u CARGO_TARGET_DIR cargo build --release -q)
KANTOR_PI_BIN="$root/$pi/target/release/kantor-pi" \
    cargo test --release -q -p kantor-e2e --test e2e firmware_pi:: -- --ignored --nocapture
echo "Pi done after $(elapsed)"

# --- Real boards: STM32F4 Discovery and Raspberry Pi Pico 2 --------------------------------
build_board() {  # build_board <title> <crate dir> <target> <binary> <features...>: builds and sizes each
    local title=$1 dir=$2 target=$3 binary=$4; shift 4
    section "$title ($target)"
    for features in "$@"; do
        (cd "$dir" && deb cargo build --release -q --features "$features")
        echo "features: ${features:-(pieces)}"
        size "$dir/target/$target/release/$binary"
    done
}
build_board "STM32F4 Discovery" firmware/boards/stm32f4-discovery thumbv7em-none-eabihf kantor-stm32f4-discovery "stream,defmt" ""
# The RP2350 has no QEMU machine: the emulated AN505 above runs its core's code (Cortex-M33
# with the DSP extension); here the board's program is built and sized.
build_board "Raspberry Pi Pico 2" firmware/boards/pico2 thumbv8m.main-none-eabihf kantor-pico2 "stream" ""

section "firmware CI passed in $(elapsed)"
