//! A chorale: up to `N` frames in fixed-size storage, plus its time signature.
//!
//! Most questions about a chorale (what is sounding, can it be transposed) only need its
//! frames, so they are answered on `&[Frame]` and work the same on the host's `Vec<Frame>`.

#![forbid(unsafe_code)]

use crate::frame::Frame;
use crate::meter::TimeSignature;
use crate::token::Token;
use crate::voice::{Voice, VOICES};

/// A four-part chorale of at most `N` frames, without heap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chorale<const N: usize> {
    pub time: TimeSignature,
    pub frames: heapless::Vec<Frame, N>,
}

/// The chorale is full: it holds `N` frames already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChoraleFull;

impl<const N: usize> Chorale<N> {
    pub const fn new(time: TimeSignature) -> Self {
        Chorale { time, frames: heapless::Vec::new() }
    }

    /// Appends a frame.
    pub fn push(&mut self, frame: Frame) -> Result<(), ChoraleFull> {
        self.frames.push(frame).map_err(|_| ChoraleFull)
    }

    /// A copy of the chorale from frames; `ChoraleFull` if there are more than `N`.
    pub fn from_frames(time: TimeSignature, frames: &[Frame]) -> Result<Self, ChoraleFull> {
        let mut c = Self::new(time);
        c.frames.extend_from_slice(frames).map_err(|_| ChoraleFull)?;
        Ok(c)
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

impl<const N: usize> core::ops::Deref for Chorale<N> {
    type Target = [Frame];
    fn deref(&self) -> &[Frame] {
        &self.frames
    }
}

/// The pitch `voice` sounds at frame `index` (following holds back to the note that
/// started), or `None` during a rest, before the first note, or past the end.
pub fn sounding(frames: &[Frame], voice: Voice, index: usize) -> Option<u8> {
    let v = voice.index();
    let mut i = index.min(frames.len());
    if i == frames.len() {
        return None;
    }
    loop {
        match frames[i].tokens[v] {
            Token::Pitch(p) => return Some(p),
            Token::Rest => return None,
            Token::Hold => {
                if i == 0 {
                    return None;
                }
                i -= 1;
            }
        }
    }
}

/// Lowest and highest pitch `voice` sings, `None` if it never sings.
pub fn voice_extent(frames: &[Frame], voice: Voice) -> Option<(u8, u8)> {
    let mut extent: Option<(u8, u8)> = None;
    for f in frames {
        if let Token::Pitch(p) = f.tokens[voice.index()] {
            extent = Some(match extent {
                None => (p, p),
                Some((lo, hi)) => (lo.min(p), hi.max(p)),
            });
        }
    }
    extent
}

/// The transpositions (in semitones, lowest first) that keep every voice in its range.
/// `None` if no transposition does, `Some((0, 0))` if only the original does.
pub fn transposition_span(frames: &[Frame]) -> Option<(i32, i32)> {
    let mut down = i32::MIN;
    let mut up = i32::MAX;
    for v in Voice::ALL {
        if let Some((lo, hi)) = voice_extent(frames, v) {
            let r = v.range();
            down = down.max(r.lowest as i32 - lo as i32);
            up = up.min(r.highest as i32 - hi as i32);
        }
    }
    if down > up {
        None
    } else {
        Some((down.max(-127), up.min(127)))
    }
}

/// Transposes every pitch and key signature by `semitones` in place. Returns `false`
/// (and leaves the frames untouched) if a pitch would leave its voice's range.
pub fn transpose(frames: &mut [Frame], semitones: i32) -> bool {
    match transposition_span(frames) {
        Some((down, up)) if semitones >= down && semitones <= up => {}
        _ => return false,
    }
    for f in frames.iter_mut() {
        for t in f.tokens.iter_mut() {
            if let Token::Pitch(p) = t {
                *p = (*p as i32 + semitones) as u8;
            }
        }
        f.meta.key = f.meta.key.transposed(semitones);
    }
    true
}

/// The first voice that never sings a note, if any (a composed piece with one is refused:
/// such sampler settings do not make music).
pub fn silent_voice(frames: &[Frame]) -> Option<Voice> {
    Voice::ALL.into_iter().find(|v| !frames.iter().any(|f| matches!(f.tokens[v.index()], crate::token::Token::Pitch(_))))
}

/// True when every token is legal for its voice: pitches in range.
pub fn in_range(frames: &[Frame]) -> bool {
    frames.iter().all(|f| (0..VOICES).all(|v| f.tokens[v].class(Voice::ALL[v]).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameMeta;
    use crate::meter::KeySignature;

    fn frame(tokens: [Token; 4]) -> Frame {
        Frame { tokens, meta: FrameMeta::default() }
    }

    #[test]
    fn sounding_follows_holds_and_rests() {
        let fs = [
            frame([Token::Pitch(72), Token::Pitch(67), Token::Pitch(64), Token::Pitch(48)]),
            frame([Token::Hold, Token::Rest, Token::Hold, Token::Hold]),
            frame([Token::Hold, Token::Hold, Token::Pitch(62), Token::Hold]),
        ];
        assert_eq!(sounding(&fs, Voice::Soprano, 2), Some(72));
        assert_eq!(sounding(&fs, Voice::Alto, 2), None);
        assert_eq!(sounding(&fs, Voice::Tenor, 2), Some(62));
        assert_eq!(sounding(&fs, Voice::Bass, 3), None);
    }

    #[test]
    fn transposition_keeps_ranges() {
        let mut fs = [frame([Token::Pitch(79), Token::Pitch(53), Token::Pitch(60), Token::Pitch(40)])];
        assert_eq!(transposition_span(&fs), Some((0, 0)));
        assert!(!transpose(&mut fs, 1));
        let mut fs = [frame([Token::Pitch(72), Token::Pitch(60), Token::Pitch(55), Token::Pitch(48)])];
        fs[0].meta.key = KeySignature { fifths: 0 };
        assert_eq!(transposition_span(&fs), Some((-7, 7)));
        assert!(transpose(&mut fs, 2));
        assert_eq!(fs[0].tokens[0], Token::Pitch(74));
        assert_eq!(fs[0].meta.key, KeySignature { fifths: 2 });
    }

    #[test]
    fn fixed_capacity() {
        let mut c: Chorale<2> = Chorale::new(TimeSignature::COMMON);
        let f = frame([Token::Rest; 4]);
        assert!(c.push(f).is_ok() && c.push(f).is_ok());
        assert_eq!(c.push(f), Err(ChoraleFull));
        assert_eq!(c.len(), 2);
    }
}
