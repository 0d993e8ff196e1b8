//! A debounced push button over `embedded_hal::digital::InputPin`.

use embedded_hal::digital::InputPin;

/// Which level the pin reads while the button is held down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ActiveLevel {
    /// Pressed reads low (button to ground, pull-up): the usual wiring.
    Low,
    /// Pressed reads high (button to the supply, pull-down).
    High,
}

/// A button debounced by counting: the state changes only after the pin has read the new
/// level on `samples` consecutive polls. Poll it at a steady rate (every millisecond,
/// say); with `samples = 5` a press is seen 5 ms after the contacts settle.
pub struct Debounced<P> {
    pin: P,
    active: ActiveLevel,
    samples: u8,
    count: u8,
    pressed: bool,
}

impl<P: InputPin> Debounced<P> {
    /// A released button on `pin`. `samples` is clamped to at least 1.
    pub fn new(pin: P, active: ActiveLevel, samples: u8) -> Self {
        Debounced { pin, active, samples: samples.max(1), count: 0, pressed: false }
    }

    /// Reads the pin once; `true` exactly once per press (on the debounced press edge).
    /// A pin that fails to read counts as released.
    pub fn poll(&mut self) -> bool {
        let level_high = self.pin.is_high().unwrap_or(self.active == ActiveLevel::Low);
        let down = level_high == (self.active == ActiveLevel::High);
        if down == self.pressed {
            self.count = 0;
            return false;
        }
        self.count += 1;
        if self.count < self.samples {
            return false;
        }
        self.count = 0;
        self.pressed = down;
        down
    }

    /// The debounced state.
    pub fn is_pressed(&self) -> bool {
        self.pressed
    }

    /// Gives the pin back.
    pub fn release(self) -> P {
        self.pin
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::convert::Infallible;

    /// A pin that replays a recorded sequence of levels (then stays at the last one).
    struct Recorded<'a> {
        levels: &'a [bool],
        at: usize,
    }
    impl embedded_hal::digital::ErrorType for Recorded<'_> {
        type Error = Infallible;
    }
    impl InputPin for Recorded<'_> {
        fn is_high(&mut self) -> Result<bool, Infallible> {
            let l = self.levels[self.at.min(self.levels.len() - 1)];
            self.at += 1;
            Ok(l)
        }
        fn is_low(&mut self) -> Result<bool, Infallible> {
            self.is_high().map(|h| !h)
        }
    }

    fn presses(levels: &[bool], active: ActiveLevel, samples: u8, polls: usize) -> usize {
        let mut b = Debounced::new(Recorded { levels, at: 0 }, active, samples);
        (0..polls).filter(|_| b.poll()).count()
    }

    #[test]
    fn bounces_are_ignored() {
        // Active low: idle high, a bouncy press, held, a bouncy release, idle.
        let l = [true, true, false, true, false, true, false, false, false, false, false, true, false, true, true, true, true, true];
        assert_eq!(presses(&l, ActiveLevel::Low, 3, l.len()), 1);
        // With one sample every bounce counts.
        assert_eq!(presses(&l, ActiveLevel::Low, 1, l.len()), 4);
    }

    #[test]
    fn short_glitch_is_not_a_press() {
        let l = [false, false, true, true, false, false, false, false];
        assert_eq!(presses(&l, ActiveLevel::High, 3, l.len()), 0);
        let l = [false, true, true, true, false, false, false];
        assert_eq!(presses(&l, ActiveLevel::High, 3, l.len()), 1);
    }

    #[test]
    fn held_button_presses_once() {
        let l = [false; 4];
        assert_eq!(presses(&l, ActiveLevel::Low, 2, 100), 1);
    }
}
