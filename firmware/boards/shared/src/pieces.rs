//! Pieces on a button, the boards' default mode: a press composes the first phrase and
//! plays it, each next phrase is composed while the one before plays (from the SysTick
//! interrupt); press again to stop.

use embedded_hal::digital::{InputPin, OutputPin};
use kantor_core::player::{Composer, Player, PlayerConfig, SeedSource};

use crate::stage::{Port, SysTickStage};
use crate::systick::SysTickClock;

/// Longest piece a board holds, in 16th-note frames.
pub const PIECE_FRAMES: usize = 256;

/// Runs the player on the board's button, busy LED, MIDI port and clock, forever. Errors
/// leave the player idle with all notes off; the next press tries again. `port` is the
/// board's MIDI out in a static (`cortex_m::singleton!`); call once.
pub fn on_button(
    button: impl InputPin,
    led: impl OutputPin,
    port: Port,
    clock: SysTickClock,
    composer: impl Composer,
    seeds: impl SeedSource,
    config: PlayerConfig,
) -> ! {
    let stage = SysTickStage::new(port, config.performance);
    let mut player: Player<_, _, _, _, _, _, PIECE_FRAMES> = Player::on_stage(button, led, stage, clock, composer, seeds, config);
    loop {
        let _ = player.step();
    }
}
