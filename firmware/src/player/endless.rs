//! The endless chorale: while one phrase plays, the next is composed, continuing it.
//!
//! On a single core the work splits in two:
//! - the main loop runs a [`Streamer`]: it composes phrase after phrase (each continuing
//!   the last by inpainting) and queues each phrase's MIDI messages, time-stamped on the
//!   player's clock, into a heapless single-producer single-consumer queue;
//! - a timer interrupt runs the [`Playback`]: it sends every queued message that is due.
//!
//! A phrase is gapless when it is queued before its first message is due; the streamer
//! keeps the smallest such margin ([`StreamStats`]). A late phrase starts as soon as it is
//! queued (a gap, counted) and the rhythm within it is kept.
//!
//! Notes held across a phrase boundary keep sounding: each phrase's messages come from
//! an [`EventStream`] primed with what sounds at the end of the phrase before, and a
//! phrase's final note-offs are left to the phrase after it (or to the all-notes-off of
//! a stop).

use core::sync::atomic::{AtomicBool, Ordering};

use heapless::spsc::{Consumer, Producer};

use super::clock::Monotonic;
use super::compose::{phrase_seed, Composer};
use super::log::log;
use super::machine::PlayerConfig;
use crate::chorale::sounding;
use crate::frame::{Frame, FrameMeta};
use crate::midi::{all_notes_off, EventStream, Message, Performance, RunningStatus, TICKS_PER_FRAME};
use crate::token::Token;
use crate::voice::Voice;

/// A MIDI message and when it is due, in microseconds on the player's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timed {
    pub at_us: u64,
    pub message: Message,
}

/// The queue between the two sides, holding up to `N - 1` messages; `split` it into the
/// streamer's producer and the playback's consumer.
pub type EventQueue<const N: usize> = heapless::spsc::Queue<Timed, N>;

/// Shared between the two sides: the main loop asks for a stop, the timer side performs
/// it (empties the queue, turns every note off) and clears the request.
#[derive(Debug, Default)]
pub struct StreamControl {
    stop: AtomicBool,
}

impl StreamControl {
    pub const fn new() -> Self {
        StreamControl { stop: AtomicBool::new(false) }
    }

    /// Asks the playback to stop at its next tick.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    /// True while a stop is asked for and not yet done.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }
}

/// The timer side: sends due messages with running status.
pub struct Playback<'q, W> {
    queue: Consumer<'q, Timed>,
    port: W,
    control: &'q StreamControl,
    performance: Performance,
    status: RunningStatus,
    sent: u32,
}

impl<'q, W: embedded_io::Write> Playback<'q, W> {
    pub fn new(queue: Consumer<'q, Timed>, port: W, control: &'q StreamControl, performance: Performance) -> Self {
        Playback { queue, port, control, performance, status: RunningStatus::new(), sent: 0 }
    }

    /// Call from the timer interrupt (every millisecond, say): sends every message due
    /// by `now_us`, or performs a requested stop. Returns the bytes sent.
    pub fn on_tick(&mut self, now_us: u64) -> Result<u32, W::Error> {
        let mut bytes = 0;
        if self.control.stopping() {
            while self.queue.dequeue().is_some() {}
            let mut fresh = RunningStatus::new();
            for m in all_notes_off(&self.performance) {
                bytes += fresh.write(&m, &mut self.port)? as u32;
            }
            self.status = fresh;
            self.control.stop.store(false, Ordering::Release);
        }
        while self.queue.peek().is_some_and(|t| t.at_us <= now_us) {
            if let Some(t) = self.queue.dequeue() {
                bytes += self.status.write(&t.message, &mut self.port)? as u32;
            }
        }
        if bytes > 0 {
            self.port.flush()?;
        }
        self.sent += bytes;
        Ok(bytes)
    }

    /// True when nothing is queued.
    pub fn is_idle(&self) -> bool {
        !self.queue.ready()
    }

    /// Bytes sent so far.
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// The MIDI port.
    pub fn port(&mut self) -> &mut W {
        &mut self.port
    }
}

/// How well the stream kept up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StreamStats {
    /// Phrases queued.
    pub phrases: u32,
    /// Smallest time between queuing a phrase and its first message being due, over
    /// every phrase after the first (µs; negative: it came late).
    pub min_margin_us: i64,
    /// Phrases that came late (a gap in the music).
    pub gaps: u32,
}

/// Why the stream stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StreamError<C> {
    /// The composer failed.
    Compose(C),
    /// The composer returned no frames.
    EmptyPhrase,
}

impl<C: core::fmt::Display> core::fmt::Display for StreamError<C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StreamError::Compose(e) => write!(f, "composing the next phrase failed: {e}"),
            StreamError::EmptyPhrase => f.write_str("the composer returned an empty phrase"),
        }
    }
}

#[cfg(feature = "std")]
impl<C: core::fmt::Debug + core::fmt::Display> std::error::Error for StreamError<C> {}

/// Delay between the first phrase being queued and its first note.
const FIRST_PHRASE_LEAD_US: u64 = 20_000;

