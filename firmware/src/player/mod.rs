//! The board application: button, LED, composing and playing over serial MIDI, written
//! against embedded-hal traits.
//!
//! - [`button`]: a debounced push button ([`Debounced`]);
//! - [`clock`]: the microsecond clock the player times MIDI by ([`Monotonic`]) and where
//!   seeds come from ([`SeedSource`]);
//! - [`compose`]: what the player asks of a composer ([`Composer`]);
//! - [`langevin`]: the composer over the sampler and a score network
//!   ([`LangevinComposer`]);
//! - [`machine`]: the state machine that ties them together ([`Player`]);
//! - [`sim`]: stand-in hardware on a virtual clock, for hosts and CI runs.
//!
//! Boards supply the pins, the port (anything `embedded_io::Write`), the timer and the
//! composer, and call [`Player::step`] in their main loop.

mod log;

pub mod button;
pub mod clock;
pub mod compose;
pub mod langevin;
pub mod machine;
pub mod sim;

pub use button::{ActiveLevel, Debounced};
pub use clock::{FixedSeed, Monotonic, PressTime, SeedSource};
pub use compose::{phrase_seed, Cadences, Composer};
pub use langevin::{LangevinComposer, LangevinError};
pub use machine::{Happening, Player, PlayerConfig, PlayerError, State};

#[cfg(test)]
mod tests;
