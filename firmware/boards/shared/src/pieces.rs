//! Pieces on a button, the boards' default mode: press, compose, play; press again to
//! stop.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin};
use kantor_core::player::{Composer, Monotonic, Player, PlayerConfig, SeedSource};

/// Longest piece a board holds, in 16th-note frames.
pub const PIECE_FRAMES: usize = 256;

/// Runs the player on the board's button, busy LED, MIDI port and timer, forever. Errors
/// leave the player idle with all notes off; the next press tries again.
pub fn on_button(
    button: impl InputPin,
    led: impl OutputPin,
    port: impl embedded_io::Write,
    timer: impl Monotonic + DelayNs,
    composer: impl Composer,
    seeds: impl SeedSource,
    config: PlayerConfig,
) -> ! {
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> = Player::new(button, led, port, timer, composer, seeds, config);
    loop {
        let _ = player.step();
    }
}