/// The main-loop side: composes and queues phrase after phrase. `N` bounds a phrase.
pub struct Streamer<'q, C, const N: usize> {
    queue: Producer<'q, Timed>,
    control: &'q StreamControl,
    composer: C,
    config: PlayerConfig,
    previous: heapless::Vec<Frame, N>,
    phrase: heapless::Vec<Frame, N>,
    seed: u64,
    index: u32,
    next_start_us: u64,
    stats: StreamStats,
}

impl<'q, C: Composer, const N: usize> Streamer<'q, C, N> {
    pub fn new(queue: Producer<'q, Timed>, control: &'q StreamControl, composer: C, config: PlayerConfig) -> Self {
        Streamer {
            queue,
            control,
            composer,
            config,
            previous: heapless::Vec::new(),
            phrase: heapless::Vec::new(),
            seed: 0,
            index: 0,
            next_start_us: 0,
            stats: StreamStats { phrases: 0, min_margin_us: i64::MAX, gaps: 0 },
        }
    }

    /// Begins a new endless chorale from `seed`.
    pub fn start(&mut self, seed: u64) {
        log!("stream seed {=u64}", seed);
        self.seed = seed;
        self.index = 0;
        self.previous.clear();
        self.stats = StreamStats { phrases: 0, min_margin_us: i64::MAX, gaps: 0 };
    }

    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    /// The phrase queued last.
    pub fn last_phrase(&self) -> &[Frame] {
        &self.previous
    }

    /// Composes the next phrase and queues its messages. While the queue is full it calls
    /// `wait` (which must let the timer side run: sleep until an interrupt, or on a host
    /// move virtual time and tick the playback). Returns the phrase's margin in µs.
    pub fn step<T: Monotonic>(&mut self, clock: &mut T, mut wait: impl FnMut(&mut T)) -> Result<i64, StreamError<C::Error>> {
        let context_start = self.previous.len().saturating_sub(self.config.context_frames);
        let _ = self.phrase.resize(N, Frame::held(FrameMeta::default()));
        let seed = phrase_seed(self.seed, self.index);
        let n = self.composer.compose(seed, &self.previous[context_start..], &mut self.phrase).map_err(StreamError::Compose)?;
        self.phrase.truncate(n.min(N));
        if self.phrase.is_empty() {
            return Err(StreamError::EmptyPhrase);
        }
        let now = clock.now_us();
        let first = self.index == 0;
        if first {
            self.next_start_us = now + FIRST_PHRASE_LEAD_US;
        }
        let margin = self.next_start_us as i64 - now as i64;
        if !first {
            self.stats.min_margin_us = self.stats.min_margin_us.min(margin);
        }
        if margin < 0 {
            self.stats.gaps += 1;
            self.next_start_us = now;
        }
        self.queue_phrase(clock, &mut wait);
        log!("phrase {=u32} queued {=i64} us ahead", self.index, margin);
        core::mem::swap(&mut self.previous, &mut self.phrase);
        self.index += 1;
        self.stats.phrases += 1;
        Ok(margin)
    }

    /// Asks the playback to stop and waits (through `wait`) until it has.
    pub fn stop<T: Monotonic>(&mut self, clock: &mut T, mut wait: impl FnMut(&mut T)) {
        self.control.request_stop();
        while self.control.stopping() {
            wait(clock);
        }
    }

    /// Queues the phrase's messages: an event stream primed with what sounds at the end
    /// of the previous phrase, without that primer's own messages and without the final
    /// note-offs (the next phrase or a stop ends those notes).
    fn queue_phrase<T: Monotonic>(&mut self, clock: &mut T, wait: &mut impl FnMut(&mut T)) {
        let performance = self.config.performance;
        let first = self.index == 0;
        let mut primer = Frame::held(FrameMeta::default());
        for v in Voice::ALL {
            let last = self.previous.len().wrapping_sub(1);
            primer.tokens[v.index()] = match sounding(&self.previous, v, last) {
                Some(p) => Token::Pitch(p),
                None => Token::Rest,
            };
        }
        // The primer goes in front of the phrase, in the spare slot after it (rotated).
        let len = self.phrase.len();
        let with_primer = !first && self.phrase.push(primer).is_ok();
        if with_primer {
            self.phrase.rotate_right(1);
        }
        let skip_before = if with_primer { TICKS_PER_FRAME } else { 0 };
        let stream = EventStream::new(&self.phrase, &performance);
        let end = stream.end_tick();
        let start = self.next_start_us;
        for e in stream {
            if e.tick < skip_before || e.tick >= end {
                continue;
            }
            let at_us = start + performance.tick_to_micros(e.tick - skip_before);
            let mut item = Timed { at_us, message: e.message };
            while let Err(back) = self.queue.enqueue(item) {
                item = back;
                wait(clock);
            }
        }
        let duration = performance.tick_to_micros(end - skip_before);
        if with_primer {
            self.phrase.rotate_left(1);
            self.phrase.truncate(len);
        }
        self.next_start_us = start + duration;
    }
}
