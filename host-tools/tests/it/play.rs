//! `kantor play` is the board: into a pseudo-terminal standing in for a serial MIDI port it
//! sends exactly the bytes the board application sends for the same seed (run on a virtual
//! clock, as the boards are checked against it), pieces and the endless chorale alike, and
//! Ctrl-C leaves no note sounding. With the `midi-ports` feature and an ALSA sequencer, the
//! same messages reach a virtual MIDI port.

#[path = "../../../tests/tests/e2e/firmware_common/mod.rs"]
mod firmware_common;

use firmware_common::pty::capture;
use firmware_common::{check_wire, host_pieces, host_stream, BoardConfig};

/// The built-in model's blob, as the binary carries it.
fn blob() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default/model.kq8")).unwrap()
}

/// Small and fast: two-bar phrases, two Langevin steps on twenty levels.
const CFG: BoardConfig = BoardConfig { frames: 48, phrase_bars: 2, context: 16, phrases: 2, steps: 2, levels: 20, pieces: 2, seed: 7 };

fn kantor_play(args: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = [env!("CARGO_BIN_EXE_kantor"), "play", "--serial", "{pty}"].map(String::from).to_vec();
    words.extend(["--tempo", "2000", "--steps", "2", "--levels", "20", "--phrase-bars", "2"].map(String::from));
    words.extend(args.iter().map(|a| a.to_string()));
    words
}

#[test]
fn pieces_are_the_boards_bytes() {
    let (status, got) = capture(&kantor_play(&["--seed", "7", "--pieces", "2", "--phrases", "2"]), None);
    assert!(status.success(), "kantor play failed: {status}");
    let s = check_wire(&got).unwrap_or_else(|e| panic!("invalid MIDI: {e}"));
    assert_eq!(s.program_changes, 8, "two pieces, four voices each");
    let board: Vec<u8> = host_pieces(&blob(), &CFG, [7, 8]).concat();
    assert_eq!(got, board, "kantor play's bytes differ from the board's ({} vs {} bytes)", got.len(), board.len());
}

#[test]
fn the_endless_chorale_is_the_boards() {
    let (status, got) = capture(&kantor_play(&["--endless", "--phrases", "3", "--seed", "9"]), None);
    assert!(status.success(), "kantor play failed: {status}");
    let s = check_wire(&got).unwrap_or_else(|e| panic!("invalid MIDI: {e}"));
    assert_eq!((s.program_changes, s.all_notes_off), (4, 4), "one start, one stop");
    let board = host_stream(Some(&blob()), &CFG, 9, 3);
    assert_eq!(got, board, "kantor play's stream differs from the board's ({} vs {} bytes)", got.len(), board.len());
}

#[test]
fn ctrl_c_turns_every_note_off() {
    // At 80 bpm a piece takes half a minute and the endless chorale goes on for ever;
    // Ctrl-C once notes are sounding, in both modes.
    for mode in [&["--endless"][..], &["--pieces", "1"][..]] {
        let mut args = mode.to_vec();
        args.extend(["--seed", "3"]);
        let mut words = kantor_play(&args);
        let tempo = words.iter().position(|w| w == "2000").unwrap();
        words[tempo] = "80".into();
        let (status, got) = capture(&words, Some(40));
        assert!(status.success(), "{mode:?}: kantor play did not stop cleanly on Ctrl-C: {status}");
        let s = check_wire(&got).unwrap_or_else(|e| panic!("{mode:?}: invalid MIDI after Ctrl-C: {e}"));
        assert!(s.note_ons > 0, "{mode:?}: nothing was played before Ctrl-C");
        assert!(s.all_notes_off >= 4, "{mode:?}: all notes off on the four channels");
        let all_notes_off: Vec<u8> = (0..4u8).flat_map(|ch| [0xB0 | ch, 123, 0]).collect();
        assert!(got.ends_with(&all_notes_off), "{mode:?}: the stream does not end with all notes off: {:02x?}", &got[got.len().saturating_sub(12)..]);
    }
}

