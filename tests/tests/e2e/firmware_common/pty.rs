//! Capturing what a program sends to a serial port: a pseudo-terminal stands in for the
//! port, and everything that comes out of its other end is kept.

use std::ffi::CStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A pseudo-terminal pair: the master side to read, and the slave's path.
pub fn open_pty() -> (File, String) {
    // SAFETY: plain libc calls on a descriptor this function owns; ptsname's buffer is
    // copied before any other pty call.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(master >= 0, "posix_openpt failed");
        // Not inherited by the program under test: closing the master must hang up its port.
        assert_eq!(libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC), 0);
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

/// Runs `words` (program and arguments; `{pty}` in any of them becomes the serial port's
/// path) and returns its exit status and every byte it sent to the port. With `interrupt`,
/// the program gets SIGINT (Ctrl-C) once that many bytes have come.
pub fn capture(words: &[String], interrupt: Option<usize>) -> (ExitStatus, Vec<u8>) {
    let (master, slave) = open_pty();
    // Hold the slave open too, so the master never sees a hang-up between pieces.
    let _slave = File::options().read(true).write(true).open(&slave).unwrap();
    let words: Vec<String> = words.iter().map(|w| w.replace("{pty}", &slave)).collect();
    let started = Instant::now();
    let mut child = Command::new(&words[0]).args(&words[1..]).spawn().unwrap_or_else(|e| panic!("{} does not start: {e}", words[0]));
    let pid = child.id() as libc::pid_t;
    let stop = Arc::new(AtomicBool::new(false));
    let reader = spawn_reader(master, stop.clone(), interrupt.map(|bytes| (bytes, pid)));
    let status = child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    let got = reader.join().unwrap();
    eprintln!("{} sent {} bytes in {:.1} s", words[0], got.len(), started.elapsed().as_secs_f32());
    (status, got)
}

/// Reads everything that comes out of `master` on a thread, until `stop` is set and
/// nothing has come for half a second (or the other side hangs up). With `interrupt`
/// `(bytes, pid)`, process `pid` gets SIGINT (Ctrl-C) once that many bytes have come.
pub fn spawn_reader(mut master: File, stop: Arc<AtomicBool>, interrupt: Option<(usize, libc::pid_t)>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let fd = std::os::fd::AsRawFd::as_raw_fd(&master);
        let mut quiet_since: Option<Instant> = None;
        let mut interrupted = false;
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
                if let Some((bytes, pid)) = interrupt {
                    if got.len() >= bytes && !interrupted {
                        interrupted = true;
                        // SAFETY: a signal to the child the caller started.
                        unsafe { libc::kill(pid, libc::SIGINT) };
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
}
