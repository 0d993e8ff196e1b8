//! A piece streamed phrase by phrase on a simulated clock, from a stage that plays while
//! the player composes (as a timer interrupt does): the first phrase sounds as soon as
//! it is composed, a late phrase makes the music wait on the fermata before it and
//! nowhere else, the notes are the whole piece's in its order, the last phrase ends the
//! piece, and a press stops it with all notes off.

extern crate std;

use core::cell::RefCell;
use std::vec::Vec;

use super::sim::{RecordingLed, ScriptedButton, VirtualClock, VirtualTimer};
use super::*;
use crate::chorale::sounding;
use crate::frame::Frame;
use crate::midi::{EventStream, Message, Performance, RunningStatus};
use crate::voice::Voice;

/// A MIDI port that keeps every byte with the virtual time it went out.
struct Recorder<'a> {
    clock: &'a VirtualClock,
    bytes: Vec<(u64, u8)>,
}

impl embedded_io::ErrorType for Recorder<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io::Write for Recorder<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.bytes.extend(buf.iter().map(|&b| (self.clock.now_us(), b)));
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

type Sender<'a> = RefCell<Inline<Recorder<'a>, 512>>;

/// The sending side as a board's timer interrupt runs it: the composer ticks it too.
struct Interrupt<'a>(&'a Sender<'a>);

impl Stage for Interrupt<'_> {
    type Error = core::convert::Infallible;
    fn plays_while_composing(&self) -> bool {
        true
    }
    fn queue(&mut self, item: Timed) -> Result<(), Timed> {
        self.0.borrow_mut().queue(item)
    }
    fn tick(&mut self, now_us: u64) -> Result<(), Self::Error> {
        self.0.borrow_mut().tick(now_us)
    }
    fn is_idle(&self) -> bool {
        self.0.borrow().is_idle()
    }
    fn stop(&mut self, performance: &Performance) -> Result<(), Self::Error> {
        self.0.borrow_mut().stop(performance)
    }
    fn sent(&self) -> u32 {
        self.0.borrow().sent()
    }
}

/// Cadences that take `compose_ms` of virtual time a phrase, the interrupt sending what
/// falls due meanwhile; remembers what it was told about the piece's end.
struct Paced<'a> {
    clock: &'a VirtualClock,
    sender: &'a Sender<'a>,
    compose_ms: u32,
    ends: Vec<bool>,
}

impl Composer for Paced<'_> {
    type Error = core::convert::Infallible;
    fn time(&self) -> crate::meter::TimeSignature {
        Cadences.time()
    }
    fn ends_piece(&mut self, last: bool) {
        self.ends.push(last);
    }
    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error> {
        for _ in 0..self.compose_ms {
            self.clock.advance_ns(1_000_000);
            self.sender.borrow_mut().tick(self.clock.now_us())?;
        }
        Cadences.compose(seed, context, out)
    }
}

type PiecePlayer<'a> = Player<ScriptedButton<'a>, RecordingLed, Interrupt<'a>, VirtualTimer<'a>, Paced<'a>, FixedSeed, 128>;

fn player<'a>(clock: &'a VirtualClock, sender: &'a Sender<'a>, held: &'a [(u64, u64)], compose_ms: u32) -> PiecePlayer<'a> {
    let composer = Paced {
        clock,
        sender,
        compose_ms,
        ends: Vec::new(),
    };
    let config = PlayerConfig {
        phrases: 3,
        ..PlayerConfig::default()
    };
    Player::on_stage(
        ScriptedButton { clock, held },
        RecordingLed::default(),
        Interrupt(sender),
        VirtualTimer { clock },
        composer,
        FixedSeed(5),
        config,
    )
}

/// What a session left: the player, what happened, the piece and the recorded bytes.
struct Session<'a> {
    player: PiecePlayer<'a>,
    seen: Vec<Happening>,
    piece: Vec<Frame>,
    recorded: Vec<(u64, u8)>,
    clock: &'a VirtualClock,
    sender: &'a Sender<'a>,
}

