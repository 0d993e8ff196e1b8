//! The Raspberry Pi binary end to end: it plays into a pseudo-terminal, and what comes
//! out of the other end is a valid MIDI stream identical to the host's run of the same
//! player.
//!
//! Needs the binary (`KANTOR_PI_BIN`; `KANTOR_PI_RUNNER` runs it, e.g. under
//! `qemu-aarch64`) and the blob it composes with (`KANTOR_MODEL`), as `.ci/firmware.sh`
//! sets them.

mod firmware_common;

use std::ffi::CStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use firmware_common::{check_wire, host_pieces, host_stream, BoardConfig};

/// A pseudo-terminal pair: the master side to read, and the slave's path.
fn open_pty() -> (File, String) {
    // SAFETY: plain libc calls on a descriptor this function owns; ptsname's buffer is
    // copied before any other pty call.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(master >= 0, "posix_openpt failed");
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let name = CStr::from_ptr(libc::ptsname(master)).to_string_lossy().into_owned();
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(master, &mut t), 0);
        libc::cfmakeraw(&mut t);
        assert_eq!(libc::tcsetattr(master, libc::TCSANOW, &t), 0);
        (File::from_raw_fd(master), name)
    }
}

/// Runs the Pi binary with `args` (after the port options) into a fresh pty and returns
/// everything that came out of the other end.
fn run_pi(args: &[&str]) -> Vec<u8> {
    let bin = std::env::var("KANTOR_PI_BIN").expect("set KANTOR_PI_BIN");
    let runner = std::env::var("KANTOR_PI_RUNNER").unwrap_or_default();
    let (mut master, slave) = open_pty();
    // Hold the slave open too, so the master never sees a hang-up between pieces.
    let _slave = File::options().read(true).write(true).open(&slave).unwrap();
    let mut words: Vec<String> = runner.split_whitespace().map(String::from).collect();
    words.push(bin);
    words.extend(["--port", &slave, "--no-gpio"].map(String::from));
    words.extend(args.iter().map(|a| a.to_string()));
    let started = Instant::now();
    let mut child = Command::new(&words[0]).args(&words[1..]).spawn().expect("the Pi binary starts");
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            let fd = std::os::fd::AsRawFd::as_raw_fd(&master);
            let mut quiet_since: Option<Instant> = None;
            loop {
                let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
                // SAFETY: poll on the master descriptor this thread owns.
                let ready = unsafe { libc::poll(&mut p, 1, 100) };
                if ready > 0 {
                    match master.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            got.extend_from_slice(&buf[..n]);
                            quiet_since = None;
                        }
                    }
                } else {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if stop.load(Ordering::SeqCst) && since.elapsed() > Duration::from_millis(500) {
                        break;
                    }
                }
            }
            got
        })
    };
    let status = child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    let got = reader.join().unwrap();
    assert!(status.success(), "the Pi binary failed: {status}");
    eprintln!("the Pi binary sent {} bytes in {:.1} s", got.len(), started.elapsed().as_secs_f32());
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
