//! The player live on an operating system (feature `std`): a wall clock, and the endless
//! chorale with its [`Playback`] on a thread of its own, ticked every millisecond, as a
//! timer interrupt ticks it on a microcontroller. The Raspberry Pi program and the host's
//! `kantor play` both stream through [`endless`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::clock::Monotonic;
use super::compose::Composer;
use super::machine::PlayerConfig;
use super::endless::{EventQueue, Playback, StreamControl, StreamStats, Streamer};

/// Wall-clock time since the clock was made, and sleeping delays.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    start: Instant,
}

impl WallClock {
    pub fn new() -> Self {
        WallClock { start: Instant::now() }
    }
}

impl Default for WallClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Monotonic for WallClock {
    fn now_us(&mut self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }
}

impl embedded_hal::delay::DelayNs for WallClock {
    fn delay_ns(&mut self, ns: u32) {
        std::thread::sleep(Duration::from_nanos(ns as u64));
    }
}

/// Messages queued ahead (a few phrases).
const QUEUE: usize = 4096;
/// Longest phrase, in frames.
const PHRASE_FRAMES: usize = 256;

/// A phrase of the endless chorale, as it was queued.
#[derive(Clone, Copy, Debug)]
pub struct PhraseQueued {
    /// Counting from 0.
    pub index: u32,
    /// How long composing and queuing it took.
    pub took: Duration,
    /// How long before its first message was due it was ready (µs; negative: late).
    pub margin_us: i64,
}

/// How an endless chorale went.
#[derive(Clone, Copy, Debug)]
pub struct StreamReport {
    pub stats: StreamStats,
    /// MIDI bytes sent.
    pub bytes: u32,
}

/// An error of the streaming threads, as a sentence.
pub type LiveError = Box<dyn std::error::Error + Send + Sync>;

/// Streams the endless chorale from `seed` to `port` until `phrases` phrases are out (if
/// given) and played, or `stop` says so (asked between phrases, and every millisecond while
/// the queue is full or the last phrases play); then stops with all
/// notes off. `queued` hears of every phrase.
pub fn stream<W, C>(
    port: W,
    composer: C,
    config: PlayerConfig,
    seed: u64,
    phrases: Option<u32>,
    stop: impl FnMut() -> bool,
    mut queued: impl FnMut(PhraseQueued),
) -> Result<StreamReport, LiveError>
where
    W: embedded_io::Write + Send + 'static,
    W::Error: std::fmt::Display,
    C: Composer,
{
    let queue: &'static mut EventQueue<QUEUE> = Box::leak(Box::new(EventQueue::new()));
    let control: &'static StreamControl = Box::leak(Box::new(StreamControl::new()));
    let (producer, consumer) = queue.split();
    let playback = Arc::new(Mutex::new(Playback::new(consumer, port, control, config.performance)));
    let poisoned = || -> LiveError { "the playback thread's lock is poisoned".into() };
    let clock = WallClock::new();
    let done = Arc::new(AtomicBool::new(false));
    let player = {
        let (playback, done) = (playback.clone(), done.clone());
        let mut clock = clock;
        std::thread::spawn(move || -> Result<(), String> {
            while !done.load(Ordering::SeqCst) {
                let now = clock.now_us();
                let mut playback = playback.lock().map_err(|_| "the playback thread's lock is poisoned".to_string())?;
                playback.on_tick(now).map_err(|e| e.to_string())?;
                drop(playback);
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(())
        })
    };

    let mut clock = clock;
    // A stop asked for while the streamer waits for room in the queue is passed to the
    // playback at once, which empties the queue (so the streamer can go on to its end).
    let stop = core::cell::RefCell::new(stop);
    let asked_to_stop = || stop.try_borrow_mut().map(|mut s| s()).unwrap_or(false);
    let mut wait = |_: &mut WallClock| {
        if asked_to_stop() {
            control.request_stop();
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let mut streamer: Streamer<'static, C, PHRASE_FRAMES> = Streamer::new(producer, control, composer, config);
    streamer.start(seed);
    let mut index = 0u32;
    let mut failure: Option<LiveError> = None;
    let mut stopped = false;
    while phrases.is_none_or(|p| index < p) && !player.is_finished() {
        stopped = asked_to_stop();
        if stopped {
            break;
        }
        let began = Instant::now();
        match streamer.step(&mut clock, &mut wait) {
            Ok(margin_us) => queued(PhraseQueued { index, took: began.elapsed(), margin_us }),
            Err(e) => {
                failure = Some(format!("composing phrase {index}: {e}").into());
                break;
            }
        }
        index += 1;
    }
    // Let what is queued play out unless stopped (or failed).
    while failure.is_none() && !stopped && !player.is_finished() && !playback.lock().map_err(|_| poisoned())?.is_idle() {
        std::thread::sleep(Duration::from_millis(1));
        stopped = asked_to_stop();
    }
    if !player.is_finished() {
        streamer.stop(&mut clock, |_| std::thread::sleep(Duration::from_millis(1)));
    }
    done.store(true, Ordering::SeqCst);
    player.join().map_err(|_| -> LiveError { "the playback thread panicked".into() })??;
    if let Some(e) = failure {
        return Err(e);
    }
    let bytes = playback.lock().map_err(|_| poisoned())?.sent();
    Ok(StreamReport { stats: streamer.stats(), bytes })
}
