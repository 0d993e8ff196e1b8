//! The endless chorale on a virtual clock: what the stream sends equals the event stream
//! of the whole chorale, and late phrases are counted as gaps.

use core::cell::RefCell;

use heapless::spsc::Queue;

use super::sim::{CapturePort, VirtualClock, VirtualTimer};
use super::*;
use crate::frame::Frame;
use crate::midi::{all_notes_off, EventStream, Performance, RunningStatus};
use crate::token::Token;

type Port = CapturePort<16384>;

/// Cadences whose phrases (after the first) begin by holding the previous chord for a
/// beat, and which take `compose_ms` of (virtual) time, ticking the playback meanwhile as
/// the timer interrupt would.
struct Slow<'a> {
    clock: &'a VirtualClock,
    playback: &'a RefCell<Playback<'a, Port>>,
    compose_ms: u32,
}

impl Composer for Slow<'_> {
    type Error = core::convert::Infallible;
    fn time(&self) -> crate::meter::TimeSignature {
        Cadences.time()
    }
    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error> {
        for _ in 0..self.compose_ms {
            self.clock.advance_ns(1_000_000);
            self.playback.borrow_mut().on_tick(self.clock.now_us()).unwrap();
        }
        let n = Cadences.compose(seed, context, out)?;
        if !context.is_empty() {
            for f in &mut out[..4] {
                f.tokens = [Token::Hold; 4];
            }
        }
        Ok(n)
    }
}

/// Streams `phrases` phrases, then stops; returns the bytes, the phrases and the stats.
fn stream(phrases: usize, compose_ms: u32) -> (heapless::Vec<u8, 16384>, heapless::Vec<Frame, 256>, StreamStats) {
    let clock = VirtualClock::new();
    let mut queue: Queue<Timed, 128> = Queue::new();
    let (producer, consumer) = queue.split();
    let control = StreamControl::new();
    let config = PlayerConfig::default();
    let playback = RefCell::new(Playback::new(consumer, Port::new(), &control, config.performance));
    let composer = Slow { clock: &clock, playback: &playback, compose_ms };
    let mut streamer: Streamer<'_, _, 32> = Streamer::new(producer, &control, composer, config);
    let mut timer = VirtualTimer { clock: &clock };
    let mut wait = |t: &mut VirtualTimer<'_>| {
        t.clock.advance_ns(1_000_000);
        playback.borrow_mut().on_tick(t.clock.now_us()).unwrap();
    };
    let mut all = heapless::Vec::new();
    streamer.start(42);
    for _ in 0..phrases {
        streamer.step(&mut timer, &mut wait).unwrap();
        all.extend_from_slice(streamer.last_phrase()).unwrap();
    }
    // Let everything queued play out (at most the queue's 127 messages, 4 s a phrase),
    // then stop.
    for _ in 0..20_000 {
        wait(&mut timer);
    }
    streamer.stop(&mut timer, &mut wait);
    let bytes = playback.borrow_mut().port().bytes.clone();
    (bytes, all, streamer.stats())
}

/// The bytes of the whole chorale's event stream without its final note-offs, then the
/// all-notes-off of a stop.
fn expected(frames: &[Frame]) -> heapless::Vec<u8, 16384> {
    let p = Performance::default();
    let mut port = Port::new();
    let mut status = RunningStatus::new();
    let stream = EventStream::new(frames, &p);
    let end = stream.end_tick();
    for e in stream.filter(|e| e.tick < end) {
        status.write(&e.message, &mut port).unwrap();
    }
    let mut fresh = RunningStatus::new();
    for m in all_notes_off(&p) {
        fresh.write(&m, &mut port).unwrap();
    }
    port.bytes
}

#[test]
fn stream_sends_the_whole_chorale_with_held_notes_across_phrases() {
    let (bytes, frames, stats) = stream(4, 100);
    assert_eq!(frames.len(), 64);
    assert_eq!(frames[16].tokens, [Token::Hold; 4], "the test composer holds over");
    assert_eq!(bytes, expected(&frames));
    assert_eq!(stats.phrases, 4);
    assert_eq!(stats.gaps, 0);
    // A phrase lasts 3.75 s; composing took 0.1 s of it.
    assert!(stats.min_margin_us > 3_000_000 && stats.min_margin_us < 3_750_000, "{stats:?}");
}

#[test]
fn late_phrases_are_gaps() {
    // Composing takes 5 s, longer than a phrase plays.
    let (bytes, frames, stats) = stream(3, 5_000);
    assert_eq!(stats.gaps, 2);
    assert!(stats.min_margin_us < -1_000_000, "{stats:?}");
    // The notes are the same; only the timing suffered.
    assert_eq!(bytes, expected(&frames));
}

#[test]
fn stop_silences_a_playing_stream() {
    let clock = VirtualClock::new();
    let mut queue: Queue<Timed, 128> = Queue::new();
    let (producer, consumer) = queue.split();
    let control = StreamControl::new();
    let config = PlayerConfig::default();
    let mut playback = Playback::new(consumer, Port::new(), &control, config.performance);
    let mut streamer: Streamer<'_, _, 32> = Streamer::new(producer, &control, Cadences, config);
    let mut timer = VirtualTimer { clock: &clock };
    streamer.start(1);
    streamer.step(&mut timer, |_| unreachable!("the queue has room")).unwrap();
    // Play half a second, then stop.
    for _ in 0..500 {
        clock.advance_ns(1_000_000);
        playback.on_tick(clock.now_us()).unwrap();
    }
    control.request_stop();
    playback.on_tick(clock.now_us()).unwrap();
    assert!(!control.stopping());
    let bytes = &playback.port().bytes;
    assert_eq!(&bytes[bytes.len() - 12..], &[0xB0, 123, 0, 0xB1, 123, 0, 0xB2, 123, 0, 0xB3, 123, 0]);
    // Nothing more is sent: the queue was emptied.
    let before = bytes.len();
    clock.advance_ns(1_000_000_000);
    playback.on_tick(clock.now_us()).unwrap();
    assert_eq!(playback.port().bytes.len(), before);
}
