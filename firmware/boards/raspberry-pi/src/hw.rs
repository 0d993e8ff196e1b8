//! The Pi's hardware behind the traits the player is written against.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use gpiocdev::line::{Bias, Value};
use kantor_core::player::SeedSource;

/// The MIDI port: a serial device (the Pi's UART, a USB serial adapter, a pty) or an
/// ALSA raw MIDI device (`/dev/snd/midiC1D0`: a class-compliant USB-MIDI interface).
///
/// The port may go away while the player runs (a USB adapter unplugged, the other end of
/// a pty closed) or a write may fail: then the player keeps running and its bytes are
/// dropped, the port is opened again after [`REOPEN_EVERY`] while there is something to
/// send (twice as long after each attempt that fails, up to [`REOPEN_AT_MOST`], so that a
/// port that opens but never drains, a pty nobody reads or an adapter held by flow
/// control, costs a write timeout now and then, not most of the time), and once it is back
/// every channel gets All Notes Off before the music goes on from the next whole message
/// (with its status byte, as running status was lost).
pub struct SerialMidi {
    path: String,
    baud: u32,
    port: Option<Box<dyn std::io::Write + Send>>,
    /// When the port was last found gone or last tried again.
    last_try: Instant,
    /// How long after `last_try` it is tried again.
    retry_after: Duration,
    /// The stream as the player writes it, to rejoin it at a message boundary.
    parse: MidiParse,
    /// After reopening: bytes are held back until the next message starts.
    rejoining: bool,
}

/// How soon a lost port is first tried again.
pub const REOPEN_EVERY: Duration = Duration::from_millis(200);

/// The longest wait between two attempts to open a lost port.
pub const REOPEN_AT_MOST: Duration = Duration::from_secs(5);

impl SerialMidi {
    /// Opens `path` at `baud` (31,250 for MIDI), 8N1.
    pub fn open(path: &str, baud: u32) -> anyhow::Result<Self> {
        let port = open_port(path, baud)?;
        Ok(SerialMidi {
            path: path.to_owned(),
            baud,
            port: Some(port),
            last_try: Instant::now(),
            retry_after: REOPEN_EVERY,
            parse: MidiParse::default(),
            rejoining: false,
        })
    }

    /// Sends what the player wrote, or drops it while the port is away.
    fn send(&mut self, buf: &[u8]) {
        if self.port.is_none() && self.last_try.elapsed() >= self.retry_after {
            self.reopen();
        }
        let mut out = Vec::with_capacity(buf.len() + 1);
        for &b in buf {
            let starts = self.parse.starts_message(b);
            if self.rejoining && starts {
                self.rejoining = false;
                if b < 0x80 {
                    // The message relies on running status the synthesiser lost.
                    out.extend(self.parse.running);
                }
            }
            self.parse.push(b);
            if !self.rejoining {
                out.push(b);
            }
        }
        if let Some(port) = &mut self.port {
            if let Err(e) = port.write_all(&out).and_then(|()| port.flush()) {
                self.lose(e);
            }
        }
    }

    fn lose(&mut self, e: std::io::Error) {
        self.port = None;
        self.last_try = Instant::now();
        eprintln!(
            "MIDI port {} lost ({e}); the music goes on silently and the port is tried again after {} ms, then less often (at most every {} s)",
            self.path,
            self.retry_after.as_millis(),
            REOPEN_AT_MOST.as_secs()
        );
    }

    fn reopen(&mut self) {
        self.last_try = Instant::now();
        // Until an attempt succeeds, each one waits twice as long as the one before.
        self.retry_after = (self.retry_after * 2).min(REOPEN_AT_MOST);
        let Ok(mut port) = open_port(&self.path, self.baud) else { return };
        let off: Vec<u8> = (0..16u8).flat_map(|ch| [0xB0 | ch, 123, 0]).collect();
        if port.write_all(&off).and_then(|()| port.flush()).is_ok() {
            eprintln!("MIDI port {} is back: all notes off sent on every channel", self.path);
            self.port = Some(port);
            self.rejoining = true;
            self.retry_after = REOPEN_EVERY;
        }
    }
}

/// Where a MIDI byte stream stands: the running status and how far into a message it is.
#[derive(Default)]
struct MidiParse {
    running: Option<u8>,
    /// Data bytes of the current message seen so far.
    seen: u8,
    /// Inside a system exclusive message.
    sysex: bool,
}

impl MidiParse {
    /// Data bytes a message with status `s` carries.
    fn data_bytes(s: u8) -> u8 {
        match s & 0xF0 {
            0xC0 | 0xD0 => 1,
            _ => 2,
        }
    }

    /// Whether `b` begins a message (or is a whole one).
    fn starts_message(&self, b: u8) -> bool {
        match b {
            0xF8.. | 0xF7 => false,
            0x80.. => true,
            _ => !self.sysex && self.running.is_some() && self.seen == 0,
        }
    }

    fn push(&mut self, b: u8) {
        match b {
            0xF8.. => {}
            0xF0 => {
                self.sysex = true;
                self.running = None;
            }
            0xF7 => self.sysex = false,
            0xF1..=0xF6 => {
                self.sysex = false;
                self.running = None;
            }
            0x80..=0xEF => {
                self.sysex = false;
                self.running = Some(b);
                self.seen = 0;
            }
            _ => {
                if let Some(s) = self.running {
                    self.seen += 1;
                    if self.seen == Self::data_bytes(s) {
                        self.seen = 0;
                    }
                }
            }
        }
    }
}

