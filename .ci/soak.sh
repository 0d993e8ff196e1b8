#!/usr/bin/env bash
# Soak test (not part of CI): long runs that look for slow leaks, hangs and stuck notes.
#
#   bash .ci/soak.sh [PIECES] [SECONDS]
#
# 1. The emulated board (mps2-an386 in QEMU) plays PIECES pieces back to back (default
#    1000) and reports its stack high-water after the first piece, the first tenth and the
#    last; the host checks its MIDI byte for byte against its own run of the same player
#    (every note ended, nothing stuck).
# 2. The Raspberry Pi binary, built for the host, streams its endless chorale into a
#    pseudo-terminal for SECONDS (default 3600) with the shipped model and its own sampler
#    settings. Its resident memory is sampled ten times; at the end it is stopped with
#    SIGTERM and reports gaps (phrases not ready when due); the MIDI that came out is
#    checked for notes left sounding.
#
# KANTOR_SOAK_SKIP_BOARD=1 or KANTOR_SOAK_SKIP_PI=1 skips a part; KANTOR_PI_BIN names a
# Pi binary already built; KANTOR_SOAK_PI_ARGS adds options (e.g. "--levels 20 --steps 2"
# on a machine too busy to compose in time). Run it at normal priority: a starved reader
# lets the pseudo-terminal fill, and the player then reports its port lost. Needs the firmware
# toolchains (.ci/firmware.sh installs them) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pieces=${1:-1000}
seconds=${2:-3600}
model=$(realpath "${KANTOR_MODEL:-models/default/model.kq8}")
export KANTOR_MODEL="$model"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
section() { printf '\n=== %s\n' "$*"; }

if [ -z "${KANTOR_SOAK_SKIP_BOARD:-}" ]; then
    section "emulated board: $pieces pieces back to back"
    board=firmware/boards/mps2
    (cd "$board" && env -u CARGO_TARGET_DIR KANTOR_PIECES="$pieces" KANTOR_SEED=1000 KANTOR_PHRASES=2 KANTOR_STEPS=1 KANTOR_LEVELS=4 \
        PATH=/usr/bin:/bin RUSTC_BOOTSTRAP=1 cargo build --release --features autoplay -q)
    start=$(date +%s)
    qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic -monitor none \
        -semihosting-config enable=on,target=native -icount shift=0 \
        -serial "file:$work/board.bin" -kernel "$board/target/thumbv7em-none-eabihf/release/kantor-mps2" >"$work/board.log"
    echo "QEMU ran $(( $(date +%s) - start )) s"
    grep -E '^(config|done)' "$work/board.log"
    KANTOR_FIRMWARE_CAPTURE="$work/board.bin" KANTOR_FIRMWARE_LOG="$work/board.log" \
        cargo test --release -q -p kantor-e2e --test e2e -- --ignored firmware_board::emulated_board_matches_the_host_byte_for_byte --nocapture
fi

if [ -z "${KANTOR_SOAK_SKIP_PI:-}" ]; then
    section "Raspberry Pi binary (host build): endless stream for $seconds s"
    pi_bin=${KANTOR_PI_BIN:-}
    if [ -z "$pi_bin" ]; then
        pi=firmware/boards/raspberry-pi
        (cd "$pi" && env -u CARGO_TARGET_DIR cargo build --release -q)
        pi_bin=$root/$pi/target/release/kantor-pi
    fi
    python3 - "$pi_bin" "$model" "$seconds" ${KANTOR_SOAK_PI_ARGS:-} <<'EOF'
import os, pty, select, signal, subprocess, sys, threading, time, tty

binary, model, seconds, extra = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
master, slave = pty.openpty()
tty.setraw(master)
name = os.ttyname(slave)
proc = subprocess.Popen([binary, "--port", name, "--no-gpio", "--stream", "--seed", "1", "--model", model] + extra,
                        stderr=subprocess.PIPE, text=True)
# The slave stays open here too: when the player closes its end after a failed write (it
# opens it again 200 ms later), reading the master would otherwise fail with EIO.
# The player's log is read as it comes, so a long run cannot fill the pipe.
log_lines = []
reader = threading.Thread(target=lambda: log_lines.extend(l.rstrip("\n") for l in proc.stderr), daemon=True)
reader.start()

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

midi = bytearray()
samples = []
start = time.monotonic()
next_sample = start
stopped = None
while True:
    now = time.monotonic()
    if now >= next_sample and proc.poll() is None:
        samples.append((now - start, rss_kib(proc.pid)))
        next_sample += seconds / 10
    if not stopped and now - start >= seconds:
        proc.send_signal(signal.SIGTERM)
        stopped = now
    if stopped and proc.poll() is None and now - stopped > 60:
        proc.kill()
        sys.exit("the player did not stop within 60 s of SIGTERM")
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        midi += chunk
    elif proc.poll() is not None:
        break
code = proc.wait()
reader.join(timeout=10)
lines = log_lines
print(f"exit status {code}; {len(midi)} MIDI bytes; stopped {time.monotonic() - stopped:.1f} s after SIGTERM" if stopped else f"exit status {code} before SIGTERM; {len(midi)} MIDI bytes")
lost = [l for l in lines if " lost (" in l]
print(f"port lost {len(lost)} times" + (f" (first: {lost[0]})" if lost else ""))
for t, kib in samples:
    print(f"resident memory at {t:7.0f} s: {kib} KiB")
phrases = [l for l in lines if l.startswith("phrase ")]
if phrases:
    print(phrases[0])
    print(phrases[-1])
done = [l for l in lines if l.startswith("stream done")]
print(done[-1] if done else "no 'stream done' line: " + " | ".join(lines[-5:]))

# Notes left sounding: every note-on must be ended by a note-off or All Notes Off.
sounding, status, i, ons = set(), None, 0, 0
while i < len(midi):
    b = midi[i]
    if b >= 0x80:
        status = b
        i += 1
    if status is None:
        sys.exit(f"data byte without a status at {i}")
    n = 1 if status & 0xF0 in (0xC0, 0xD0) else 2
    data = midi[i:i + n]
    i += n
    ch, kind = status & 0x0F, status & 0xF0
    if len(data) < n:
        sys.exit("a message is cut short at the end")
    if kind == 0x90 and data[1] > 0:
        ons += 1
        sounding.add((ch, data[0]))
    elif kind in (0x80, 0x90):
        sounding.discard((ch, data[0]))
    elif kind == 0xB0 and data[0] == 123:
        sounding = {s for s in sounding if s[0] != ch}
print(f"{ons} notes struck, {len(sounding)} left sounding")
if code != 0 or sounding or not done:
    sys.exit(1)
EOF
fi
