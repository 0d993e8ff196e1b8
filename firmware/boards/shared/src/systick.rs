//! Time on a Cortex-M: SysTick counting core cycles, widened to 64 bits by its interrupt,
//! as the player's [`Monotonic`] clock and delay; the interrupt can also run a hook (the
//! streaming playback) at every tick.

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use kantor_core::player::Monotonic;

/// SysTick interrupts so far.
static TICKS: AtomicU32 = AtomicU32::new(0);
/// Cycles per SysTick period.
static PERIOD: AtomicU32 = AtomicU32::new(1 << 24);
/// Core clock in Hz.
static CORE_HZ: AtomicU32 = AtomicU32::new(1);
/// What runs at every tick (a `fn(u64)` taking the time in µs), or null.
static HOOK: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

#[exception]
fn SysTick() {
    let ticks = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    let hook = HOOK.load(Ordering::Acquire);
    if !hook.is_null() {
        // SAFETY: only `set_tick_hook` stores here, and it stores a `fn(u64)`.
        let hook: fn(u64) = unsafe { core::mem::transmute::<*mut (), fn(u64)>(hook) };
        let cycles = ticks as u64 * PERIOD.load(Ordering::Relaxed) as u64;
        hook(cycles * 1_000_000 / CORE_HZ.load(Ordering::Relaxed) as u64);
    }
}

/// Runs `hook` from the SysTick interrupt at every tick, with the time in µs.
pub fn set_tick_hook(hook: fn(u64)) {
    HOOK.store(hook as *mut (), Ordering::Release);
}

/// Core cycles since [`SysTickClock::start`].
pub struct SysTickClock {
    syst: SYST,
    core_hz: u32,
    period: u32,
}

impl SysTickClock {
    /// Starts SysTick on the core clock (`core_hz`), interrupting `tick_hz` times a second
    /// (at least every 2²⁴ cycles).
    pub fn start(mut syst: SYST, core_hz: u32, tick_hz: u32) -> Self {
        let period = (core_hz / tick_hz.max(1)).clamp(2, 1 << 24);
        PERIOD.store(period, Ordering::Relaxed);
        CORE_HZ.store(core_hz, Ordering::Relaxed);
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(period - 1);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        SysTickClock { syst, core_hz, period }
    }

    /// The core clock frequency.
    pub fn core_hz(&self) -> u32 {
        self.core_hz
    }

    /// Cycles since start. Reads the tick count on both sides of the counter so that a
    /// tick in between is not lost.
    pub fn cycles(&mut self) -> u64 {
        loop {
            let ticks = TICKS.load(Ordering::Relaxed);
            let down = SYST::get_current();
            let pending = self.syst.has_wrapped();
            if TICKS.load(Ordering::Relaxed) == ticks && !pending {
                return ticks as u64 * self.period as u64 + (self.period - 1 - down) as u64;
            }
        }
    }
}

impl Monotonic for SysTickClock {
    fn now_us(&mut self) -> u64 {
        self.cycles() * 1_000_000 / self.core_hz as u64
    }
}

impl embedded_hal::delay::DelayNs for SysTickClock {
    fn delay_ns(&mut self, ns: u32) {
        let end = self.cycles() + ns as u64 * self.core_hz as u64 / 1_000_000_000;
        while self.cycles() < end {}
    }
}
