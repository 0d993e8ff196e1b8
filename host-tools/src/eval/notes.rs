//! The views of a chorale every metric shares: what sounds at each frame, the notes of
//! each voice, and the sequence of vertical sonorities.

use kantor_core::voice::VOICES;
use kantor_core::{Frame, Token, Voice};

/// The pitch each voice sounds (`None` in a rest), soprano first.
pub type Sounding = [Option<u8>; VOICES];

/// What every voice sounds at every frame, following holds back to their note.
pub fn sounding_per_frame(frames: &[Frame]) -> Vec<Sounding> {
    let mut now: Sounding = [None; VOICES];
    frames
        .iter()
        .map(|f| {
            for (v, t) in f.tokens.iter().enumerate() {
                match t {
                    Token::Pitch(p) => now[v] = Some(*p),
                    Token::Rest => now[v] = None,
                    Token::Hold => {}
                }
            }
            now
        })
        .collect()
}

/// One note of one voice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    pub voice: Voice,
    pub pitch: u8,
    /// Frame of the onset.
    pub start: usize,
    /// Length in frames (16ths), up to the next token that is not a hold.
    pub len: usize,
}

/// The notes `voice` sings, in order.
pub fn voice_notes(frames: &[Frame], voice: Voice) -> Vec<Note> {
    let v = voice.index();
    let mut notes: Vec<Note> = Vec::new();
    let mut open: Option<Note> = None;
    for (t, f) in frames.iter().enumerate() {
        match f.tokens[v] {
            Token::Hold => {
                if let Some(n) = open.as_mut() {
                    n.len += 1;
                }
            }
            Token::Rest => notes.extend(open.take()),
            Token::Pitch(p) => {
                notes.extend(open.take());
                open = Some(Note {
                    voice,
                    pitch: p,
                    start: t,
                    len: 1,
                });
            }
        }
    }
    notes.extend(open);
    notes
}

/// The rests of `voice` as (start frame, length in frames). A voice that starts by
/// holding is silent until its first token, and that silence counts as a rest.
pub fn voice_rests(frames: &[Frame], voice: Voice) -> Vec<(usize, usize)> {
    let v = voice.index();
    let mut rests = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    let mut sounding = false;
    for (t, f) in frames.iter().enumerate() {
        match f.tokens[v] {
            Token::Hold if !sounding => match open.as_mut() {
                Some(r) => r.1 += 1,
                None => open = Some((t, 1)),
            },
            Token::Hold => {}
            Token::Rest => {
                rests.extend(open.take());
                open = Some((t, 1));
                sounding = false;
            }
            Token::Pitch(_) => {
                rests.extend(open.take());
                sounding = true;
            }
        }
    }
    rests.extend(open);
    rests
}

/// A vertical sonority: what the four voices sound from frame `start` until the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sonority {
    pub start: usize,
    pub pitches: Sounding,
}

impl Sonority {
    /// The pitch classes sounding, as a 12-bit set (bit 0 = C).
    pub fn pitch_classes(&self) -> u16 {
        self.pitches
            .iter()
            .flatten()
            .fold(0, |set, p| set | 1 << (p % 12))
    }

    /// The lowest sounding pitch.
    pub fn lowest(&self) -> Option<u8> {
        self.pitches.iter().flatten().copied().min()
    }
}

/// The distinct sonorities of the piece in order: a new one starts at every frame where
/// some voice begins a note or a rest and what sounds differs from the sonority before
/// (a chord struck again on the same pitches does not start a new sonority).
pub fn sonorities(frames: &[Frame]) -> Vec<Sonority> {
    let sounding = sounding_per_frame(frames);
    let mut out: Vec<Sonority> = Vec::new();
    for (t, (f, now)) in frames.iter().zip(&sounding).enumerate() {
        let change = t == 0 || f.tokens.iter().any(|tok| *tok != Token::Hold);
        if change && out.last().is_none_or(|s| s.pitches != *now) {
            out.push(Sonority {
                start: t,
                pitches: *now,
            });
        }
    }
    out
}

/// Index of the sonority sounding at frame `t` (the last one starting at or before it).
pub fn sonority_at(sonorities: &[Sonority], t: usize) -> Option<usize> {
    sonorities.partition_point(|s| s.start <= t).checked_sub(1)
}

/// The fermatas: first frame of every run of consecutive fermata frames.
pub fn fermatas(frames: &[Frame]) -> Vec<usize> {
    (0..frames.len())
        .filter(|&t| frames[t].meta.fermata && (t == 0 || !frames[t - 1].meta.fermata))
        .collect()
}
