//! `--stream`: the endless chorale, through the player's live streaming (a playback thread
//! sends the queued messages when due, the main thread composes the next phrase meanwhile),
//! stopped by the button as well.

use std::sync::atomic::{AtomicBool, Ordering};

use embedded_hal::digital::InputPin;
use kantor_core::player::live;
use kantor_core::player::{Composer, Debounced, PlayerConfig};

use crate::hw::SerialMidi;

/// Streams from `seed` until `phrases` phrases are out (if given), a press of `button`, or
/// `quit`; then stops with all notes off.
pub fn run<C: Composer, B: InputPin>(
    port: SerialMidi,
    composer: C,
    config: PlayerConfig,
    seed: u64,
    phrases: Option<u32>,
    button: B,
    quit: &AtomicBool,
) -> anyhow::Result<()> {
    let mut button = Debounced::new(button, config.active, config.debounce_samples);
    let mut pressed = false;
    let stop = || {
        pressed = pressed || button.poll();
        pressed || quit.load(Ordering::SeqCst)
    };
    eprintln!("streaming from seed {seed}");
    let queued = |p: live::PhraseQueued| {
        eprintln!(
            "phrase {}: composed and queued in {:.0} ms, ready {:.0} ms before it is due",
            p.index,
            p.took.as_secs_f64() * 1e3,
            p.margin_us as f64 / 1e3
        )
    };
    let report = live::stream(port, composer, config, seed, phrases, stop, queued).map_err(|e| anyhow::anyhow!("{e}"))?;
    let s = report.stats;
    eprintln!(
        "stream done: {} phrases, {} gaps, smallest margin {} ms, {} MIDI bytes",
        s.phrases,
        s.gaps,
        if s.phrases > 1 { s.min_margin_us / 1000 } else { 0 },
        report.bytes
    );
    Ok(())
}
