//! The player's state machine: idle → (press) composing → playing → idle.
//!
//! One [`Player::step`] is one turn of the board's main loop. Idle polls the button once
//! per [`PlayerConfig::poll_us`]; composing asks the [`Composer`] for a whole piece,
//! phrase by phrase, each continuing the last; playing sends the piece's
//! [`EventStream`] with running status, each message at its time on the [`Monotonic`]
//! clock, polling the button while it waits. A press while playing stops the piece and
//! sends "all notes off" on every channel in use; so does any error while playing.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin};

use super::button::{ActiveLevel, Debounced};
use super::clock::{Monotonic, SeedSource};
use super::compose::{phrase_seed, Composer};
use super::log::log;
use crate::frame::Frame;
use crate::midi::{all_notes_off, EventStream, Performance, RunningStatus};

/// Where the player is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum State {
    /// Waiting for a press.
    Idle,
    /// Composing the piece with this seed.
    Composing { seed: u64 },
    /// Playing the composed piece.
    Playing,
}

/// Something worth telling the user (or a log) that one step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Happening {
    /// The button was pressed; a piece with this seed is next.
    Pressed { seed: u64 },
    /// A piece of this many frames was composed.
    Composed { frames: usize, phrases: u32 },
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

/// The board application, generic over its hardware: button `B`, busy LED `L`, MIDI port
/// `W`, timer `T` (clock and delay), composer `C`, seed source `S`; pieces of up to `N`
/// frames, held in the player (no heap).
pub struct Player<B, L, W, T, C, S, const N: usize> {
    button: Debounced<B>,
    led: L,
    port: W,
    timer: T,
    composer: C,
    seeds: S,
    config: PlayerConfig,
    state: State,
    piece: heapless::Vec<Frame, N>,
}

type Failure<W, C> = PlayerError<<W as embedded_io::ErrorType>::Error, <C as Composer>::Error>;

impl<B, L, W, T, C, S, const N: usize> Player<B, L, W, T, C, S, N>
where
    B: InputPin,
    L: OutputPin,
    W: embedded_io::Write,
    T: Monotonic + DelayNs,
    C: Composer,
    S: SeedSource,
{
    pub fn new(button: B, led: L, port: W, timer: T, composer: C, seeds: S, config: PlayerConfig) -> Self {
        let button = Debounced::new(button, config.active, config.debounce_samples);
        Player { button, led, port, timer, composer, seeds, config, state: State::Idle, piece: heapless::Vec::new() }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// The last composed piece.
    pub fn piece(&self) -> &[Frame] {
        &self.piece
    }

    /// The MIDI port (e.g. to read what a fake one captured).
    pub fn port(&mut self) -> &mut W {
        &mut self.port
    }

    /// The busy LED.
    pub fn led(&self) -> &L {
        &self.led
    }

    /// The timer.
    pub fn timer(&mut self) -> &mut T {
        &mut self.timer
    }

    /// Starts a piece with `seed` as if the button had been pressed (auto-play, tests).
    pub fn start(&mut self, seed: u64) {
        log!("piece seed {=u64}", seed);
        self.state = State::Composing { seed };
    }

    /// Starts a piece with `seed` and steps until it has played to its end or a press has
    /// stopped it (auto-play, a host playing as a board); every happening on the way goes
    /// to `on`. Returns the last one: [`Happening::Finished`] or [`Happening::Stopped`].
    pub fn play_through(&mut self, seed: u64, mut on: impl FnMut(Happening)) -> Result<Happening, Failure<W, C>> {
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
    pub fn step(&mut self) -> Result<Option<Happening>, Failure<W, C>> {
        match self.state {
            State::Idle => {
                if self.button.poll() {
                    let seed = self.seeds.seed(self.timer.now_us());
                    self.start(seed);
                    return Ok(Some(Happening::Pressed { seed }));
                }
                self.timer.delay_us(self.config.poll_us);
                Ok(None)
            }
            State::Composing { seed } => {
                let _ = self.led.set_high();
                match self.compose(seed) {
                    Ok(frames) => {
                        self.state = State::Playing;
                        Ok(Some(Happening::Composed { frames, phrases: self.config.phrases }))
                    }
                    Err(e) => {
                        self.idle();
                        Err(e)
                    }
                }
            }
            State::Playing => {
                let result = self.play();
                if result.is_err() {
                    // Best effort: the port may be what failed.
                    let _ = self.silence();
                }
                self.idle();
                result.map(Some)
            }
        }
    }

    /// Composes the piece for `seed` into the player's buffer; returns its length.
    fn compose(&mut self, seed: u64) -> Result<usize, Failure<W, C>> {
        self.piece.clear();
        for p in 0..self.config.phrases {
            let start = self.piece.len();
            let context_start = start.saturating_sub(self.config.context_frames);
            // The phrase is written after the piece so far, in the spare capacity.
            let spare = N - start;
            if spare == 0 {
                break;
            }
            let pad = Frame::held(Default::default());
            let _ = self.piece.resize(N, pad);
            let (before, after) = self.piece.split_at_mut(start);
            self.composer.ends_piece(p + 1 == self.config.phrases);
            let result = self.composer.compose(phrase_seed(seed, p), &before[context_start..], after);
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
            log!("phrase {=u32}: {=usize} frames", p, n);
        }
        Ok(self.piece.len())
    }

    /// Plays the composed piece; stops early on a press.
    fn play(&mut self) -> Result<Happening, Failure<W, C>> {
        let performance = self.config.performance;
        let mut status = RunningStatus::new();
        let mut bytes = 0u32;
        let start = self.timer.now_us();
        let mut events = EventStream::new(&self.piece, &performance);
        for event in &mut events {
            let due = start + performance.tick_to_micros(event.tick);
            loop {
                let now = self.timer.now_us();
                if now >= due {
                    break;
                }
                if self.button.poll() {
                    bytes += self.silence().map_err(PlayerError::Port)?;
                    log!("stopped");
                    return Ok(Happening::Stopped { bytes });
                }
                let wait = (due - now).min(self.config.poll_us as u64) as u32;
                self.timer.delay_us(wait);
            }
            bytes += status.write(&event.message, &mut self.port).map_err(PlayerError::Port)? as u32;
        }
        self.port.flush().map_err(PlayerError::Port)?;
        Ok(Happening::Finished { bytes })
    }

    /// All notes off on every channel in use (each with its own status byte).
    fn silence(&mut self) -> Result<u32, W::Error> {
        let mut status = RunningStatus::new();
        let mut bytes = 0;
        for m in all_notes_off(&self.config.performance) {
            bytes += status.write(&m, &mut self.port)? as u32;
        }
        self.port.flush()?;
        Ok(bytes)
    }

    fn idle(&mut self) {
        let _ = self.led.set_low();
        self.state = State::Idle;
    }
}
