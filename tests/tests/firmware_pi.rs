//! The Raspberry Pi binary end to end: it plays into a pseudo-terminal, and what comes
//! out of the other end is a valid MIDI stream identical to the host's run of the same
//! player.
//!
//! Needs the binary (`KANTOR_PI_BIN`; `KANTOR_PI_RUNNER` runs it, e.g. under
//! `qemu-aarch64`) and the blob it composes with (`KANTOR_MODEL`), as `.ci/firmware.sh`
//! sets them.

mod firmware_common;

use firmware_common::pty::capture;
use firmware_common::{check_wire, host_pieces, host_stream, BoardConfig};

/// Runs the Pi binary with `args` (after the port options) into a fresh pty and returns
/// everything that came out of the other end.
fn run_pi(args: &[&str]) -> Vec<u8> {
    let bin = std::env::var("KANTOR_PI_BIN").expect("set KANTOR_PI_BIN");
    let runner = std::env::var("KANTOR_PI_RUNNER").unwrap_or_default();
    let mut words: Vec<String> = runner.split_whitespace().map(String::from).collect();
    words.push(bin);
    words.extend(["--port", "{pty}", "--no-gpio"].map(String::from));
    words.extend(args.iter().map(|a| a.to_string()));
    let (status, got) = capture(&words, None);
    assert!(status.success(), "the Pi binary failed: {status}");
    got
}

fn model() -> String {
    std::env::var("KANTOR_MODEL").expect("set KANTOR_MODEL")
}

/// Keeps a failing comparison's bytes for a look.
fn same_or_keep(got: &[u8], host: &[u8], name: &str) -> bool {
    if got != host {
        let dir = std::env::temp_dir();
        std::fs::write(dir.join(format!("kantor-{name}-got.bin")), got).unwrap();
        std::fs::write(dir.join(format!("kantor-{name}-host.bin")), host).unwrap();
    }
    got == host
}

const CFG: BoardConfig = BoardConfig { frames: 48, phrase_bars: 2, context: 16, phrases: 2, steps: 2, levels: 20, pieces: 2, seed: 7 };

#[test]
#[ignore = "needs the cross-built Pi binary: .ci/firmware.sh"]
fn pi_binary_plays_the_hosts_bytes_into_a_pty() {
    let model = model();
    let got = run_pi(&["--autoplay", "2", "--seed", "7", "--tempo", "2000", "--phrases", "2", "--steps", "2", "--levels", "20", "--phrase-bars", "2", "--model", &model]);
    let s = check_wire(&got).unwrap_or_else(|e| panic!("invalid MIDI from the Pi: {e}"));
    assert_eq!(s.program_changes, 8);
    let blob = std::fs::read(&model).unwrap();
    let host: Vec<u8> = host_pieces(&blob, &CFG, [7, 8]).concat();
    assert!(same_or_keep(&got, &host, "pi"), "the Pi's bytes differ from the host's ({} vs {} bytes)", got.len(), host.len());
}

#[test]
#[ignore = "needs the cross-built Pi binary: .ci/firmware.sh"]
fn pi_binary_streams_the_hosts_endless_chorale() {
    let model = model();
    let got = run_pi(&["--stream", "--autoplay", "3", "--seed", "9", "--tempo", "2000", "--steps", "2", "--levels", "20", "--phrase-bars", "2", "--model", &model]);
    let s = check_wire(&got).unwrap_or_else(|e| panic!("invalid MIDI from the Pi: {e}"));
    assert_eq!((s.program_changes, s.all_notes_off), (4, 4));
    let blob = std::fs::read(&model).unwrap();
    let host = host_stream(Some(&blob), &CFG, 9, 3);
    assert!(same_or_keep(&got, &host, "pi-stream"), "the Pi's stream differs from the host's ({} vs {} bytes)", got.len(), host.len());
}
