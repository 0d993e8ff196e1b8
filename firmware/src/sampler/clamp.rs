//! Inpainting: holding chosen (voice, frame) entries to given tokens while the rest is
//! sampled. Harmonisation clamps the soprano; continuation clamps the opening frames to
//! the tail of the previous phrase.

use super::gauss::Gaussian;
use crate::onehot::{voice_offset, Column};
use crate::token::Token;
use crate::voice::{Voice, VOICES};

/// The fixed tokens of one frame, `None` where the voice is free.
pub type Clamp = [Option<Token>; VOICES];

/// No voice fixed.
pub const FREE: Clamp = [None; VOICES];

/// A clamped pitch outside its voice's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OutOfRange {
    pub frame: usize,
    pub voice: Voice,
    pub pitch: u8,
}

impl core::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let range = self.voice.range();
        write!(
            f,
            "fixed pitch {} at frame {} lies outside the {} range {}–{}",
            self.pitch,
            self.frame,
            self.voice.name(),
            range.lowest,
            range.highest
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for OutOfRange {}

/// Lowest pitch of the bass's final tonic: the tonic is sung from F2 to E3, where Bach's
/// chorales close.
const FINAL_BASS_LOWEST: u8 = 41;

/// Holds the bass on the home tonic through the piece's last fermata (the key and mode of
/// that fermata's frames): struck where the fermata begins, held to its end. Bach's
/// chorales close on the tonic with the tonic in the bass; the network, which sees a
/// fermata but not whether it is the last, is left to write the cadence into it. A bass
/// already clamped there is kept. Returns whether anything was clamped.
pub fn clamp_home_bass(clamps: &mut [Clamp], metas: &[crate::frame::FrameMeta]) -> bool {
    let frames = clamps.len().min(metas.len());
    let Some(start) = (0..frames).rev().find(|&t| metas[t].fermata && (t == 0 || !metas[t - 1].fermata)) else {
        return false;
    };
    let bass = Voice::Bass.index();
    let end = (start..frames).find(|&t| !metas[t].fermata).unwrap_or(frames);
    if clamps[start..end].iter().any(|c| c[bass].is_some()) {
        return false;
    }
    clamps[start][bass] = Some(home_bass(metas[start]));
    for c in &mut clamps[start + 1..end] {
        c[bass] = Some(Token::Hold);
    }
    true
}

/// The home tonic of `meta`'s key and mode where the bass sings it at the ends of a piece
/// (from [`FINAL_BASS_LOWEST`]).
fn home_bass(meta: crate::frame::FrameMeta) -> Token {
    let tonic = meta.home().tonic;
    Token::Pitch(FINAL_BASS_LOWEST + (tonic + 12 - FINAL_BASS_LOWEST % 12) % 12)
}

/// Strikes the home tonic in the bass at the first frame (the key and mode of that frame),
/// where the soprano and bass are free there (a harmonised melody's opening is left to the
/// network): Bach's chorales open on the tonic triad, or on the dominant under an upbeat.
/// Returns whether it clamped.
pub fn clamp_home_opening(clamps: &mut [Clamp], metas: &[crate::frame::FrameMeta]) -> bool {
    let (Some(first), Some(meta)) = (clamps.first_mut(), metas.first()) else { return false };
    let (soprano, bass) = (Voice::Soprano.index(), Voice::Bass.index());
    if first[soprano].is_some() || first[bass].is_some() {
        return false;
    }
    first[bass] = Some(home_bass(*meta));
    true
}

/// The clamps the settings' home rules ask for, added to `clamps`: with
/// [`super::Refine::home_opening`], the tonic in the bass at the first frame where `opens`
/// (the frames begin the piece; [`clamp_home_opening`]); with
/// [`super::Refine::home_ending`], through the last fermata where `ends`
/// ([`clamp_home_bass`]). Only when refinement runs (it is the judge that asks for the
/// cadence around them). Returns how many were added.
pub fn clamp_home(clamps: &mut [Clamp], metas: &[crate::frame::FrameMeta], refine: &super::Refine, opens: bool, ends: bool) -> usize {
    if refine.rounds == 0 {
        return 0;
    }
    let opening = refine.home_opening && opens && clamp_home_opening(clamps, metas);
    let ending = refine.home_ending && ends && clamp_home_bass(clamps, metas);
    usize::from(opening) + usize::from(ending)
}

/// The clamps of a harmonisation: the soprano held to `melody` note for note, and after
/// the melody's final note every lower voice silent (a rest where it ends, then held).
/// `clamps` must be as long as `melody`.
pub fn clamp_melody(clamps: &mut [Clamp], melody: &[Token]) {
    clamps.fill(FREE);
    clamp_voice(clamps, Voice::Soprano, melody);
    let end = end_of_final_note(melody);
    for (i, c) in clamps.iter_mut().enumerate().skip(end) {
        for v in [Voice::Alto, Voice::Tenor, Voice::Bass] {
            c[v.index()] = Some(if i == end { Token::Rest } else { Token::Hold });
        }
    }
}

/// The frame after a melody's final note (where its next rest begins, or its length);
/// 0 for a melody without notes.
pub fn end_of_final_note(melody: &[Token]) -> usize {
    let Some(last) = melody.iter().rposition(|t| matches!(t, Token::Pitch(_))) else { return 0 };
    melody[last + 1..].iter().position(|t| *t != Token::Hold).map_or(melody.len(), |i| last + 1 + i)
}

/// Checks that every clamped pitch fits its voice.
pub fn check(clamps: &[Clamp]) -> Result<(), OutOfRange> {
    for (frame, c) in clamps.iter().enumerate() {
        for v in Voice::ALL {
            if let Some(t) = c[v.index()] {
                if t.class(v).is_none() {
                    return Err(OutOfRange { frame, voice: v, pitch: t.pitch().unwrap_or(0) });
                }
            }
        }
    }
    Ok(())
}

/// Sets each clamped voice block of `x` (`VOICE_CHANNELS × frames`) to its token's one-hot
/// plus `sigma`·z, i.e. to a draw of the clamped data at noise level `sigma`.
/// A clamped hold whose note is not clamped fixes only the hold channel.
pub(crate) fn renoise(x: &mut [f32], frames: usize, clamps: &[Clamp], sigma: f32, noise: &mut Gaussian) {
    for (t, c) in clamps.iter().enumerate().take(frames) {
        for v in Voice::ALL {
            let Some(token) = c[v.index()] else { continue };
            let column = Column::of(token, v, clamps[..t].iter().rev().map(|e| e[v.index()]));
            let base = voice_offset(v);
            for k in (0..v.classes()).filter(|&k| column.fixes(k)) {
                let z = if sigma > 0.0 { sigma * noise.next() } else { 0.0 };
                x[(base + k) * frames + t] = column.value(k) + z;
            }
        }
    }
}

/// Clamps a whole voice to `tokens` (frame by frame), leaving other voices as they are.
/// Used to harmonise a melody given as the soprano.
pub fn clamp_voice(clamps: &mut [Clamp], voice: Voice, tokens: &[Token]) {
    for (c, &t) in clamps.iter_mut().zip(tokens) {
        c[voice.index()] = Some(t);
    }
}

/// Clamps the first frames of the next phrase to the last `overlap` frames of `previous`,
/// so that an endless stream can compose phrase after phrase with a seamless join. A hold
/// at the start of the overlap becomes the pitch that is sounding there (or a rest).
/// Returns how many frames were clamped.
pub fn clamp_continuation(clamps: &mut [Clamp], previous: &[[Token; VOICES]], overlap: usize) -> usize {
    let n = overlap.min(previous.len()).min(clamps.len());
    let start = previous.len() - n;
    for (i, c) in clamps.iter_mut().take(n).enumerate() {
        for v in 0..VOICES {
            let mut tok = previous[start + i][v];
            if i == 0 && tok == Token::Hold {
                tok = previous[..start]
                    .iter()
                    .rev()
                    .map(|f| f[v])
                    .find(|t| *t != Token::Hold)
                    .unwrap_or(Token::Rest);
            }
            c[v] = Some(tok);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_resolves_leading_holds() {
        let p = Token::Pitch;
        let prev = [
            [p(72), p(67), p(60), p(48)],
            [Token::Hold, p(65), Token::Rest, Token::Hold],
            [Token::Hold, Token::Hold, Token::Hold, p(43)],
        ];
        let mut clamps = [FREE; 4];
        assert_eq!(clamp_continuation(&mut clamps, &prev, 2), 2);
        assert_eq!(clamps[0], [Some(p(72)), Some(p(65)), Some(Token::Rest), Some(p(48))]);
        assert_eq!(clamps[1], [Some(Token::Hold), Some(Token::Hold), Some(Token::Hold), Some(p(43))]);
        assert_eq!(clamps[2], FREE);
    }

    #[test]
    fn out_of_range_is_reported() {
        let mut clamps = [FREE; 3];
        clamp_voice(&mut clamps, Voice::Soprano, &[Token::Pitch(60), Token::Hold, Token::Pitch(84)]);
        assert_eq!(check(&clamps), Err(OutOfRange { frame: 2, voice: Voice::Soprano, pitch: 84 }));
    }

    #[test]
    fn a_free_opening_strikes_the_home_tonic_in_the_bass() {
        use crate::frame::FrameMeta;
        use crate::key::Mode;
        use crate::meter::KeySignature;
        // Two sharps: D major, or B minor.
        let major = [FrameMeta { key: KeySignature { fifths: 2 }, ..FrameMeta::default() }; 4];
        let minor = major.map(|m| FrameMeta { mode: Mode::Minor, ..m });
        let mut clamps = [FREE; 4];
        assert!(clamp_home_opening(&mut clamps, &major));
        assert_eq!(clamps[0], [None, None, None, Some(Token::Pitch(50))]);
        assert_eq!(clamps[1..], [FREE; 3]);
        let mut clamps = [FREE; 4];
        assert!(clamp_home_opening(&mut clamps, &minor));
        assert_eq!(clamps[0][Voice::Bass.index()], Some(Token::Pitch(47)));
        // A melody given to harmonise keeps its own opening.
        let mut given = [FREE; 4];
        given[0][Voice::Soprano.index()] = Some(Token::Pitch(66));
        assert!(!clamp_home_opening(&mut given, &major));
        assert_eq!(given[0][Voice::Bass.index()], None);
        // Only as the settings ask, and only where the frames open the piece.
        let mut refine = crate::sampler::Refine { rounds: 8, home_opening: true, ..crate::sampler::Refine::OFF };
        assert_eq!(clamp_home(&mut [FREE; 4], &major, &refine, false, true), 0);
        assert_eq!(clamp_home(&mut [FREE; 4], &major, &refine, true, true), 1);
        refine.rounds = 0;
        assert_eq!(clamp_home(&mut [FREE; 4], &major, &refine, true, true), 0);
    }

    #[test]
    fn the_last_fermata_holds_the_home_tonic_in_the_bass() {
        use crate::frame::FrameMeta;
        use crate::key::Mode;
        use crate::meter::KeySignature;
        // Fermatas on frames 2..4 and 6..8, in B minor (two sharps, minor).
        let metas: [FrameMeta; 8] = core::array::from_fn(|t| FrameMeta {
            position_in_bar: t as u8,
            fermata: matches!(t, 2 | 3 | 6 | 7),
            key: KeySignature { fifths: 2 },
            mode: Mode::Minor,
        });
        let mut clamps = [FREE; 8];
        assert!(clamp_home_bass(&mut clamps, &metas));
        let bass = Voice::Bass.index();
        assert_eq!(clamps[6][bass], Some(Token::Pitch(47)));
        assert_eq!(clamps[7][bass], Some(Token::Hold));
        assert!(clamps[..6].iter().all(|c| *c == FREE));
        // In F major the tonic sits at F2; a bass already fixed there is kept.
        let f_major = metas.map(|m| FrameMeta { key: KeySignature { fifths: -1 }, mode: Mode::Major, ..m });
        let mut clamps = [FREE; 8];
        assert!(clamp_home_bass(&mut clamps, &f_major));
        assert_eq!(clamps[6][bass], Some(Token::Pitch(41)));
        assert!(!clamp_home_bass(&mut clamps, &f_major));
        assert!(!clamp_home_bass(&mut [FREE; 8], &metas.map(|m| FrameMeta { fermata: false, ..m })));
    }
}
