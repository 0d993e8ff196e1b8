//! `--stream`: the endless chorale. A playback thread sends the queued messages when due
//! (every millisecond), the main thread composes the next phrase meanwhile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::anyhow;
use embedded_hal::digital::InputPin;
use kantor_core::player::{Composer, Debounced, EventQueue, Monotonic, Playback, PlayerConfig, StreamControl, Streamer};

use crate::hw::{SerialMidi, StdTimer};

/// Messages queued ahead (a few phrases).
const QUEUE: usize = 4096;
/// Longest phrase, in frames.
const PHRASE_FRAMES: usize = 256;

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
    let queue: &'static mut EventQueue<QUEUE> = Box::leak(Box::new(EventQueue::new()));
    let control: &'static StreamControl = Box::leak(Box::new(StreamControl::new()));
    let (producer, consumer) = queue.split();
    let playback = Arc::new(Mutex::new(Playback::new(consumer, port, control, config.performance)));
    let clock = StdTimer::new();
    let done = Arc::new(AtomicBool::new(false));
    let player = {
        let (playback, done) = (playback.clone(), done.clone());
        let mut clock = clock.clone();
        std::thread::spawn(move || -> anyhow::Result<()> {
            while !done.load(Ordering::SeqCst) {
                let now = clock.now_us();
                playback.lock().map_err(|_| anyhow!("the playback thread's lock is poisoned"))?.on_tick(now).map_err(|e| anyhow!("{e}"))?;
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(())
        })
    };

    let mut button = Debounced::new(button, config.active, config.debounce_samples);
    let mut clock = clock;
    let mut pressed = false;
    let mut wait = |_: &mut StdTimer| std::thread::sleep(Duration::from_millis(1));
    let mut streamer: Streamer<'static, C, PHRASE_FRAMES> = Streamer::new(producer, control, composer, config);
    streamer.start(seed);
    eprintln!("streaming from seed {seed}");
    let mut n = 0u32;
    while phrases.is_none_or(|p| n < p) && !quit.load(Ordering::SeqCst) && !pressed {
        let began = clock.now_us();
        let margin = streamer.step(&mut clock, &mut wait).map_err(|e| anyhow!("composing phrase {n}: {e}"))?;
        let ms = (clock.now_us() - began) as f64 / 1e3;
        eprintln!("phrase {n}: composed and queued in {ms:.0} ms, ready {:.0} ms before it is due", margin as f64 / 1e3);
        n += 1;
        pressed = button.poll();
    }
    // Let what is queued play out unless stopped by a press or a signal.
    while !quit.load(Ordering::SeqCst) && !pressed && !playback.lock().map_err(|_| anyhow!("lock poisoned"))?.is_idle() {
        std::thread::sleep(Duration::from_millis(1));
        pressed = button.poll();
    }
    streamer.stop(&mut clock, &mut wait);
    done.store(true, Ordering::SeqCst);
    player.join().map_err(|_| anyhow!("the playback thread panicked"))??;
    let s = streamer.stats();
    let sent = playback.lock().map_err(|_| anyhow!("lock poisoned"))?.sent();
    eprintln!(
        "stream done: {} phrases, {} gaps, smallest margin {} ms, {sent} MIDI bytes",
        s.phrases,
        s.gaps,
        if s.phrases > 1 { s.min_margin_us / 1000 } else { 0 }
    );
    Ok(())
}
