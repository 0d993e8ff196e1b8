//! Bad hardware input on the simulated clock: a button held down, chattering at 1 kHz, or
//! pressed while composing and while playing. The player must never get stuck (it is idle
//! again after every piece and starts a new one on a clean press) and must never leave a
//! note sounding.

use super::sim::{RecordingLed, VirtualClock, VirtualTimer};
use super::*;
use crate::frame::Frame;
use crate::meter::TimeSignature;
use core::convert::Infallible;
use midly::live::LiveEvent;
use midly::MidiMessage;

/// An active-low button driven by a function of the virtual time.
struct Button<'a> {
    clock: &'a VirtualClock,
    down: fn(u64) -> bool,
}

impl embedded_hal::digital::ErrorType for Button<'_> {
    type Error = Infallible;
}

impl embedded_hal::digital::InputPin for Button<'_> {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(!(self.down)(self.clock.now_us()))
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        self.is_high().map(|h| !h)
    }
}

/// A MIDI port that decodes what it is sent (running status included) and keeps count of
/// the notes sounding on each channel, however long the session.
#[derive(Default)]
struct Listener {
    stream: midly::stream::MidiStream,
    sounding: [i32; 16],
    ons: usize,
    all_off: usize,
}

impl embedded_io::ErrorType for Listener {
    type Error = Infallible;
}

impl embedded_io::Write for Listener {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        let Listener { stream, sounding, ons, all_off } = self;
        stream.feed(buf, |ev| {
            if let LiveEvent::Midi { channel, message } = ev {
                let c = channel.as_int() as usize;
                match message {
                    MidiMessage::NoteOn { vel, .. } if vel > 0 => {
                        *ons += 1;
                        sounding[c] += 1;
                    }
                    MidiMessage::NoteOn { .. } | MidiMessage::NoteOff { .. } => sounding[c] -= 1,
                    MidiMessage::Controller { controller, .. } if controller == 123 => {
                        *all_off += 1;
                        sounding[c] = 0;
                    }
                    _ => {}
                }
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Cadences that take `us_per_phrase` of virtual time to compose, as a real model does.
struct Slow<'a> {
    clock: &'a VirtualClock,
    us_per_phrase: u32,
}

impl Composer for Slow<'_> {
    type Error = Infallible;
    fn time(&self) -> TimeSignature {
        Cadences.time()
    }
    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Infallible> {
        self.clock.advance_ns(self.us_per_phrase * 1_000);
        Cadences.compose(seed, context, out)
    }
}

type BadInputPlayer<'a> = Player<Button<'a>, RecordingLed, Inline<Listener>, VirtualTimer<'a>, Slow<'a>, FixedSeed, 128>;

fn player<'a>(clock: &'a VirtualClock, down: fn(u64) -> bool, us_per_phrase: u32) -> BadInputPlayer<'a> {
    let config = PlayerConfig { phrases: 4, ..PlayerConfig::default() };
    Player::new(Button { clock, down }, RecordingLed::default(), Listener::default(), VirtualTimer { clock }, Slow { clock, us_per_phrase }, FixedSeed(3), config)
}

/// What a session did.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    pressed: usize,
    finished: usize,
    stopped: usize,
}

/// Steps the player until virtual time `until_us`; after every piece (and at the end) no
/// note may be sounding and the LED must be off.
fn run_until(p: &mut BadInputPlayer<'_>, clock: &VirtualClock, until_us: u64) -> Tally {
    let mut tally = Tally::default();
    while clock.now_us() < until_us {
        let before = clock.now_us();
        match p.step().unwrap() {
            Some(Happening::Pressed { .. }) => tally.pressed += 1,
            Some(Happening::Finished { .. }) => tally.finished += 1,
            Some(Happening::Stopped { .. }) => tally.stopped += 1,
            Some(Happening::Composed { .. }) => assert!(p.led().on, "the LED is off while a piece plays"),
            None => assert!(clock.now_us() > before, "an idle step did not wait"),
        }
        if p.state() == State::Idle {
            assert_eq!(p.port().sounding, [0; 16], "a note is left sounding at {} µs", clock.now_us());
            assert!(!p.led().on, "the LED stayed on");
        }
    }
    tally
}

/// One piece of four phrases at the default tempo lasts 20 beats of 0.75 s.
const PIECE_US: u64 = 15_000_000;

#[test]
fn a_button_held_down_plays_one_piece_and_then_waits() {
    let clock = VirtualClock::new();
    // Down from 10 ms to 40 s: longer than a piece.
    let mut p = player(&clock, |t| (10_000..40_000_000).contains(&t), 0);
    let held = run_until(&mut p, &clock, 45_000_000);
    assert_eq!(held, Tally { pressed: 1, finished: 1, stopped: 0 }, "a held button is one press");
    assert_eq!(p.state(), State::Idle);
    assert!(p.port().ons > 0);
}

