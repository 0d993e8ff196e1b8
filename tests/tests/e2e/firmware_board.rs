//! The board application end to end: the host run (player, sampler, int8 engine) sends a
//! valid MIDI stream, and the emulated boards (Cortex-M4F and Cortex-M33) send exactly the
//! same bytes.

use crate::firmware_common;

use firmware_common::heard::wire_to_smf;
use firmware_common::{check_wire, host_pieces, host_run, host_stream, synthetic_blob, BoardConfig};
use kantor_core::midi::Performance;

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

/// The notes of a Standard MIDI File: (track, channel, key, start tick, end tick).
fn smf_notes(bytes: &[u8]) -> Vec<(usize, u8, u8, u32, u32)> {
    let smf = midly::Smf::parse(bytes).expect("the MIDI file reads back");
    let mut notes = Vec::new();
    for (t, track) in smf.tracks.iter().enumerate() {
        let mut tick = 0;
        let mut open = std::collections::HashMap::new();
        for e in track {
            tick += e.delta.as_int();
            if let midly::TrackEventKind::Midi { channel, message: midly::MidiMessage::NoteOn { key, vel } } = e.kind {
                let k = (channel.as_int(), key.as_int());
                if vel > 0 {
                    assert!(open.insert(k, tick).is_none(), "note struck twice");
                } else {
                    let start = open.remove(&k).expect("note-off of a sounding note");
                    notes.push((t, k.0, k.1, start, tick));
                }
            }
        }
        assert!(open.is_empty(), "a note never ends");
    }
    notes
}

#[test]
fn serial_bytes_become_a_midi_file_with_the_players_times() {
    let blob = synthetic_blob(5);
    let cfg = small_config(1);
    let piece = host_run(&blob, &cfg, [11]).remove(0);
    let performance = Performance::default();
    let smf = wire_to_smf(&piece.bytes, &piece.frames, &performance).unwrap();
    let notes = smf_notes(&smf);
    assert_eq!(notes.len(), check_wire(&piece.bytes).unwrap().note_ons);
    // Each voice on its own track and channel, every note at least a 16th long.
    assert!(notes.iter().all(|&(track, channel, _, start, end)| track == channel as usize + 1 && end > start + 100));
    assert_eq!(notes.iter().map(|n| n.4).max(), Some(kantor_core::midi::EventStream::new(&piece.frames, &performance).end_tick()));

    // Bytes that are not the host's messages are refused.
    let mut other = piece.bytes.clone();
    let at = other.iter().rposition(|&b| b > 0 && b < 0x80).unwrap();
    other[at] -= 1;
    assert!(wire_to_smf(&other, &piece.frames, &performance).unwrap_err().contains("the wire says"));
    assert!(wire_to_smf(&piece.bytes[..piece.bytes.len() - 2], &piece.frames, &performance).is_err());
}

/// Writes one piece of the emulated board as a Standard MIDI File to `KANTOR_WRITE_MIDI`
/// and its piano roll next to it (`.png`): the UART capture and log as for
/// [`emulated_board_matches_the_host_byte_for_byte`], timed by the host's event stream.
#[test]
#[ignore = "needs a one-piece run of the emulated board"]
fn emulated_board_as_a_midi_file() {
    let path = |var: &str| std::env::var(var).unwrap_or_else(|_| panic!("set {var}"));
    let capture = std::fs::read(path("KANTOR_FIRMWARE_CAPTURE")).expect("the UART capture");
    let log = std::fs::read_to_string(path("KANTOR_FIRMWARE_LOG")).expect("the board's log");
    let (model, cfg) = BoardConfig::from_log(&log).unwrap();
    assert!(model && cfg.pieces == 1, "a one-piece run with a model is needed");
    let blob = std::fs::read(path("KANTOR_MODEL")).expect("the model blob");
    let piece = host_run(&blob, &cfg, [cfg.seed]).remove(0);
    assert!(capture == piece.bytes, "the board's bytes differ from the host's");

    let performance = Performance::default();
    let smf = wire_to_smf(&capture, &piece.frames, &performance).unwrap_or_else(|e| panic!("{e}"));
    let out = std::path::PathBuf::from(path("KANTOR_WRITE_MIDI"));
    std::fs::write(&out, &smf).expect("the MIDI file is written");
    let title = format!("mps2, seed {}", cfg.seed);
    let roll = kantor_host::plot::piano_roll(&piece.frames, &title).expect("the piano roll is drawn");
    std::fs::write(out.with_extension("png"), roll).expect("the piano roll is written");

    let notes = smf_notes(&smf);
    let end = notes.iter().map(|n| n.4).max().unwrap();
    let per_voice: Vec<usize> = (1..=4).map(|t| notes.iter().filter(|n| n.0 == t).count()).collect();
    eprintln!(
        "seed {}: {} capture bytes, {} frames ({} bars), {} bpm, programs {:?}, {} notes {:?} (S A T B), {:.2} s; {} file bytes",
        cfg.seed,
        capture.len(),
        piece.frames.len(),
        piece.frames.len() as f64 / 16.0,
        performance.tempo_bpm,
        performance.programs,
        notes.len(),
        per_voice,
        performance.tick_to_micros(end) as f64 / 1e6,
        smf.len(),
    );
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
    // Running status needs two messages in a row on one channel, i.e. a voice that moves
    // while the others hold; a single short piece may not have one, a long run must.
    assert!(cfg.pieces < 10 || s.running_status > 0, "running status is never used in {} pieces", cfg.pieces);
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
