//! The player's state machine: idle → (press) composing → playing → idle.
//!
//! One [`Player::step`] is one turn of the board's main loop. Idle polls the button once
//! per [`PlayerConfig::poll_us`]. A press composes the piece's first phrase and queues its
//! messages on the [`Stage`] at once, so the music starts as soon as one phrase is
//! composed; each later step composes the next phrase (continuing the last) and queues
//! it, and the last step waits for the piece to play out. A stage that plays while the
//! player composes (a timer interrupt, a thread) plays each phrase while the next is
//! composed; with the [`Inline`] stage the player lets each phrase play out first.
//!
//! The messages are the piece's [`EventStream`], phrase by phrase (each phrase the events
//! from its first tick up to the next phrase's), so the bytes are those of the whole
//! piece. A phrase composed too late to follow on in time shifts the rest of the piece:
//! the music waits at the phrase boundary, where the chord of the previous phrase's
//! closing fermata goes on sounding (its note-offs belong to the next phrase). The player
//! polls the button while it waits (never while it composes); a press while playing
//! stops the piece and sends "all notes off" on every channel in use; so does any error.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin};

use super::button::{ActiveLevel, Debounced};
use super::clock::{Monotonic, SeedSource};
use super::compose::{phrase_seed, Composer};
use super::endless::Timed;
use super::log::log;
use super::stage::{Inline, Stage};
use crate::frame::Frame;
use crate::midi::{frame_tick, EventStream, FermataTiming, Performance};

/// Where the player is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// Waiting for a press.
    Idle,
    /// About to compose the first phrase of the piece with this seed.
    Composing { seed: u64 },
    /// Playing the piece, and composing its next phrase while there is one.
    Playing,
}

/// Something worth telling the user (or a log) that one step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Happening {
    /// The button was pressed; a piece with this seed is next.
    Pressed { seed: u64 },
    /// Phrase `phrase` (from 0) of `frames` frames was composed and queued; the music
    /// waited `waited_us` on the fermata before it (0: it came in time).
    Composed { phrase: u32, frames: usize, waited_us: u64 },
    /// The piece played to its end; this many MIDI bytes went out.
    Finished { bytes: u32 },
    /// A press stopped the piece; all notes were turned off.
    Stopped { bytes: u32 },
}

/// Why a step failed. The player is idle again afterwards, with all notes off if the port
/// still takes bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PlayerError<W, C> {
    /// The MIDI port failed.
    Port(W),
    /// The composer failed.
    Compose(C),
    /// The composer returned no frames.
    EmptyPhrase,
}

impl<W: core::fmt::Display, C: core::fmt::Display> core::fmt::Display for PlayerError<W, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PlayerError::Port(e) => write!(f, "the MIDI port failed: {e}"),
            PlayerError::Compose(e) => write!(f, "composing failed: {e}"),
            PlayerError::EmptyPhrase => f.write_str("the composer returned an empty phrase"),
        }
    }
}

#[cfg(feature = "std")]
impl<W: core::fmt::Debug + core::fmt::Display, C: core::fmt::Debug + core::fmt::Display> std::error::Error for PlayerError<W, C> {}

/// How the player behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PlayerConfig {
    /// Tempo, channels, programs, velocities and fermata lengthening.
    pub performance: Performance,
    /// Phrases composed per piece (each continues the one before).
    pub phrases: u32,
    /// Frames of the previous phrase a phrase continues from.
    pub context_frames: usize,
    /// Button poll period in microseconds (also the longest wait between polls while
    /// playing, so the stop reaction time).
    pub poll_us: u32,
    /// Consecutive equal polls for the button to change state.
    pub debounce_samples: u8,
    /// Level the button pin reads while pressed.
    pub active: ActiveLevel,
}

impl Default for PlayerConfig {
    fn default() -> Self {
        PlayerConfig {
            performance: Performance::default(),
            phrases: 4,
            context_frames: 16,
            poll_us: 1_000,
            debounce_samples: 5,
            active: ActiveLevel::Low,
        }
    }
}

/// The board application, generic over its hardware: button `B`, busy LED `L`, the stage
/// `P` its MIDI goes out from ([`Inline`] over a port, or one that plays by itself), timer
/// `T` (clock and delay), composer `C`, seed source `S`; pieces of up to `N` frames, held
/// in the player (no heap).
pub struct Player<B, L, P, T, C, S, const N: usize> {
    button: Debounced<B>,
    led: L,
    stage: P,
    timer: T,
    composer: C,
    seeds: S,
    config: PlayerConfig,
    state: State,
    piece: heapless::Vec<Frame, N>,
    /// The piece's seed and the next phrase to compose.
    seed: u64,
    next: u32,
    /// When the piece's tick 0 is due, moved on by every wait at a phrase boundary.
    origin_us: u64,
    /// The stage's byte count when the piece began.
    sent_before: u32,
}

