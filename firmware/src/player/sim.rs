//! Stand-in hardware on a virtual clock: run the player on a host (tests, the byte-for-byte
//! comparison with a board) or on a board that should not wait in real time (CI).
//!
//! Time only moves when the player waits ([`VirtualTimer::delay_ns`]), so a piece plays
//! in no time and the bytes it sends are exactly those a real board sends.

use core::cell::Cell;
use core::convert::Infallible;

use super::clock::Monotonic;

/// Virtual time in microseconds, shared by the timer and the scripted button.
#[derive(Debug, Default)]
pub struct VirtualClock {
    now_us: Cell<u64>,
    nanos: Cell<u32>,
}

impl VirtualClock {
    pub const fn new() -> Self {
        VirtualClock { now_us: Cell::new(0), nanos: Cell::new(0) }
    }

    pub fn now_us(&self) -> u64 {
        self.now_us.get()
    }

    /// Moves time forward by `ns` nanoseconds (sub-microsecond parts accumulate).
    pub fn advance_ns(&self, ns: u32) {
        let total = self.nanos.get() as u64 + ns as u64;
        self.now_us.set(self.now_us.get() + total / 1_000);
        self.nanos.set((total % 1_000) as u32);
    }
}

/// A timer on a [`VirtualClock`]: delays return at once and move the clock.
#[derive(Clone, Copy, Debug)]
pub struct VirtualTimer<'a> {
    pub clock: &'a VirtualClock,
}

impl Monotonic for VirtualTimer<'_> {
    fn now_us(&mut self) -> u64 {
        self.clock.now_us()
    }
}

impl embedded_hal::delay::DelayNs for VirtualTimer<'_> {
    fn delay_ns(&mut self, ns: u32) {
        self.clock.advance_ns(ns);
    }
}

/// A button held down during given windows of virtual time (`[from, to)` in µs);
/// reads low while held (active low).
#[derive(Clone, Copy, Debug)]
pub struct ScriptedButton<'a> {
    pub clock: &'a VirtualClock,
    pub held: &'a [(u64, u64)],
}

impl embedded_hal::digital::ErrorType for ScriptedButton<'_> {
    type Error = Infallible;
}

impl embedded_hal::digital::InputPin for ScriptedButton<'_> {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        let now = self.clock.now_us();
        Ok(!self.held.iter().any(|&(from, to)| now >= from && now < to))
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        self.is_high().map(|h| !h)
    }
}

/// An LED that remembers its state and how often it was switched on.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordingLed {
    pub on: bool,
    pub switched_on: u32,
}

impl embedded_hal::digital::ErrorType for RecordingLed {
    type Error = Infallible;
}

impl embedded_hal::digital::OutputPin for RecordingLed {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.on = false;
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.switched_on += u32::from(!self.on);
        self.on = true;
        Ok(())
    }
}

/// A MIDI port that keeps the first `N` bytes written and counts the rest.
#[derive(Clone, Debug, Default)]
pub struct CapturePort<const N: usize> {
    pub bytes: heapless::Vec<u8, N>,
    pub total: usize,
}

impl<const N: usize> CapturePort<N> {
    pub const fn new() -> Self {
        CapturePort { bytes: heapless::Vec::new(), total: 0 }
    }
}

impl<const N: usize> embedded_io::ErrorType for CapturePort<N> {
    type Error = Infallible;
}

impl<const N: usize> embedded_io::Write for CapturePort<N> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for &b in buf {
            let _ = self.bytes.push(b);
        }
        self.total += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// A MIDI port that keeps every byte (host only).
#[cfg(feature = "std")]
#[derive(Clone, Debug, Default)]
pub struct VecPort(pub std::vec::Vec<u8>);

#[cfg(feature = "std")]
impl embedded_io::ErrorType for VecPort {
    type Error = Infallible;
}

#[cfg(feature = "std")]
impl embedded_io::Write for VecPort {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}