#[test]
fn a_press_after_a_long_hold_starts_the_next_piece() {
    let clock = VirtualClock::new();
    // Held for 40 s, released, pressed again briefly at 50 s.
    let mut p = player(&clock, |t| (10_000..40_000_000).contains(&t) || (50_000_000..50_100_000).contains(&t), 0);
    let tally = run_until(&mut p, &clock, 50_000_000 + PIECE_US + 1_000_000);
    assert_eq!(tally, Tally { pressed: 2, finished: 2, stopped: 0 });
}

/// Down for 500 µs in every millisecond, at a phase that wanders from one millisecond to
/// the next (contacts chattering at 1 kHz, not locked to the poll clock), from 1 s to 31 s.
fn chatter(t: u64) -> bool {
    let inside = |cycle: u64| {
        let mut z = cycle.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let start = cycle * 1_000 + (z >> 40) % 1_000;
        (start..start + 500).contains(&t)
    };
    let cycle = t / 1_000;
    (1_000_000..31_000_000).contains(&t) && (inside(cycle) || (cycle > 0 && inside(cycle - 1)))
}

#[test]
fn chattering_contacts_leave_no_stuck_state_and_no_note() {
    let clock = VirtualClock::new();
    let mut p = player(&clock, chatter, 0);
    let tally = run_until(&mut p, &clock, 31_000_000);
    // After the chatter stops every piece it started is over within one piece.
    let after = run_until(&mut p, &clock, 31_000_000 + PIECE_US + 1_000_000);
    extern crate std;
    std::eprintln!("30 s of chatter: {tally:?}, then {after:?}; {} note-ons", p.port().ons);
    assert_eq!(p.state(), State::Idle, "{tally:?} then {after:?}");
    assert_eq!(after.pressed, 0, "a press was seen with the button released");
    assert_eq!(tally.pressed, tally.finished + tally.stopped + after.finished + after.stopped, "{tally:?} then {after:?}");
    // The player still works: a clean press plays a piece.
    let mut q = player(&clock, |t| (60_000_000..60_050_000).contains(&t), 0);
    let clean = run_until(&mut q, &clock, 60_000_000 + PIECE_US + 1_000_000);
    assert_eq!(clean, Tally { pressed: 1, finished: 1, stopped: 0 });
}

#[test]
fn chatter_shorter_than_the_debounce_is_never_a_press() {
    // Down for 2 ms in every 5 ms (bounces of up to four polls): never five equal polls.
    let clock = VirtualClock::new();
    let mut p = player(&clock, |t| (1_000_000..20_000_000).contains(&t) && t % 5_000 < 2_000, 0);
    let tally = run_until(&mut p, &clock, 21_000_000);
    assert_eq!(tally, Tally::default());
    assert_eq!(p.port().ons, 0);
}

#[test]
fn presses_while_composing_are_ignored_and_leave_nothing_behind() {
    let clock = VirtualClock::new();
    // Composing takes 2 s a phrase. The first phrase is composed from 15 ms to 2.015 s and
    // plays its three chords until 4.265 s; then the second is composed (the first one's
    // fermata holds meanwhile) until 6.265 s, and so on. The button is pressed and
    // released during each of the first two phrases' composing.
    let mut p = player(&clock, |t| (10_000..60_000).contains(&t) || (1_000_000..1_200_000).contains(&t) || (5_000_000..5_100_000).contains(&t), 2_000_000);
    let tally = run_until(&mut p, &clock, 8 * 2_000_000 + PIECE_US + 2_000_000);
    assert_eq!(p.state(), State::Idle);
    assert_eq!(tally, Tally { pressed: 1, finished: 1, stopped: 0 });
}

#[test]
fn presses_while_playing_stop_at_once_and_silence_every_voice() {
    let clock = VirtualClock::new();
    // A press at 10 ms starts a piece; one at 3 s stops it; one at 5 s starts the next,
    // which a press at 5.5 s stops; then 17 presses 300 ms apart from 10 s.
    let mut p = player(
        &clock,
        |t| {
            (10_000..60_000).contains(&t)
                || (3_000_000..3_050_000).contains(&t)
                || (5_000_000..5_050_000).contains(&t)
                || (5_500_000..5_550_000).contains(&t)
                || ((10_000_000..15_000_000).contains(&t) && (t - 10_000_000) % 300_000 < 50_000)
        },
        0,
    );
    let tally = run_until(&mut p, &clock, 15_000_000 + PIECE_US + 1_000_000);
    assert_eq!(p.state(), State::Idle);
    // 3 s, 5.5 s and every second press of the burst stop a piece; the others start one,
    // and the last one started plays to its end.
    assert_eq!(tally.pressed, 2 + 9, "{tally:?}");
    assert_eq!(tally.stopped, 2 + 8, "{tally:?}");
    assert_eq!(tally.finished, 1, "{tally:?}");
    assert_eq!(p.port().all_off, 4 * tally.stopped, "all notes off on each voice's channel per stop");
}
