//! The Raspberry Pi binary end to end: it plays into a pseudo-terminal, and what comes
//! out of the other end is a valid MIDI stream identical to the host's run of the same
//! player.
//!
//! Needs the binary (`KANTOR_PI_BIN`; `KANTOR_PI_RUNNER` runs it, e.g. under
//! `qemu-aarch64`) and the blob it composes with (`KANTOR_MODEL`), as `.ci/firmware.sh`
//! sets them.

use crate::firmware_common;

use std::fs::File;
use std::io::Read;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use firmware_common::pty::{capture, open_pty, spawn_reader};
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

/// All Notes Off on each of the 16 channels, as the player sends it to a port that came back.
fn all_notes_off_everywhere() -> Vec<u8> {
    (0..16u8).flat_map(|ch| [0xB0 | ch, 123, 0]).collect()
}

/// Checks a stream joined mid-piece: every message whole and with its status (no running
/// status carried over from before), note-offs for notes struck before the join allowed,
/// and no note struck here left sounding. Returns the note-ons.
fn check_rejoined(bytes: &[u8]) -> Result<usize, String> {
    let mut status: Option<u8> = None;
    let mut sounding = std::collections::HashSet::new();
    let mut note_ons = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] >= 0x80 {
            status = Some(bytes[i]);
            i += 1;
        }
        let st = status.ok_or_else(|| format!("data byte {:#04x} at {i} without a status", bytes[i]))?;
        let len = if st & 0xF0 == 0xC0 { 1 } else { 2 };
        let data = bytes.get(i..i + len).ok_or_else(|| format!("message {st:#04x} cut short at the end"))?;
        if data.iter().any(|&b| b >= 0x80) {
            return Err(format!("status byte inside the message at {i}"));
        }
        i += len;
        let ch = st & 0x0F;
        match (st & 0xF0, data) {
            (0x90, &[key, vel]) if vel > 0 => {
                note_ons += 1;
                if !sounding.insert((ch, key)) {
                    return Err(format!("note {key} on channel {ch} struck while sounding"));
                }
            }
            (0x80 | 0x90, &[key, _]) => {
                sounding.remove(&(ch, key));
            }
            (0xB0, &[123, _]) => sounding.retain(|&(c, _)| c != ch),
            (0xB0 | 0xC0, _) => {}
            _ => return Err(format!("unexpected status {st:#04x}")),
        }
    }
    match sounding.iter().next() {
        Some((ch, key)) => Err(format!("note {key} on channel {ch} is never ended")),
        None => Ok(note_ons),
    }
}

/// Reads `master` until `enough` says so or it reports end of file or an error. Until the
/// player has opened its end (slow under an emulator) the master reports an error: that is
/// waited out for up to two minutes.
fn read_until(master: &mut File, got: &mut Vec<u8>, enough: impl Fn(&[u8]) -> bool) {
    let mut buf = [0u8; 4096];
    let started = Instant::now();
    while !enough(got) {
        match master.read(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ if got.is_empty() && started.elapsed() < Duration::from_secs(120) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => break,
        }
    }
}

