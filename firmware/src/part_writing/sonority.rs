//! What sounds, event by event.
//!
//! An *event* is a frame where some voice begins a note or falls silent (the first frame
//! is always one); between two events nothing changes. A *sonority* is an event whose
//! pitches differ from the sonority before: a chord struck again on the same pitches is
//! the same sonority. Progression rules look at consecutive sonorities; rules about one
//! voice's notes look at events, where a note struck again is seen.

use crate::chord::{identify, Chord};
use crate::token::Token;
use crate::voice::VOICES;

/// The pitch each voice sounds (`None` in a rest), soprano first.
pub type Sounding = [Option<u8>; VOICES];

/// What every voice sounds in a frame with `tokens`, given what it sounded before.
pub fn advance(previous: Sounding, tokens: &[Token; VOICES]) -> Sounding {
    let mut now = previous;
    for (v, tok) in tokens.iter().enumerate() {
        now[v] = match tok {
            Token::Pitch(p) => Some(*p),
            Token::Rest => None,
            Token::Hold => previous[v],
        };
    }
    now
}

/// What the four voices sound from frame `start` until the next event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sonority {
    /// Frame of the event.
    pub start: usize,
    pub pitches: Sounding,
    /// The voices that strike a note at `start` (a new pitch or the same one again).
    pub struck: [bool; VOICES],
}

impl Sonority {
    /// The pitch classes sounding, as a 12-bit set (bit 0 = C).
    pub fn pitch_classes(&self) -> u16 {
        pitch_classes(&self.pitches)
    }

    /// The lowest sounding pitch.
    pub fn lowest(&self) -> Option<u8> {
        self.pitches.iter().flatten().copied().min()
    }

    /// The chord the sonority spells, with its lowest pitch as the bass.
    pub fn chord(&self) -> Option<Chord> {
        chord_of(&self.pitches)
    }
}

/// The pitch classes of sounding pitches, as a 12-bit set (bit 0 = C).
pub fn pitch_classes(s: &Sounding) -> u16 {
    s.iter().flatten().fold(0, |set, p| set | 1 << (p % 12))
}

/// The chord sounding pitches spell (see [`identify`]), with the lowest pitch as the bass.
pub fn chord_of(s: &Sounding) -> Option<Chord> {
    identify(pitch_classes(s), s.iter().flatten().copied().min())
}

/// The events of a sequence of token rows ([`events`]).
#[derive(Clone, Debug)]
pub struct Events<I> {
    tokens: I,
    frame: usize,
    sounding: Sounding,
}

impl<I: Iterator<Item = [Token; VOICES]>> Iterator for Events<I> {
    type Item = Sonority;

    fn next(&mut self) -> Option<Sonority> {
        loop {
            let tokens = self.tokens.next()?;
            let t = self.frame;
            self.frame += 1;
            let begins = t == 0
                || tokens.iter().zip(&self.sounding).any(|(tok, before)| match tok {
                    Token::Pitch(_) => true,
                    Token::Rest => before.is_some(),
                    Token::Hold => false,
                });
            self.sounding = advance(self.sounding, &tokens);
            if begins {
                let struck = tokens.map(|tok| matches!(tok, Token::Pitch(_)));
                return Some(Sonority { start: t, pitches: self.sounding, struck });
            }
        }
    }
}

impl<I> Events<I> {
    /// How many frames have been read so far (all of them once the events are done).
    pub fn frames_read(&self) -> usize {
        self.frame
    }
}

/// Every frame of `tokens` where some voice begins a note or falls silent, with what
/// sounds from there on.
pub fn events<I: IntoIterator<Item = [Token; VOICES]>>(tokens: I) -> Events<I::IntoIter> {
    Events { tokens: tokens.into_iter(), frame: 0, sounding: [None; VOICES] }
}

/// The distinct sonorities of a sequence of token rows ([`sonorities`]).
#[derive(Clone, Debug)]
pub struct Sonorities<I> {
    events: Events<I>,
    last: Option<Sounding>,
}

impl<I: Iterator<Item = [Token; VOICES]>> Iterator for Sonorities<I> {
    type Item = Sonority;

    fn next(&mut self) -> Option<Sonority> {
        loop {
            let s = self.events.next()?;
            if self.last != Some(s.pitches) {
                self.last = Some(s.pitches);
                return Some(s);
            }
        }
    }
}

/// The sonorities of `tokens` in order: the events whose pitches differ from the
/// sonority before.
pub fn sonorities<I: IntoIterator<Item = [Token; VOICES]>>(tokens: I) -> Sonorities<I::IntoIter> {
    Sonorities { events: events(tokens), last: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::part_writing::test_frames::{chord, H, R};

    #[test]
    fn events_see_strikes_and_sonorities_only_changes() {
        let p = Token::Pitch;
        let rows = [
            chord([72, 67, 64, 48]),
            [H; 4],
            [p(72), H, H, H], // the soprano strikes C5 again
            [H, R, H, H],     // the alto falls silent
            [H, R, H, H],     // silent again: nothing happens
            [p(74), H, H, H],
        ];
        let starts: heapless::Vec<usize, 8> = events(rows).map(|s| s.start).collect();
        assert_eq!(&starts[..], &[0, 2, 3, 5]);
        let strikes: heapless::Vec<[bool; 4], 8> = events(rows).map(|s| s.struck).collect();
        assert_eq!(strikes[1], [true, false, false, false]);
        let sons: heapless::Vec<Sonority, 8> = sonorities(rows).collect();
        assert_eq!(sons.iter().map(|s| s.start).collect::<heapless::Vec<usize, 8>>(), [0, 3, 5]);
        assert_eq!(sons[1].pitches, [Some(72), None, Some(64), Some(48)]);
        assert_eq!(sons[2].pitch_classes(), 1 << 2 | 1 << 4 | 1);
        assert_eq!(sons[2].lowest(), Some(48));
    }
}
