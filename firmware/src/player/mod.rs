//! The board application: button, LED, composing and playing over serial MIDI, written
//! against embedded-hal traits.
//!
//! - [`button`]: a debounced push button ([`Debounced`]);
//! - [`clock`]: the microsecond clock the player times MIDI by ([`Monotonic`]) and where
//!   seeds come from ([`SeedSource`]);
//! - [`compose`]: what the player asks of a composer ([`Composer`]);
//! - [`phrases`]: the composer over the sampler and a score network
//!   ([`LangevinComposer`]);
//! - [`machine`]: the state machine that ties them together ([`Player`]), each phrase
//!   played as soon as it is composed;
//! - [`stage`]: where the player's messages go out from ([`Stage`]: [`Inline`], or a timer
//!   interrupt or a thread that plays while the player composes);
//! - [`endless`]: the endless chorale, composed while it plays ([`Streamer`] in the main
//!   loop, [`Playback`] in a timer interrupt);
//! - [`sim`]: stand-in hardware on a virtual clock, for hosts and CI runs;
//! - [`live`] (feature `std`): a wall clock, the endless chorale with its playback on a
//!   thread, and that thread as a player's stage ([`live::Threaded`]), for the Pi and the
//!   host's `kantor play`.
//!
//! Boards supply the pins, the port (anything `embedded_io::Write`), the timer and the
//! composer, and call [`Player::step`] in their main loop.

#![forbid(unsafe_code)]

mod log;

pub mod board;
pub mod button;
pub mod clock;
pub mod compose;
pub mod phrases;
#[cfg(feature = "std")]
pub mod live;
pub mod machine;
pub mod sim;
pub mod stage;
pub mod endless;

pub use board::BoardComposer;
#[cfg(feature = "std")]
pub use board::blob_composer;
pub use button::{ActiveLevel, Debounced};
pub use clock::{FixedSeed, Monotonic, PressTime, SeedSource};
pub use compose::{phrase_seed, Cadences, Composer};
pub use phrases::{model_settings, Budget, LangevinComposer, LangevinError};
pub use machine::{Happening, Player, PlayerConfig, PlayerError, State};
pub use stage::{Inline, Stage};
pub use endless::{EventQueue, Playback, StreamControl, StreamError, StreamStats, Streamer, Timed};

#[cfg(test)]
mod input_tests;
#[cfg(test)]
mod endless_tests;
#[cfg(test)]
mod piece_tests;
#[cfg(test)]
mod tests;
