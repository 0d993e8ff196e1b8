//! Chorale frames → time-stamped MIDI messages, one at a time, without heap.
//!
//! The stream starts with one program change per voice at tick 0. At each frame it
//! first ends the notes that stop there (a new pitch or a rest), then starts the new
//! ones, so within a tick every note-off comes before every note-on, and a repeated
//! pitch is struck again. After the last frame it ends whatever still sounds.
//!
//! Within each half of a tick the voices go soprano to bass. With one channel per voice
//! running status only saves bytes where one voice's messages meet (a voice moving
//! alone); with all voices on one channel it saves nearly every status byte.

use super::message::{Message, ALL_NOTES_OFF};
use super::performance::{FermataTiming, Performance};
use crate::frame::Frame;
use crate::token::Token;
use crate::voice::{Voice, VOICES};

/// A MIDI message at an absolute time, for one voice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimedEvent {
    /// Ticks since the start, at [`TICKS_PER_QUARTER`](super::TICKS_PER_QUARTER).
    pub tick: u32,
    /// The voice the message belongs to (a Standard MIDI File puts it on that voice's track).
    pub voice: Voice,
    pub message: Message,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Programs,
    Offs,
    Ons,
    Final,
    Done,
}

/// Iterator over a chorale's [`TimedEvent`]s.
#[derive(Clone, Debug)]
pub struct EventStream<'a> {
    frames: &'a [Frame],
    performance: Performance,
    timing: FermataTiming,
    phase: Phase,
    frame: usize,
    voice: usize,
    tick: u32,
    sounding: [Option<u8>; VOICES],
}

impl<'a> EventStream<'a> {
    /// The live performance of `frames`: fermata frames last longer in ticks
    /// ([`FermataTiming::StretchTicks`]).
    pub fn new(frames: &'a [Frame], performance: &Performance) -> Self {
        Self::with_timing(frames, performance, FermataTiming::StretchTicks)
    }

    /// The events of `frames` with fermatas timed as `timing` says.
    pub fn with_timing(frames: &'a [Frame], performance: &Performance, timing: FermataTiming) -> Self {
        EventStream {
            frames,
            performance: *performance,
            timing,
            phase: Phase::Programs,
            frame: 0,
            voice: 0,
            tick: 0,
            sounding: [None; VOICES],
        }
    }

    /// Tick at which the piece ends (after the last frame), under this stream's timing.
    pub fn end_tick(&self) -> u32 {
        frame_tick(self.frames, self.frames.len(), &self.performance, self.timing)
    }

    fn event(&self, voice: usize, message: Message) -> TimedEvent {
        TimedEvent { tick: self.tick, voice: Voice::ALL[voice], message }
    }
}

/// A playable key: MIDI has 128 of them; anything else is treated as silence.
fn playable(token: Token) -> Option<u8> {
    match token {
        Token::Pitch(p) if p < 128 => Some(p),
        _ => None,
    }
}

impl Iterator for EventStream<'_> {
    type Item = TimedEvent;

    fn next(&mut self) -> Option<TimedEvent> {
        let p = self.performance;
        loop {
            match self.phase {
                Phase::Programs => {
                    if self.voice < VOICES {
                        let v = self.voice;
                        self.voice += 1;
                        let msg = Message::ProgramChange { channel: p.channels[v], program: p.programs[v] };
                        return Some(self.event(v, msg));
                    }
                    self.phase = Phase::Offs;
                    self.voice = 0;
                }
                Phase::Offs => {
                    if self.frame >= self.frames.len() {
                        self.phase = Phase::Final;
                        self.voice = 0;
                        continue;
                    }
                    if self.voice < VOICES {
                        let v = self.voice;
                        self.voice += 1;
                        if self.frames[self.frame].tokens[v] != Token::Hold {
                            if let Some(key) = self.sounding[v].take() {
                                return Some(self.event(v, Message::note_off(p.channels[v], key)));
                            }
                        }
                        continue;
                    }
                    self.phase = Phase::Ons;
                    self.voice = 0;
                }
                Phase::Ons => {
                    if self.voice < VOICES {
                        let v = self.voice;
                        self.voice += 1;
                        if let Some(key) = playable(self.frames[self.frame].tokens[v]) {
                            self.sounding[v] = Some(key);
                            let velocity = p.velocities[v].clamp(1, 127);
                            return Some(self.event(v, Message::NoteOn { channel: p.channels[v], key, velocity }));
                        }
                        continue;
                    }
                    let fermata = self.frames[self.frame].meta.fermata;
                    self.tick = self.tick.saturating_add(p.frame_ticks(fermata, self.timing));
                    self.frame += 1;
                    self.phase = Phase::Offs;
                    self.voice = 0;
                }
                Phase::Final => {
                    if self.voice < VOICES {
                        let v = self.voice;
                        self.voice += 1;
                        if let Some(key) = self.sounding[v].take() {
                            return Some(self.event(v, Message::note_off(p.channels[v], key)));
                        }
                        continue;
                    }
                    self.phase = Phase::Done;
                }
                Phase::Done => return None,
            }
        }
    }
}

/// Start tick of frame `index` (`frames.len()` gives the end of the piece).
pub fn frame_tick(frames: &[Frame], index: usize, performance: &Performance, timing: FermataTiming) -> u32 {
    frames[..index.min(frames.len())]
        .iter()
        .fold(0u32, |t, f| t.saturating_add(performance.frame_ticks(f.meta.fermata, timing)))
}

