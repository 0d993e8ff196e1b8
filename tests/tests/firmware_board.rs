//! The board application end to end: the host run (player, sampler, int8 engine) sends a
//! valid MIDI stream, and the emulated Cortex-M4 board sends exactly the same bytes.

mod firmware_common;

use firmware_common::{check_wire, host_pieces, host_stream, synthetic_blob, BoardConfig};

fn small_config(pieces: u32) -> BoardConfig {
    BoardConfig { frames: 48, phrase_bars: 2, context: 16, phrases: 3, steps: 2, levels: 0, pieces, seed: 11 }
}

#[test]
fn host_run_sends_valid_midi_and_replays_from_its_seed() {
    let blob = synthetic_blob(5);
    let cfg = small_config(2);
    let pieces = host_pieces(&blob, &cfg, [11, 12]);
    for piece in &pieces {
        let s = check_wire(piece).unwrap_or_else(|e| panic!("invalid MIDI: {e}"));
        assert_eq!(s.program_changes, 4, "one program change per voice");
        assert!(s.note_ons > 0);
        assert_eq!(s.note_ons, s.note_offs, "every note-on has its note-off");
        assert_eq!(s.all_notes_off, 0, "nothing stopped the piece");
    }
    assert_eq!(host_pieces(&blob, &cfg, [11]), pieces[..1], "same seed, same bytes");
    assert_ne!(pieces[0], pieces[1], "another seed, another piece");
}

#[test]
fn wire_checker_refuses_broken_streams() {
    assert!(check_wire(&[0x90, 60, 100, 60, 0]).is_ok());
    assert!(check_wire(&[0x90, 60, 100]).unwrap_err().contains("never ended"));
    assert!(check_wire(&[60, 100]).unwrap_err().contains("without a status"));
    assert!(check_wire(&[0x90, 60]).unwrap_err().contains("cut short"));
    assert!(check_wire(&[0x90, 60, 0]).unwrap_err().contains("silent note"));
    assert!(check_wire(&[0x90, 60, 1, 0xB0, 123, 0]).is_ok());
    let s = check_wire(&[0xC0, 19, 0x90, 60, 100, 60, 0, 62, 90, 0x80, 62, 0]).unwrap();
    assert_eq!((s.running_status, s.note_ons, s.note_offs, s.program_changes), (2, 2, 2, 1));
}

/// Reads the emulated board's UART capture and semihosting log (paths in
/// `KANTOR_FIRMWARE_CAPTURE` and `KANTOR_FIRMWARE_LOG`, the blob it was built with in
/// `KANTOR_MODEL`), as `.ci/firmware.sh` leaves them.
#[test]
#[ignore = "needs a run of the emulated board: .ci/firmware.sh"]
fn emulated_board_matches_the_host_byte_for_byte() {
    let path = |var: &str| std::env::var(var).unwrap_or_else(|_| panic!("set {var}"));
    let capture = std::fs::read(path("KANTOR_FIRMWARE_CAPTURE")).expect("the UART capture");
    let log = std::fs::read_to_string(path("KANTOR_FIRMWARE_LOG")).expect("the board's log");
    let (model, cfg) = BoardConfig::from_log(&log).unwrap();
    assert!(model, "the board was built without a model");
    let blob = std::fs::read(path("KANTOR_MODEL")).expect("the model blob");

    // Every piece the board reports, in order, and then the end of the run.
    let reported: Vec<(u64, usize)> = log
        .lines()
        .filter(|l| l.starts_with("piece "))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[3].parse().unwrap(), w[7].parse().unwrap())
        })
        .collect();
    assert_eq!(reported.len(), cfg.pieces as usize, "the board did not finish every piece:\n{log}");
    let done = log.lines().find(|l| l.starts_with("done:")).expect("the board reached the end");
    // High-water marks after the first piece, the first tenth and the last. The deepest
    // point can still move a little when the 1 kHz SysTick interrupt happens to land on a
    // deeper call (an exception frame with FPU state is 104 bytes, plus the handler's
    // own), but it must not keep growing with the pieces.
    let stack: Vec<usize> = done.split_whitespace().filter_map(|w| w.parse().ok()).skip(2).collect();
    assert!(stack[2] <= stack[0] + 256, "stack use grew over the run: {done}");

    let seeds = (0..cfg.pieces as u64).map(|n| cfg.seed + n);
    let host = host_pieces(&blob, &cfg, seeds);
    let mut at = 0;
    for (n, (piece, (seed, bytes))) in host.iter().zip(&reported).enumerate() {
        assert_eq!(*seed, cfg.seed + n as u64);
        assert_eq!(piece.len(), *bytes, "piece {n}: the board sent {bytes} bytes, the host {}", piece.len());
        assert!(capture[at..at + bytes] == piece[..], "piece {n} (seed {seed}) differs from the host's");
        at += bytes;
    }
    assert_eq!(at, capture.len(), "the capture holds more than the pieces");
    let s = check_wire(&capture).unwrap_or_else(|e| panic!("the board's MIDI is invalid: {e}"));
    assert!(s.running_status > 0, "running status is never used");
    assert_eq!(s.note_ons, s.note_offs);
    assert_eq!(s.program_changes, 4 * cfg.pieces as usize);

    eprintln!("{} pieces, {} bytes, identical to the host; {:?}", cfg.pieces, capture.len(), s);
}

/// The emulated board's endless chorale (`stream` feature; capture and log in
/// `KANTOR_STREAM_CAPTURE` and `KANTOR_STREAM_LOG`): valid MIDI, every phrase in time,
/// and the same bytes as the host's stream.
#[test]
#[ignore = "needs a streaming run of the emulated board: .ci/firmware.sh"]
fn emulated_stream_matches_the_host() {
    let path = |var: &str| std::env::var(var).unwrap_or_else(|_| panic!("set {var}"));
    let capture = std::fs::read(path("KANTOR_STREAM_CAPTURE")).expect("the UART capture");
    let log = std::fs::read_to_string(path("KANTOR_STREAM_LOG")).expect("the board's log");
    let (model, cfg) = BoardConfig::from_log(&log).unwrap();
    let done = log.lines().find(|l| l.starts_with("stream done:")).unwrap_or_else(|| panic!("the stream did not finish:\n{log}"));
    let s = check_wire(&capture).unwrap_or_else(|e| panic!("the board's MIDI is invalid: {e}"));
    assert_eq!(s.program_changes, 4, "programs are set once for the whole stream");
    assert_eq!(s.all_notes_off, 4, "the stop turns every voice's channel off");
    let blob = model.then(|| std::fs::read(path("KANTOR_MODEL")).expect("the model blob"));
    let host = host_stream(blob.as_deref(), &cfg, cfg.seed, cfg.phrases);
    assert!(capture == host, "the stream differs from the host's ({} vs {} bytes)", capture.len(), host.len());
    eprintln!("{done}");
}

/// Writes a stand-in int8 network to `KANTOR_WRITE_MODEL`, for building the boards when
/// no trained model is shipped (the synthetic network uses every op of the format, so the
/// engine, the sampler and the player run exactly as with a trained one).
#[test]
#[ignore = "a helper of .ci/firmware.sh"]
fn write_stand_in_model() {
    let path = std::env::var("KANTOR_WRITE_MODEL").expect("set KANTOR_WRITE_MODEL");
    std::fs::write(&path, synthetic_blob(5)).expect("the stand-in model is written");
}
