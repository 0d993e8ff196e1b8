//! The endless chorale on a single Cortex-M core: the SysTick interrupt plays what the
//! main loop queued while the main loop composes the next phrase.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin};
use kantor_core::player::{Composer, Debounced, Monotonic, PlayerConfig, SeedSource, StreamError, StreamStats, Streamer};

use crate::stage::{self, wait};
pub use crate::stage::Port;
use crate::systick::SysTickClock;

/// What happened to one phrase.
#[derive(Clone, Copy, Debug)]
pub struct PhraseReport {
    pub index: u32,
    /// Core cycles spent composing and queuing it.
    pub cycles: u64,
    /// How long before its first message was due it was queued (µs; negative: late).
    pub margin_us: i64,
}

/// The streaming side of a board. Call [`Endless::start`] once (it takes the port and
/// hooks SysTick), then [`Endless::phrase`] in the main loop and [`Endless::stop`].
pub struct Endless<C: Composer, const N: usize> {
    streamer: Streamer<'static, C, N>,
    index: u32,
}

impl<C: Composer, const N: usize> Endless<C, N> {
    /// Takes the port and the composer. Call once: the queue is a static.
    pub fn start(port: Port, composer: C, config: PlayerConfig, seed: u64) -> Self {
        let (producer, control) = stage::install(port, config.performance);
        let mut streamer = Streamer::new(producer, control, composer, config);
        streamer.start(seed);
        Endless { streamer, index: 0 }
    }

    /// Begins a new endless chorale from `seed` (after a [`Endless::stop`]).
    pub fn restart(&mut self, seed: u64) {
        self.streamer.start(seed);
        self.index = 0;
    }

    /// Composes and queues the next phrase (sleeping while the queue is full).
    pub fn phrase(&mut self, clock: &mut SysTickClock) -> Result<PhraseReport, StreamError<C::Error>> {
        let began = clock.cycles();
        let margin_us = self.streamer.step(clock, wait)?;
        let index = self.index;
        self.index += 1;
        Ok(PhraseReport { index, cycles: clock.cycles() - began, margin_us })
    }

    /// True once everything queued has been sent.
    pub fn drained(&self) -> bool {
        stage::drained()
    }

    /// Bytes sent so far.
    pub fn sent(&self) -> u32 {
        stage::sent()
    }

    /// Stops: the interrupt empties the queue and turns every note off.
    pub fn stop(&mut self, clock: &mut SysTickClock) -> StreamStats {
        self.streamer.stop(clock, wait);
        self.streamer.stats()
    }
}

/// A board's endless chorale on a button: a press starts it from a fresh seed with the LED
/// lit, each phrase is composed while the one before plays, the next press stops it (all
/// notes off, LED dark) and the board waits for another. `port` is the board's MIDI out
/// in a static (`cortex_m::singleton!`); call once.
pub fn on_button<C: Composer, const N: usize>(
    button: impl InputPin,
    mut led: impl OutputPin,
    port: Port,
    mut clock: SysTickClock,
    composer: C,
    mut seeds: impl SeedSource,
    config: PlayerConfig,
) -> ! {
    let mut button = Debounced::new(button, config.active, config.debounce_samples);
    let press = |clock: &mut SysTickClock, button: &mut Debounced<_>| loop {
        if button.poll() {
            return;
        }
        clock.delay_ms(1);
    };
    press(&mut clock, &mut button);
    let mut endless: Endless<_, N> = Endless::start(port, composer, config, seeds.seed(clock.now_us()));
    loop {
        let _ = led.set_high();
        // Between phrases the button is read once; a press during composing counts when
        // the debouncer sees it held.
        while !button.poll() {
            if endless.phrase(&mut clock).is_err() {
                break;
            }
        }
        endless.stop(&mut clock);
        let _ = led.set_low();
        press(&mut clock, &mut button);
        endless.restart(seeds.seed(clock.now_us()));
    }
}