/// The button held as `held` says, the player stepped until it is idle again after a
/// piece; then `check` looks at what happened.
fn session(held: &[(u64, u64)], compose_ms: u32, check: impl FnOnce(Session<'_>)) {
    let clock = VirtualClock::new();
    let sender = RefCell::new(Inline::new(Recorder {
        clock: &clock,
        bytes: Vec::new(),
    }));
    let mut player = player(&clock, &sender, held, compose_ms);
    let seen = run(&mut player);
    let piece = player.piece().to_vec();
    let recorded = core::mem::take(&mut sender.borrow_mut().port().bytes);
    check(Session {
        player,
        seen,
        piece,
        recorded,
        clock: &clock,
        sender: &sender,
    });
}

/// Steps the player until it is idle again after a piece.
fn run(p: &mut PiecePlayer<'_>) -> Vec<Happening> {
    let mut seen = Vec::new();
    while seen.is_empty() || p.state() != State::Idle {
        if let Some(h) = p.step().unwrap() {
            seen.push(h);
        }
    }
    seen
}

/// One message of the piece as it went out: when, and its tick in the piece.
#[derive(Debug)]
struct Sent {
    at_us: u64,
    tick: u32,
    message: Message,
}

/// Matches the recorded bytes message by message against the whole piece's event
/// stream (running status included): the same messages in the same order, each written
/// at one moment. Returns them with their times, and the bytes left after the piece.
fn sent_as_the_piece<'a>(recorded: &'a [(u64, u8)], piece: &[Frame]) -> (Vec<Sent>, &'a [(u64, u8)]) {
    let mut status = RunningStatus::new();
    let mut at = 0;
    let mut sent = Vec::new();
    for e in EventStream::new(piece, &Performance::default()) {
        let mut buf = [0u8; 3];
        let n = status.encode(&e.message, &mut buf).unwrap();
        let got = &recorded[at..at + n];
        assert_eq!(
            got.iter().map(|b| b.1).collect::<Vec<_>>(),
            buf[..n],
            "message {} of the piece ({e:?})",
            sent.len()
        );
        assert!(got.iter().all(|b| b.0 == got[0].0), "a message split in time");
        sent.push(Sent {
            at_us: got[0].0,
            tick: e.tick,
            message: e.message,
        });
        at += n;
    }
    (sent, &recorded[at..])
}

/// How far each message went out after its place in an unbroken performance that starts
/// with the first one (µs).
fn shifts(sent: &[Sent]) -> Vec<i64> {
    let p = Performance::default();
    sent.iter()
        .map(|s| (s.at_us - sent[0].at_us) as i64 - p.tick_to_micros(s.tick) as i64)
        .collect()
}

/// The ticks at which phrases 1, 2, … begin.
fn boundaries(piece: &[Frame], phrase_frames: usize) -> Vec<(usize, u32)> {
    let p = Performance::default();
    (phrase_frames..piece.len())
        .step_by(phrase_frames)
        .map(|f| (f, crate::midi::frame_tick(piece, f, &p, crate::midi::FermataTiming::StretchTicks)))
        .collect()
}

/// The notes sounding (channel, key) after the first `n` messages.
fn sounding_after(sent: &[Sent], n: usize) -> Vec<(u8, u8)> {
    let mut on = Vec::new();
    for s in &sent[..n] {
        match s.message {
            Message::NoteOn { channel, key, velocity } if velocity > 0 => on.push((channel, key)),
            Message::NoteOn { channel, key, .. } => on.retain(|&n| n != (channel, key)),
            _ => {}
        }
    }
    on.sort();
    on
}

/// A press at 10 ms.
const PRESS: [(u64, u64); 1] = [(10_000, 60_000)];

/// Slack for the 1 ms ticks of the interrupt and the player's polls.
const TICK_SLACK_US: i64 = 2_000;

