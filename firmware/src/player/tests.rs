//! The player on stand-in hardware: presses, composing, playing, stopping.

use super::sim::{CapturePort, RecordingLed, ScriptedButton, VirtualClock, VirtualTimer};
use super::*;
use crate::midi::Performance;
use midly::live::LiveEvent;
use midly::MidiMessage;

type TestPlayer<'a> = Player<ScriptedButton<'a>, RecordingLed, Inline<CapturePort<4096>>, VirtualTimer<'a>, Cadences, FixedSeed, 128>;

fn player<'a>(clock: &'a VirtualClock, held: &'a [(u64, u64)], phrases: u32) -> TestPlayer<'a> {
    player_with(clock, held, PlayerConfig { phrases, ..PlayerConfig::default() })
}

fn player_with<'a>(clock: &'a VirtualClock, held: &'a [(u64, u64)], config: PlayerConfig) -> TestPlayer<'a> {
    Player::new(
        ScriptedButton { clock, held },
        RecordingLed::default(),
        CapturePort::new(),
        VirtualTimer { clock },
        Cadences,
        FixedSeed(7),
        config,
    )
}

/// Steps until the player is idle again after a piece, collecting what happened.
fn run<'a>(p: &mut TestPlayer<'a>, limit: usize) -> heapless::Vec<Happening, 8> {
    let mut seen = heapless::Vec::new();
    for _ in 0..limit {
        if let Some(h) = p.step().unwrap() {
            seen.push(h).unwrap();
            if matches!(h, Happening::Finished { .. } | Happening::Stopped { .. }) {
                break;
            }
        }
    }
    seen
}

/// Parses the wire (running status included); returns per-channel sounding notes left
/// over and how many note-ons (velocity > 0) and all-notes-off there were.
fn parse(bytes: &[u8]) -> ([u8; 16], usize, usize) {
    let mut sounding = [0u8; 16];
    let (mut ons, mut panics) = (0, 0);
    let mut stream = midly::stream::MidiStream::new();
    stream.feed(bytes, |ev| {
        if let LiveEvent::Midi { channel, message } = ev {
            let c = channel.as_int() as usize;
            match message {
                MidiMessage::NoteOn { vel, .. } if vel > 0 => {
                    ons += 1;
                    sounding[c] += 1;
                }
                MidiMessage::NoteOn { .. } | MidiMessage::NoteOff { .. } => sounding[c] -= 1,
                MidiMessage::Controller { controller, .. } if controller == 123 => {
                    panics += 1;
                    sounding[c] = 0;
                }
                _ => {}
            }
        }
    });
    (sounding, ons, panics)
}

#[test]
fn press_composes_and_plays_a_whole_piece() {
    let clock = VirtualClock::new();
    let held = [(10_000, 60_000)];
    let mut p = player(&clock, &held, 2);
    let seen = run(&mut p, 100_000);
    assert!(matches!(seen[0], Happening::Pressed { seed: 7 }));
    assert_eq!(seen[1], Happening::Composed { phrase: 0, frames: 16, waited_us: 0 });
    assert_eq!(seen[2], Happening::Composed { phrase: 1, frames: 16, waited_us: 0 });
    let Happening::Finished { bytes } = seen[3] else { panic!("{seen:?}") };
    assert_eq!(p.state(), State::Idle);
    let port = &p.port().bytes;
    assert_eq!(bytes as usize, port.len());
    let (sounding, ons, panics) = parse(port);
    assert_eq!(sounding, [0; 16], "every note-on has its note-off");
    assert_eq!((ons, panics), (2 * 4 * 4, 0));
    // Chords move all four voices (channels 0-3) at once, so every message has a status.
    assert_eq!(port.iter().filter(|&&b| b >= 0x80).count(), 4 + 2 * 4 * 8);
    // Two bars at 80 bpm, the last quarter of each a fermata at double length: 2 × 5 beats.
    let beat = Performance::default().micros_per_quarter() as u64;
    let took = clock.now_us() - 10_000;
    assert!(took >= 10 * beat && took < 10 * beat + 60_000, "{took} µs");
}

#[test]
fn second_press_stops_with_all_notes_off() {
    let clock = VirtualClock::new();
    // Pressed at 10 ms, and again 1.5 s later (mid-piece).
    let held = [(10_000, 60_000), (1_500_000, 1_560_000)];
    let mut p = player(&clock, &held, 4);
    let seen = run(&mut p, 100_000);
    let Happening::Stopped { .. } = seen.last().unwrap() else { panic!("{seen:?}") };
    assert!(clock.now_us() < 1_600_000);
    let port = &p.port().bytes;
    let (_, ons, panics) = parse(port);
    assert!(ons > 0 && ons < 4 * 16);
    assert_eq!(panics, 4, "one all-notes-off per voice channel");
    assert_eq!(&port[port.len() - 3..], &[0xB3, 123, 0]);
    // The LED lit for the piece and is off again.
    assert!(!p.led().on);
    assert_eq!(p.led().switched_on, 1);
}

#[test]
fn a_piece_replays_from_its_seed() {
    let clock_a = VirtualClock::new();
    let clock_b = VirtualClock::new();
    let mut a = player(&clock_a, &[], 3);
    let mut b = player(&clock_b, &[], 3);
    a.start(99);
    b.start(99);
    run(&mut a, 100_000);
    run(&mut b, 100_000);
    assert_eq!(a.port().bytes, b.port().bytes);
    assert_eq!(a.piece(), b.piece());
    let differs = (100..110).any(|seed| {
        let clock = VirtualClock::new();
        let mut c = player(&clock, &[], 3);
        c.start(seed);
        run(&mut c, 100_000);
        c.piece() != a.piece()
    });
    assert!(differs, "the seed makes no difference");
}

#[test]
fn one_channel_runs_on_one_status() {
    let clock = VirtualClock::new();
    let performance = Performance { channels: [5; 4], ..Performance::default() };
    let mut p = player_with(&clock, &[], PlayerConfig { phrases: 2, performance, ..PlayerConfig::default() });
    p.start(1);
    let seen = run(&mut p, 100_000);
    assert!(matches!(seen.last(), Some(Happening::Finished { .. })));
    let port = &p.port().bytes;
    // One program change status, then one note-on status for the whole piece.
    assert_eq!(port.iter().filter(|&&b| b >= 0x80).collect::<heapless::Vec<_, 8>>().as_slice(), &[&0xC5, &0x95]);
    assert_eq!(parse(port).0, [0; 16]);
}

#[test]
fn idle_waits_without_sending() {
    let clock = VirtualClock::new();
    let mut p = player(&clock, &[], 1);
    for _ in 0..50 {
        assert_eq!(p.step().unwrap(), None);
    }
    assert_eq!(clock.now_us(), 50 * 1_000);
    assert!(p.port().bytes.is_empty());
}