#[test]
#[ignore = "needs the cross-built Pi binary: .ci/firmware.sh"]
fn pi_binary_rides_out_a_port_that_goes_away() {
    use std::io::BufRead;
    use std::sync::mpsc;
    let bin = std::env::var("KANTOR_PI_BIN").expect("set KANTOR_PI_BIN");
    let runner = std::env::var("KANTOR_PI_RUNNER").unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    // The port's name is a link the test points at a new pty, as udev names a USB
    // adapter that was plugged in again.
    let link = dir.path().join("midi");
    let (mut first, slave) = open_pty();
    std::os::unix::fs::symlink(&slave, &link).unwrap();
    let mut words: Vec<String> = runner.split_whitespace().map(String::from).collect();
    words.push(bin);
    words.extend(["--port", link.to_str().unwrap(), "--no-gpio", "--cadences", "--autoplay", "3", "--seed", "5", "--tempo", "240", "--phrases", "4"].map(String::from));
    let mut child = Command::new(&words[0]).args(&words[1..]).stderr(std::process::Stdio::piped()).spawn().expect("the Pi binary starts");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let echo = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("pi: {line}");
            let _ = lines_tx.send(line);
        }
    });

    // Unplug mid-piece: after the first piece's first notes.
    let mut before = Vec::new();
    read_until(&mut first, &mut before, |b| b.len() >= 40);
    assert!(before.len() >= 40, "the first port got only {} bytes", before.len());
    drop(first);
    let mut seen = Vec::new();
    let lost = lines.iter().find(|l| {
        seen.push(l.clone());
        l.contains("lost")
    });
    assert!(lost.is_some(), "the player never noticed the port was gone: {seen:?}");

    // Plug in again.
    let (second, slave) = open_pty();
    // Held open so that the master side reads no hang-up before the player opens it.
    let _second_slave = File::options().read(true).write(true).open(&slave).unwrap();
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&slave, &link).unwrap();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let reader = spawn_reader(second, done.clone(), None);
    // With the slave held open, the reader stops once the player has exited and nothing
    // more comes.
    let status = child.wait().unwrap();
    echo.join().unwrap();
    done.store(true, Ordering::SeqCst);
    let after = reader.join().unwrap();
    seen.extend(lines.try_iter());
    assert!(status.success(), "the Pi binary failed: {status}");
    assert!(seen.iter().any(|l| l.contains("is back")), "the port was never opened again: {seen:?}");
    assert_eq!(seen.iter().filter(|l| l.starts_with("finished")).count(), 3, "every piece plays to its end: {seen:?}");
    let off = all_notes_off_everywhere();
    assert!(after.starts_with(&off), "the port that came back does not begin with All Notes Off: {:02x?}", &after[..after.len().min(48)]);
    let note_ons = check_rejoined(&after[off.len()..]).unwrap_or_else(|e| panic!("invalid MIDI after the port came back: {e}"));
    assert!(note_ons > 0, "no music after the port came back");
    eprintln!("{} bytes before the port went away, {} after it came back ({note_ons} notes)", before.len(), after.len());
}

#[test]
#[ignore = "needs the cross-built Pi binary: .ci/firmware.sh"]
fn pi_binary_stops_promptly_with_a_port_that_never_drains() {
    use std::io::Write;
    let bin = std::env::var("KANTOR_PI_BIN").expect("set KANTOR_PI_BIN");
    if std::env::var("KANTOR_PI_RUNNER").is_ok_and(|r| !r.is_empty()) {
        eprintln!("skipped under an emulator: what it measures is wall-clock time");
        return;
    }
    // A pty whose other end nobody reads, filled to the brim first: the port opens, and
    // every write times out (a USB adapter held by flow control does the same).
    let (_master, slave) = open_pty();
    let mut fill = File::options().write(true).open(&slave).unwrap();
    // SAFETY: fcntl on a descriptor this test owns.
    unsafe {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&fill);
        assert_eq!(libc::fcntl(fd, libc::F_SETFL, libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK), 0);
    }
    let mut filled = 0;
    while let Ok(n) = fill.write(&[0u8; 1024]) {
        filled += n;
    }
    assert!(filled > 0, "the pty took nothing");
    // The endless chorale at the model's own settings for 12 s, then SIGTERM. Before the
    // port was tried less and less often, this stop took 80–90 s: every attempt held the
    // playback for a 1 s write timeout, most of the time.
    let err = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(&bin)
        .args(["--port", &slave, "--no-gpio", "--stream", "--seed", "3", "--model", &model()])
        .stderr(err.reopen().unwrap())
        .spawn()
        .expect("the Pi binary starts");
    std::thread::sleep(Duration::from_secs(12));
    // SAFETY: kill on the child's own pid.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let asked = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if asked.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("the player was still running 30 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = asked.elapsed();
    let log = std::fs::read_to_string(err.path()).unwrap();
    assert!(status.success(), "the Pi binary failed: {status}\n{log}");
    assert!(log.contains("lost"), "the player never found the port stuck:\n{log}");
    assert!(took < Duration::from_secs(10), "the player took {took:?} to stop after SIGTERM");
    eprintln!("stopped {:.1} s after SIGTERM with a port that never drains ({filled} bytes filled it)", took.as_secs_f64());
}