#[test]
fn a_slow_composer_makes_the_music_wait_on_fermatas_only() {
    // A phrase (one bar, its last two beats a fermata held twice as long) plays 3.75 s;
    // composing one takes 5 s.
    session(&PRESS, 5_000, |Session { seen, piece, recorded, .. }| {
        assert_eq!(piece.len(), 48);
        let (sent, rest) = sent_as_the_piece(&recorded, &piece);
        assert!(rest.is_empty(), "nothing after the piece's last note-off");

        // The first note sounds once the first phrase is composed, not after the piece.
        let pressed_at = 15_000;
        assert!(
            (sent[0].at_us as i64 - pressed_at - 5_000_000).abs() <= TICK_SLACK_US,
            "first message at {} µs",
            sent[0].at_us
        );
        // Phrases 1 and 2 came 1.25 s late each.
        let waited: Vec<u64> = seen
            .iter()
            .filter_map(|h| {
                if let Happening::Composed { waited_us, .. } = h {
                    Some(*waited_us)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(waited.len(), 3);
        assert_eq!(waited[0], 0);
        assert!(
            waited[1..].iter().all(|&w| (w as i64 - 1_250_000).abs() <= TICK_SLACK_US),
            "{waited:?}"
        );

        // The music waited exactly twice, each time at a phrase boundary, holding the whole
        // chord of the fermata that ends the phrase before; elsewhere it kept time.
        let shift = shifts(&sent);
        let bounds = boundaries(&piece, 16);
        let mut waits = 0;
        for i in 1..sent.len() {
            let step = shift[i] - shift[i - 1];
            assert!(step >= -TICK_SLACK_US, "message {i} went out early");
            if step <= TICK_SLACK_US {
                continue;
            }
            waits += 1;
            let &(frame, _) = bounds
                .iter()
                .find(|b| b.1 == sent[i].tick)
                .unwrap_or_else(|| panic!("a wait inside a phrase, at tick {}", sent[i].tick));
            assert!(sent[i - 1].tick < sent[i].tick, "a wait between two messages of one moment");
            let before = &piece[..frame];
            assert!(before[frame - 1].meta.fermata, "the wait is not on a fermata");
            let mut chord: Vec<(u8, u8)> = Voice::ALL
                .iter()
                .filter_map(|&v| sounding(before, v, frame - 1).map(|k| (Performance::default().channels[v.index()], k)))
                .collect();
            chord.sort();
            assert_eq!(chord.len(), 4);
            assert_eq!(
                sounding_after(&sent, i),
                chord,
                "the fermata's chord does not hold through the wait"
            );
        }
        assert_eq!(waits, 2);
        let Some(Happening::Finished { bytes }) = seen.last() else {
            panic!("{seen:?}")
        };
        assert_eq!(*bytes as usize, recorded.len());
    });
}

#[test]
fn a_fast_composer_plays_without_gaps() {
    // 100 ms a phrase: each is composed while the one before plays.
    session(&PRESS, 100, |Session { seen, piece, recorded, .. }| {
        let (sent, rest) = sent_as_the_piece(&recorded, &piece);
        assert!(rest.is_empty());
        assert!(
            sent[0].at_us <= 15_000 + 100_000 + TICK_SLACK_US as u64,
            "first message at {} µs",
            sent[0].at_us
        );
        assert!(
            shifts(&sent).iter().all(|s| s.abs() <= TICK_SLACK_US),
            "the music did not keep time"
        );
        assert!(
            seen.iter()
                .all(|h| !matches!(h, Happening::Composed { waited_us, .. } if *waited_us > 0)),
            "{seen:?}"
        );
        // All three phrases were composed within the first phrase's time.
        let composed = seen.iter().filter(|h| matches!(h, Happening::Composed { .. })).count();
        assert_eq!(composed, 3);
    });
}

#[test]
fn the_last_phrase_ends_the_piece() {
    session(
        &PRESS,
        100,
        |Session {
             player: mut p,
             seen,
             piece,
             recorded,
             ..
         }| {
            // Only the third phrase was asked to close the piece.
            assert_eq!(p.composer().ends, [false, false, true]);
            let (sent, _) = sent_as_the_piece(&recorded, &piece);
            // The piece ends with the final chord's note-offs, at its end, and no stop.
            let end = EventStream::new(&piece, &Performance::default()).end_tick();
            assert_eq!(sent.iter().filter(|s| s.tick == end).count(), 4);
            assert!(sent
                .iter()
                .all(|s| !matches!(s.message, Message::ControlChange { controller: 123, .. })));
            assert!(sounding_after(&sent, sent.len()).is_empty());
            assert!(matches!(seen.last(), Some(Happening::Finished { .. })), "{seen:?}");
            assert_eq!(p.state(), State::Idle);
            assert!(!p.led().on);
            // The next piece starts over: its first phrase opens a piece.
            p.start(6);
            run(&mut p);
            assert_eq!(p.composer().ends, [false, false, true, false, false, true]);
        },
    );
}

#[test]
fn a_press_while_playing_stops_at_once_with_all_notes_off() {
    // Pressed at 10 ms, and again at 5 s, in the second phrase (the third is composed by
    // then and the player waits for the piece to play out).
    session(
        &[(10_000, 60_000), (5_000_000, 5_050_000)],
        100,
        |Session {
             player: p,
             seen,
             recorded,
             clock,
             sender,
             ..
         }| {
            let Some(Happening::Stopped { bytes }) = seen.last() else {
                panic!("{seen:?}")
            };
            assert!(clock.now_us() < 5_000_000 + 10_000, "stopped at {} µs", clock.now_us());
            assert_eq!(*bytes as usize, recorded.len());
            let tail: Vec<u8> = recorded[recorded.len() - 12..].iter().map(|b| b.1).collect();
            assert_eq!(tail, [0xB0, 123, 0, 0xB1, 123, 0, 0xB2, 123, 0, 0xB3, 123, 0]);
            assert!(!p.led().on);
            // Nothing more goes out: the queue was emptied.
            clock.advance_ns(1_000_000_000);
            sender.borrow_mut().tick(clock.now_us()).unwrap();
            clock.advance_ns(1_000_000_000);
            sender.borrow_mut().tick(clock.now_us()).unwrap();
            assert!(sender.borrow_mut().port().bytes.is_empty());
        },
    );
}