type Failure<P, C> = PlayerError<<P as Stage>::Error, <C as Composer>::Error>;

impl<B, L, W, T, C, S, const N: usize> Player<B, L, Inline<W>, T, C, S, N>
where
    B: InputPin,
    L: OutputPin,
    W: embedded_io::Write,
    T: Monotonic + DelayNs,
    C: Composer,
    S: SeedSource,
{
    /// A player sending to `port` from its own waits ([`Inline`]): each phrase plays out
    /// before the next is composed.
    pub fn new(button: B, led: L, port: W, timer: T, composer: C, seeds: S, config: PlayerConfig) -> Self {
        Self::on_stage(button, led, Inline::new(port), timer, composer, seeds, config)
    }

    /// The MIDI port (e.g. to read what a fake one captured).
    pub fn port(&mut self) -> &mut W {
        self.stage.port()
    }
}

impl<B, L, P, T, C, S, const N: usize> Player<B, L, P, T, C, S, N>
where
    B: InputPin,
    L: OutputPin,
    P: Stage,
    T: Monotonic + DelayNs,
    C: Composer,
    S: SeedSource,
{
    /// A player whose MIDI goes out from `stage`; the stage's clock must be `timer`'s.
    pub fn on_stage(button: B, led: L, stage: P, timer: T, composer: C, seeds: S, config: PlayerConfig) -> Self {
        let button = Debounced::new(button, config.active, config.debounce_samples);
        Player {
            button,
            led,
            stage,
            timer,
            composer,
            seeds,
            config,
            state: State::Idle,
            piece: heapless::Vec::new(),
            seed: 0,
            next: 0,
            origin_us: 0,
            sent_before: 0,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The piece composed last (so far, while it plays).
    pub fn piece(&self) -> &[Frame] {
        &self.piece
    }

    /// The stage the MIDI goes out from.
    pub fn stage(&mut self) -> &mut P {
        &mut self.stage
    }

    /// The busy LED.
    pub fn led(&self) -> &L {
        &self.led
    }

    /// The timer.
    pub fn timer(&mut self) -> &mut T {
        &mut self.timer
    }

    /// The composer.
    pub fn composer(&mut self) -> &mut C {
        &mut self.composer
    }

    /// Starts a piece with `seed` as if the button had been pressed (auto-play, tests).
    pub fn start(&mut self, seed: u64) {
        log!("piece seed {=u64}", seed);
        self.state = State::Composing { seed };
    }

    /// Starts a piece with `seed` and steps until it has played to its end or a press has
    /// stopped it (auto-play, a host playing as a board); every happening on the way goes
    /// to `on`. Returns the last one: [`Happening::Finished`] or [`Happening::Stopped`].
    pub fn play_through(&mut self, seed: u64, mut on: impl FnMut(Happening)) -> Result<Happening, Failure<P, C>> {
        self.start(seed);
        loop {
            if let Some(h) = self.step()? {
                on(h);
                if matches!(h, Happening::Finished { .. } | Happening::Stopped { .. }) {
                    return Ok(h);
                }
            }
        }
    }

    /// One turn of the main loop. `Ok(None)`: nothing happened (an idle poll).
    pub fn step(&mut self) -> Result<Option<Happening>, Failure<P, C>> {
        let result = match self.state {
            State::Idle => {
                if self.button.poll() {
                    let seed = self.seeds.seed(self.timer.now_us());
                    self.start(seed);
                    return Ok(Some(Happening::Pressed { seed }));
                }
                self.timer.delay_us(self.config.poll_us);
                return Ok(None);
            }
            State::Composing { seed } => {
                let _ = self.led.set_high();
                self.piece.clear();
                self.seed = seed;
                self.next = 0;
                self.sent_before = self.stage.sent();
                self.state = State::Playing;
                self.phrase()
            }
            State::Playing if self.next < self.config.phrases && self.piece.len() < N => self.phrase(),
            State::Playing => self.finish(),
        };
        match result {
            Ok(h @ Happening::Composed { .. }) => Ok(Some(h)),
            Ok(h) => {
                self.idle();
                Ok(Some(h))
            }
            Err(e) => {
                // Best effort: the port may be what failed. Nothing to silence if no
                // note of the piece went out yet.
                if self.stage.sent() != self.sent_before || !self.stage.is_idle() {
                    let _ = self.stage.stop(&self.config.performance);
                }
                self.idle();
                Err(e)
            }
        }
    }

    /// Composes the next phrase after the piece so far and queues its messages; a press
    /// while the player waits (for the phrase before to play out, or for room in the
    /// queue) stops the piece instead.
    fn phrase(&mut self) -> Result<Happening, Failure<P, C>> {
        let p = self.next;
        if p > 0 && !self.stage.plays_while_composing() {
            while !self.stage.is_idle() {
                if self.pause()? {
                    return self.stopped();
                }
            }
        }
        let start = self.piece.len();
        let context_start = start.saturating_sub(self.config.context_frames);
        // The phrase is written after the piece so far, in the spare capacity.
        let spare = N - start;
        let _ = self.piece.resize(N, Frame::held(Default::default()));
        let (before, after) = self.piece.split_at_mut(start);
        self.composer.ends_piece(p + 1 == self.config.phrases);
        let result = self.composer.compose(phrase_seed(self.seed, p), &before[context_start..], after);
        let n = match result {
            Ok(n) => n.min(spare),
            Err(e) => {
                self.piece.truncate(start);
                return Err(PlayerError::Compose(e));
            }
        };
        self.piece.truncate(start + n);
        if n == 0 {
            return Err(PlayerError::EmptyPhrase);
        }
        self.next += 1;
        log!("phrase {=u32}: {=usize} frames", p, n);

        // The phrase's part of the whole piece's events: from its first tick up to the
        // next phrase's, and the final note-offs too if it ends the piece.
        let last = self.next >= self.config.phrases || self.piece.len() == N;
        let performance = self.config.performance;
        let from = frame_tick(&self.piece, start, &performance, FermataTiming::StretchTicks);
        let now = self.timer.now_us();
        if p == 0 {
            self.origin_us = now;
        }
        let due = self.origin_us + performance.tick_to_micros(from);
        let waited_us = now.saturating_sub(due);
        self.origin_us += waited_us;
        let events = EventStream::new(&self.piece, &performance);
        let end = events.end_tick();
        for e in events.filter(|e| e.tick >= from && (last || e.tick < end)) {
            let mut item = Timed { at_us: self.origin_us + performance.tick_to_micros(e.tick), message: e.message };
            while let Err(back) = self.stage.queue(item) {
                item = back;
                if pause(&mut self.button, &mut self.timer, &mut self.stage, self.config.poll_us)? {
                    return self.stopped();
                }
            }
        }
        Ok(Happening::Composed { phrase: p, frames: n, waited_us })
    }

    /// Waits for the piece to play out; stops early on a press.
    fn finish(&mut self) -> Result<Happening, Failure<P, C>> {
        while !self.stage.is_idle() {
            if self.pause()? {
                return self.stopped();
            }
        }
        // A stage that sends by itself reports its port's failure here.
        self.stage.tick(self.timer.now_us()).map_err(PlayerError::Port)?;
        Ok(Happening::Finished { bytes: self.stage.sent().wrapping_sub(self.sent_before) })
    }

    /// One wait of the player; true on a press.
    fn pause(&mut self) -> Result<bool, Failure<P, C>> {
        pause(&mut self.button, &mut self.timer, &mut self.stage, self.config.poll_us)
    }

    /// Stops the piece: all notes off on every channel in use.
    fn stopped(&mut self) -> Result<Happening, Failure<P, C>> {
        self.stage.stop(&self.config.performance).map_err(PlayerError::Port)?;
        log!("stopped");
        Ok(Happening::Stopped { bytes: self.stage.sent().wrapping_sub(self.sent_before) })
    }

    fn idle(&mut self) {
        let _ = self.led.set_low();
        self.state = State::Idle;
    }
}

/// One wait of a playing player: sends what is due at once, else polls the button (true
/// on a press) and sleeps until the next message is due, at most one poll period.
fn pause<B: InputPin, T: Monotonic + DelayNs, P: Stage, C>(
    button: &mut Debounced<B>,
    timer: &mut T,
    stage: &mut P,
    poll_us: u32,
) -> Result<bool, PlayerError<P::Error, C>> {
    let now = timer.now_us();
    let wait = match stage.next_due() {
        Some(due) if due <= now => 0,
        Some(due) => (due - now).min(poll_us as u64) as u32,
        None => poll_us,
    };
    if wait > 0 {
        if button.poll() {
            return Ok(true);
        }
        timer.delay_us(wait);
    }
    stage.tick(timer.now_us()).map_err(PlayerError::Port)?;
    Ok(false)
}
