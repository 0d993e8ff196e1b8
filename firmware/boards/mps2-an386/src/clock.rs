//! Time on the MPS2: SysTick counting core cycles, widened to 64 bits by its wrap interrupt.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use kantor_core::player::Monotonic;

/// The MPS2's core clock as QEMU models it.
pub const CORE_HZ: u32 = 25_000_000;

const RELOAD: u32 = 0x00FF_FFFF;

static WRAPS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Core cycles since [`SysTickClock::start`] (a wrap every 2²⁴ cycles extends it).
pub struct SysTickClock {
    syst: SYST,
}

impl SysTickClock {
    pub fn start(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(RELOAD);
        syst.clear_current();
        syst.enable_interrupt();
        syst.enable_counter();
        SysTickClock { syst }
    }

    /// Cycles since start. Reads the wrap count on both sides of the counter so that a
    /// wrap in between is not lost.
    pub fn cycles(&mut self) -> u64 {
        loop {
            let wraps = WRAPS.load(Ordering::Relaxed);
            let down = SYST::get_current();
            let pending = self.syst.has_wrapped();
            if WRAPS.load(Ordering::Relaxed) == wraps && !pending {
                return wraps as u64 * (RELOAD as u64 + 1) + (RELOAD - down) as u64;
            }
        }
    }
}

impl Monotonic for SysTickClock {
    fn now_us(&mut self) -> u64 {
        self.cycles() / (CORE_HZ / 1_000_000) as u64
    }
}

impl embedded_hal::delay::DelayNs for SysTickClock {
    fn delay_ns(&mut self, ns: u32) {
        let end = self.cycles() + ns as u64 * CORE_HZ as u64 / 1_000_000_000;
        while self.cycles() < end {}
    }
}