#[test]
fn ctrl_c_while_composing_stops_within_a_second_with_all_notes_off() {
    use firmware_common::pty::{open_pty, spawn_reader};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    // 99 levels of 1000 steps: about 99,000 evaluations for the first phrase, minutes of
    // composing, stopped one and a half seconds in.
    for mode in [&["--pieces", "1"][..], &["--endless"][..]] {
        let (master, slave) = open_pty();
        let _slave = std::fs::File::options().read(true).write(true).open(&slave).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kantor"))
            .args(["play", "--serial", &slave, "--steps", "1000", "--levels", "99", "--seed", "3"])
            .args(mode)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let reader = spawn_reader(master, stop.clone(), None);
        std::thread::sleep(Duration::from_millis(1500));
        assert!(child.try_wait().unwrap().is_none(), "{mode:?}: finished composing before Ctrl-C");
        let asked = Instant::now();
        // SAFETY: a signal to the child this test started.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let status = child.wait().unwrap();
        let took = asked.elapsed();
        stop.store(true, Ordering::SeqCst);
        let got = reader.join().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        eprintln!("{mode:?}: stopped {:.0} ms after Ctrl-C", took.as_secs_f64() * 1e3);
        assert!(status.success(), "{mode:?}: {status}: {err}");
        assert!(took < Duration::from_secs(1), "{mode:?}: took {took:?} to stop");
        assert!(err.contains("stopped while composing: all notes off"), "{mode:?}: {err}");
        let all_notes_off: Vec<u8> = (0..4u8).flat_map(|ch| [0xB0 | ch, 123, 0]).collect();
        assert!(got.ends_with(&all_notes_off), "{mode:?}: the port did not get all notes off: {got:02x?}");
    }
}

#[test]
fn where_to_play_must_be_said() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kantor")).args(["play", "--seed", "1"]).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--serial DEVICE") && err.contains("--port PORT"), "{err}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kantor")).args(["play", "--serial", "/nonexistent/tty"]).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot open the serial device /nonexistent/tty at 31250 baud"), "{err}");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kantor")).args(["play", "--serial", "x", "--phrases", "40"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--endless"), "{err}");
}

#[cfg(not(feature = "midi-ports"))]
#[test]
fn midi_ports_say_how_to_get_them() {
    for args in [&["play", "--list-ports"][..], &["play", "--port", "0"]] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_kantor")).args(args).output().unwrap();
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--features midi-ports") && err.contains("libasound2-dev"), "{err}");
    }
}

/// With an ALSA sequencer: a virtual MIDI input port receives the board's messages.
#[cfg(all(feature = "midi-ports", target_os = "linux"))]
#[test]
fn a_virtual_midi_port_hears_the_board() {
    use midir::os::unix::VirtualInput;
    use std::sync::{Arc, Mutex};
    if !std::path::Path::new("/dev/snd/seq").exists() {
        eprintln!("skipped: this machine has no ALSA sequencer (/dev/snd/seq)");
        return;
    }
    let input = midir::MidiInput::new("kantor-test").expect("the ALSA sequencer opens");
    let heard: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sink = heard.clone();
    let _port = input
        .create_virtual("kantor-test-in", move |_, message, _| sink.lock().unwrap().push(message.to_vec()), ())
        .expect("a virtual input port");
    let mut words = kantor_play(&["--seed", "7", "--pieces", "2", "--phrases", "2"]);
    words.splice(2..4, ["--port".to_string(), "kantor-test-in".to_string()]);
    let o = std::process::Command::new(&words[0]).args(&words[1..]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The board's bytes, running status resolved, message by message.
    let mut expected = Vec::new();
    let mut stream = midly::stream::MidiStream::new();
    stream.feed(&host_pieces(&blob(), &CFG, [7, 8]).concat(), |e| {
        let mut m = Vec::new();
        e.write_std(&mut m).unwrap();
        expected.push(m);
    });
    assert_eq!(*heard.lock().unwrap(), expected);
}
