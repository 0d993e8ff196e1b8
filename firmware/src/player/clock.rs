//! Time for the player: a monotonic microsecond clock next to `embedded_hal`'s `DelayNs`.

/// A clock that never runs backwards, in microseconds since some fixed start (boot).
/// Boards build it on a hardware timer (SysTick, a 64-bit timer, `Instant`); tests on a
/// virtual clock that a fake delay advances.
pub trait Monotonic {
    fn now_us(&mut self) -> u64;
}

impl<T: Monotonic + ?Sized> Monotonic for &mut T {
    fn now_us(&mut self) -> u64 {
        (**self).now_us()
    }
}

/// Where the seed of a piece comes from.
pub trait SeedSource {
    /// A seed for a piece started by a press at `press_us` on the player's clock.
    fn seed(&mut self, press_us: u64) -> u64;
}

/// Seeds from the time of the button press: good enough when a human presses it, since
/// the microsecond a finger lands is unpredictable. For boards without a hardware RNG.
#[derive(Clone, Copy, Debug, Default)]
pub struct PressTime;

impl SeedSource for PressTime {
    fn seed(&mut self, press_us: u64) -> u64 {
        press_us
    }
}

/// Always the same seed (reproducible runs and tests).
#[derive(Clone, Copy, Debug)]
pub struct FixedSeed(pub u64);

impl SeedSource for FixedSeed {
    fn seed(&mut self, _press_us: u64) -> u64 {
        self.0
    }
}