/// The panic sequence for a player that stops early: "all notes off" (controller 123)
/// once on every channel the performance uses.
pub fn all_notes_off(performance: &Performance) -> heapless::Vec<Message, VOICES> {
    let mut out = heapless::Vec::new();
    for &channel in &performance.channels {
        let msg = Message::ControlChange { channel: channel & 0x0F, controller: ALL_NOTES_OFF, value: 0 };
        if !out.contains(&msg) {
            // Capacity is one per voice, so this cannot fail.
            let _ = out.push(msg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameMeta;
    use crate::midi::TICKS_PER_FRAME;
    use crate::token::Token::{Hold as H, Pitch as P, Rest as R};

    fn frame(tokens: [Token; 4], fermata: bool) -> Frame {
        Frame { tokens, meta: FrameMeta { fermata, ..FrameMeta::default() } }
    }

    /// Holds, rests, a repeated pitch, a hold across a fermata, a leading hold and a
    /// trailing rest.
    fn tricky() -> [Frame; 8] {
        [
            frame([P(72), P(67), H, P(48)], false),
            frame([H, P(67), P(64), H], false),
            frame([P(72), R, H, H], false),
            frame([H, H, R, P(43)], true),
            frame([H, P(65), H, H], true),
            frame([P(71), H, P(62), H], false),
            frame([H, H, H, R], false),
            frame([R, H, H, H], false),
        ]
    }

    /// Replays the stream, checking that every note-off ends a sounding note of its own
    /// voice and that nothing is left sounding; returns (onset tick, end tick, key) per voice.
    fn notes(events: impl Iterator<Item = TimedEvent>) -> [heapless::Vec<(u32, u32, u8), 16>; 4] {
        let mut open: [Option<(u32, u8)>; 4] = [None; 4];
        let mut done: [heapless::Vec<(u32, u32, u8), 16>; 4] = Default::default();
        for e in events {
            let v = e.voice.index();
            match e.message {
                Message::NoteOn { key, velocity: 0, .. } => {
                    let (start, k) = open[v].take().expect("note-off without a note");
                    assert_eq!(k, key);
                    done[v].push((start, e.tick, key)).unwrap();
                }
                Message::NoteOn { key, .. } => {
                    assert!(open[v].is_none(), "note-on over a sounding note");
                    open[v] = Some((e.tick, key));
                }
                _ => {}
            }
        }
        assert!(open.iter().all(Option::is_none), "a note is left sounding");
        done
    }

    #[test]
    fn every_note_ends() {
        let p = Performance::default();
        let n = notes(EventStream::new(&tricky(), &p));
        let f = TICKS_PER_FRAME;
        // Soprano: 72 struck twice, 71 after the fermata.
        assert_eq!(n[0].as_slice(), &[(0, 2 * f, 72), (2 * f, 7 * f, 72), (7 * f, 9 * f, 71)]);
        // Alto: repeated 67, a rest, 65 held across the fermata to the end.
        assert_eq!(n[1].as_slice(), &[(0, f, 67), (f, 2 * f, 67), (5 * f, 10 * f, 65)]);
        // Tenor: a leading hold is silence.
        assert_eq!(n[2].as_slice(), &[(f, 3 * f, 64), (7 * f, 10 * f, 62)]);
        assert_eq!(n[3].as_slice(), &[(0, 3 * f, 48), (3 * f, 8 * f, 43)]);
    }

    #[test]
    fn offs_before_ons_and_times_monotonic() {
        let p = Performance::default();
        let events: heapless::Vec<TimedEvent, 64> = EventStream::new(&tricky(), &p).collect();
        assert!(events[..4].iter().all(|e| matches!(e.message, Message::ProgramChange { program: 19, .. })));
        for w in events.windows(2) {
            assert!(w[0].tick <= w[1].tick, "time runs backwards");
            if w[0].tick == w[1].tick {
                assert!(!(w[1].message.is_note_off() && matches!(w[0].message, Message::NoteOn { velocity: 1.., .. })));
            }
        }
    }

    #[test]
    fn fermata_frames_last_longer() {
        let p = Performance::default();
        let fs = tricky();
        let live = EventStream::new(&fs, &p);
        let grid = EventStream::with_timing(&fs, &p, FermataTiming::Grid);
        assert_eq!(grid.end_tick(), 8 * TICKS_PER_FRAME);
        assert_eq!(live.end_tick(), 10 * TICKS_PER_FRAME);
        assert_eq!(frame_tick(&fs, 4, &p, FermataTiming::StretchTicks) - frame_tick(&fs, 3, &p, FermataTiming::StretchTicks), 2 * TICKS_PER_FRAME);
        // The bass's 43 starts on the fermata and is held into the next two frames.
        let g = notes(grid);
        assert_eq!(g[3][1], (3 * TICKS_PER_FRAME, 6 * TICKS_PER_FRAME, 43));
        let no_stretch = Performance { fermata_percent: 100, ..p };
        assert_eq!(EventStream::new(&fs, &no_stretch).end_tick(), 8 * TICKS_PER_FRAME);
    }

    #[test]
    fn empty_chorale_only_sets_programs() {
        let p = Performance::default();
        assert_eq!(EventStream::new(&[], &p).count(), 4);
    }

    #[test]
    fn panic_covers_each_channel_once() {
        let p = Performance { channels: [0, 0, 5, 5], ..Performance::default() };
        let off = all_notes_off(&p);
        assert_eq!(off.len(), 2);
        assert!(off.iter().all(|m| matches!(m, Message::ControlChange { controller: 123, value: 0, .. })));
        assert_eq!(all_notes_off(&Performance::default()).len(), 4);
    }
}