/// Opens the port itself.
///
/// A pseudo-terminal has no baud rate, and emulators (user-mode QEMU) may not pass
/// the non-standard-rate ioctl through: if setting up the serial port fails on a
/// pty, it is opened as a raw terminal instead.
fn open_port(path: &str, baud: u32) -> anyhow::Result<Box<dyn std::io::Write + Send>> {
    if path.starts_with("/dev/snd/") {
        // An ALSA raw MIDI device (a USB-MIDI interface): bytes in, MIDI out.
        let file = std::fs::OpenOptions::new().write(true).open(path).with_context(|| format!("cannot open the raw MIDI device {path}"))?;
        return Ok(Box::new(file));
    }
    match serialport::new(path, baud).timeout(Duration::from_secs(1)).open() {
        Ok(port) => Ok(Box::new(port)),
        Err(e) if is_pty(path) => {
            let file = open_raw_terminal(path).with_context(|| format!("cannot open the pseudo-terminal {path} ({e})"))?;
            Ok(Box::new(file))
        }
        Err(e) => Err(e).with_context(|| format!("cannot open the MIDI port {path} at {baud} baud")),
    }
}

/// A Unix98 pseudo-terminal's slave side.
fn is_pty(path: &str) -> bool {
    std::fs::canonicalize(path).map(|p| p.starts_with("/dev/pts")).unwrap_or(false)
}

/// Opens a terminal for writing and puts it in raw mode (no newline translation).
fn open_raw_terminal(path: &str) -> std::io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    let fd = file.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for an open descriptor.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        libc::cfmakeraw(&mut t);
        if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(file)
}

/// An I/O error as `embedded_io` wants it.
#[derive(Debug)]
pub struct PortError(pub std::io::Error);

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MIDI port: {}", self.0)
    }
}

impl std::error::Error for PortError {}

impl embedded_io::Error for PortError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

impl embedded_io::ErrorType for SerialMidi {
    type Error = PortError;
}

impl embedded_io::Write for SerialMidi {
    /// Never fails: a port that went away is handled here (see [`SerialMidi`]).
    fn write(&mut self, buf: &[u8]) -> Result<usize, PortError> {
        self.send(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), PortError> {
        Ok(())
    }
}

/// Seeds from the kernel's entropy pool (fed by the Pi's hardware RNG), falling back
/// to the time of the press.
pub struct KernelSeed;

impl SeedSource for KernelSeed {
    fn seed(&mut self, press_us: u64) -> u64 {
        let mut bytes = [0u8; 8];
        match std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => press_us,
        }
    }
}

/// The start/stop button: a GPIO line (active low, pulled up) if there is one, ORed with
/// a software press (Ctrl-C, SIGTERM, auto-start), so every way of stopping goes
/// through the same clean stop.
pub struct Button {
    line: Option<(gpiocdev::Request, u32)>,
    soft: Arc<AtomicBool>,
    held: u8,
}

/// Polls a software press stays down for: longer than any debounce setting.
const SOFT_HOLD_POLLS: u8 = 20;

impl Button {
    /// The button on line `offset` of `chip`, or only software presses with `None`.
    pub fn new(gpio: Option<(&str, u32)>, soft: Arc<AtomicBool>) -> anyhow::Result<Self> {
        let line = match gpio {
            None => None,
            Some((chip, offset)) => {
                let req = gpiocdev::Request::builder()
                    .on_chip(chip)
                    .with_consumer("kantor-button")
                    .with_line(offset)
                    .as_input()
                    .with_bias(Bias::PullUp)
                    .request()
                    .with_context(|| format!("cannot use GPIO line {offset} of {chip} as the button (try --no-gpio)"))?;
                Some((req, offset))
            }
        };
        Ok(Button { line, soft, held: 0 })
    }
}

impl embedded_hal::digital::ErrorType for Button {
    type Error = std::convert::Infallible;
}

impl embedded_hal::digital::InputPin for Button {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        if self.soft.swap(false, Ordering::SeqCst) {
            self.held = SOFT_HOLD_POLLS;
        }
        if self.held > 0 {
            self.held -= 1;
            return Ok(false);
        }
        let level = match &self.line {
            Some((req, offset)) => req.value(*offset).map(|v| v == Value::Active).unwrap_or(true),
            None => true,
        };
        Ok(level)
    }
    fn is_low(&mut self) -> Result<bool, Self::Error> {
        self.is_high().map(|h| !h)
    }
}

/// The busy LED on a GPIO line, or nowhere.
pub struct Led {
    line: Option<(gpiocdev::Request, u32)>,
}

impl Led {
    pub fn new(gpio: Option<(&str, u32)>) -> anyhow::Result<Self> {
        let line = match gpio {
            None => None,
            Some((chip, offset)) => {
                let req = gpiocdev::Request::builder()
                    .on_chip(chip)
                    .with_consumer("kantor-led")
                    .with_line(offset)
                    .as_output(Value::Inactive)
                    .request()
                    .with_context(|| format!("cannot use GPIO line {offset} of {chip} as the LED (try --no-gpio)"))?;
                Some((req, offset))
            }
        };
        Ok(Led { line })
    }

    fn set(&mut self, on: bool) {
        if let Some((req, offset)) = &self.line {
            let _ = req.set_value(*offset, if on { Value::Active } else { Value::Inactive });
        }
    }
}

impl embedded_hal::digital::ErrorType for Led {
    type Error = std::convert::Infallible;
}

impl embedded_hal::digital::OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.set(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.set(true);
        Ok(())
    }
}
