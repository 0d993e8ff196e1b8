//! The player live on an operating system (feature `std`): a wall clock, the endless
//! chorale with its [`Playback`] on a thread of its own, ticked every millisecond, as a
//! timer interrupt ticks it on a microcontroller ([`stream`]), and the same thread as the
//! [`Stage`] of a player's pieces ([`Threaded`]). The Raspberry Pi program and the host's
//! `kantor play` both play through them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use heapless::spsc::{Consumer, Producer};

use super::clock::Monotonic;
use super::compose::Composer;
use super::endless::{EventQueue, Playback, StreamControl, StreamStats, Streamer, Timed};
use super::machine::PlayerConfig;
use super::stage::Stage;
use crate::midi::Performance;

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
    let (producer, consumer, control) = queue();
    let clock = WallClock::new();
    let mut player = PlaybackThread::spawn(consumer, port, control, config.performance, clock);
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
    while failure.is_none() && !stopped && !player.is_finished() && !player.is_idle()? {
        std::thread::sleep(Duration::from_millis(1));
        stopped = asked_to_stop();
    }
    if !player.is_finished() {
        streamer.stop(&mut clock, |_| std::thread::sleep(Duration::from_millis(1)));
    }
    let bytes = player.sent()?;
    player.finish()?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(StreamReport { stats: streamer.stats(), bytes })
}

/// A queue of [`QUEUE`] messages and its stop control, for the rest of the program.
fn queue() -> (Producer<'static, Timed>, Consumer<'static, Timed>, &'static StreamControl) {
    let queue: &'static mut EventQueue<QUEUE> = Box::leak(Box::new(EventQueue::new()));
    let control: &'static StreamControl = Box::leak(Box::new(StreamControl::new()));
    let (producer, consumer) = queue.split();
    (producer, consumer, control)
}

/// A [`Playback`] on a thread of its own, ticked every millisecond on a wall clock.
struct PlaybackThread<W> {
    playback: Arc<Mutex<Playback<'static, W>>>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

const POISONED: &str = "the playback thread's lock is poisoned";

impl<W> PlaybackThread<W>
where
    W: embedded_io::Write + Send + 'static,
    W::Error: std::fmt::Display,
{
    fn spawn(queue: Consumer<'static, Timed>, port: W, control: &'static StreamControl, performance: Performance, mut clock: WallClock) -> Self {
        let playback = Arc::new(Mutex::new(Playback::new(queue, port, control, performance)));
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let (playback, done) = (playback.clone(), done.clone());
            std::thread::spawn(move || -> Result<(), String> {
                while !done.load(Ordering::SeqCst) {
                    let now = clock.now_us();
                    playback.lock().map_err(|_| POISONED.to_string())?.on_tick(now).map_err(|e| e.to_string())?;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok(())
            })
        };
        PlaybackThread { playback, done, thread: Some(thread) }
    }

    /// True once the thread has ended (a port error, or [`PlaybackThread::finish`]).
    fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn is_idle(&self) -> Result<bool, LiveError> {
        Ok(self.playback.lock().map_err(|_| POISONED)?.is_idle())
    }

    fn sent(&self) -> Result<u32, LiveError> {
        Ok(self.playback.lock().map_err(|_| POISONED)?.sent())
    }

    /// Ends the thread; its error, if it failed.
    fn finish(&mut self) -> Result<(), String> {
        self.done.store(true, Ordering::SeqCst);
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| "the playback thread panicked".to_string())?,
            None => Ok(()),
        }
    }
}

impl<W> Drop for PlaybackThread<W> {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The [`Stage`] of a player on an operating system: its pieces play from a thread ticked
/// every millisecond, so each phrase plays while the player composes the next (the Pi's
/// pieces and those of `kantor play`). The clock must be the player's.
pub struct Threaded<W> {
    queue: Producer<'static, Timed>,
    control: &'static StreamControl,
    thread: PlaybackThread<W>,
}

impl<W> Threaded<W>
where
    W: embedded_io::Write + Send + 'static,
    W::Error: std::fmt::Display,
{
    /// Starts the thread sending to `port` on `clock`; the queue stays for the program.
    pub fn new(port: W, clock: WallClock, performance: Performance) -> Self {
        let (queue, consumer, control) = queue();
        Threaded { queue, control, thread: PlaybackThread::spawn(consumer, port, control, performance, clock) }
    }

    /// The thread's failure, once it has ended.
    fn failed(&mut self) -> Result<(), String> {
        if self.thread.is_finished() {
            self.thread.finish()?;
            return Err("the playback thread ended".into());
        }
        Ok(())
    }
}

impl<W> Stage for Threaded<W>
where
    W: embedded_io::Write + Send + 'static,
    W::Error: std::fmt::Display,
{
    type Error = String;

    fn plays_while_composing(&self) -> bool {
        true
    }

    fn queue(&mut self, item: Timed) -> Result<(), Timed> {
        self.queue.enqueue(item)
    }

    fn tick(&mut self, _now_us: u64) -> Result<(), String> {
        self.failed()
    }

    fn is_idle(&self) -> bool {
        self.thread.is_finished() || self.thread.is_idle().unwrap_or(true)
    }

    fn stop(&mut self, _performance: &Performance) -> Result<(), String> {
        self.control.request_stop();
        while self.control.stopping() {
            self.failed()?;
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }

    fn sent(&self) -> u32 {
        self.thread.sent().unwrap_or(0)
    }
}
