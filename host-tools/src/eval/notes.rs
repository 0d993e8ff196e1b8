//! The views of a chorale every metric shares: what sounds at each frame, the notes of
//! each voice, and the sequence of vertical sonorities.

use kantor_core::part_writing::advance;
use kantor_core::voice::VOICES;
use kantor_core::{Frame, Token, Voice};

pub use kantor_core::part_writing::{Sonority, Sounding};

/// What every voice sounds at every frame, following holds back to their note.
pub fn sounding_per_frame(frames: &[Frame]) -> Vec<Sounding> {
    let mut now: Sounding = [None; VOICES];
    frames
        .iter()
        .map(|f| {
            now = advance(now, &f.tokens);
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

/// The distinct sonorities of the piece in order (see
/// [`kantor_core::part_writing::sonority`]): a new one starts at every frame where some
/// voice begins a note or falls silent and what sounds differs from the sonority before
/// (a chord struck again on the same pitches does not start a new sonority).
pub fn sonorities(frames: &[Frame]) -> Vec<Sonority> {
    kantor_core::part_writing::sonorities(frames.iter().map(|f| f.tokens)).collect()
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
