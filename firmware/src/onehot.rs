//! The network's view of a chorale: one-hot voices and metadata channels.
//!
//! Layout is channel-major, as the convolution network reads it: value `(c, t)` of a
//! `channels × frames` tensor sits at `c * frames + t`.
//!
//! Voice channels ([`VOICE_CHANNELS`] = 101): each voice's alphabet (hold, rest, pitches
//! low to high) one after another, soprano first; see [`voice_offset`].
//!
//! Every frame shows what *sounds* (Coconet's piano roll), not only where notes begin
//! (DeepBach's hold token): a voice's column has one of rest and its pitches on — the
//! pitch that sounds there, also while it is held — and the hold channel says whether the
//! note is tied over from the previous frame (1) or struck here (0; always 0 on a rest).
//! A repeated note is a pitch with the hold channel off. The network sees the chord and
//! each line's previous pitch at every frame without looking back through holds.
//!
//! Metadata channels ([`META_CHANNELS`] = 24):
//! - 0..4   16th within the quarter-note beat, one-hot;
//! - 4..10  quarter within the bar (up to six for 3/2), one-hot;
//! - 10     fermata;
//! - 11..23 key signature as the pitch class of its major tonic, one-hot;
//! - 23     minor mode (0 in major): with the signature, the key.

#![forbid(unsafe_code)]

use crate::frame::{Frame, FrameMeta};
use crate::key::Mode;
use crate::meter::{FRAMES_PER_QUARTER, MAX_QUARTERS_PER_BAR};
use crate::token::{Token, HOLD_CLASS, REST_CLASS};
use crate::voice::{Voice, VOICES};

/// Version of this encoding; stored in every dataset, model and blob, and checked on load.
pub const ENCODING_VERSION: u32 = 3;

/// Total one-hot channels over the four voices.
pub const VOICE_CHANNELS: usize =
    Voice::Soprano.classes() + Voice::Alto.classes() + Voice::Tenor.classes() + Voice::Bass.classes();

/// First channel of each voice's alphabet.
pub const VOICE_OFFSETS: [usize; VOICES] = [
    0,
    Voice::Soprano.classes(),
    Voice::Soprano.classes() + Voice::Alto.classes(),
    Voice::Soprano.classes() + Voice::Alto.classes() + Voice::Tenor.classes(),
];

/// First channel of `voice`'s alphabet.
pub const fn voice_offset(voice: Voice) -> usize {
    VOICE_OFFSETS[voice.index()]
}

pub const META_SIXTEENTH: usize = 0;
pub const META_QUARTER: usize = META_SIXTEENTH + FRAMES_PER_QUARTER as usize;
pub const META_FERMATA: usize = META_QUARTER + MAX_QUARTERS_PER_BAR as usize;
pub const META_KEY: usize = META_FERMATA + 1;
pub const META_MINOR: usize = META_KEY + 12;
/// Total metadata channels.
pub const META_CHANNELS: usize = META_MINOR + 1;

/// One voice's column in one frame: the class that sounds and whether it is tied over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The sounding class ([`REST_CLASS`] or a pitch's class); `None` where it is not
    /// known (a pitch outside the voice's range, or a hold whose note is not given).
    pub sounding: Option<usize>,
    /// The note continues from the previous frame (the hold channel).
    pub tied: bool,
}

impl Column {
    /// The column of `token` in `voice`, where `earlier` yields the tokens before it,
    /// latest first (`None` where one is not known): a hold sounds the pitch of the last
    /// note struck; a hold after a rest (or at the start) is a rest.
    pub fn of<I: Iterator<Item = Option<Token>>>(token: Token, voice: Voice, mut earlier: I) -> Column {
        match token {
            Token::Rest => Column { sounding: Some(REST_CLASS), tied: false },
            Token::Pitch(_) => Column { sounding: token.class(voice), tied: false },
            Token::Hold => loop {
                match earlier.next() {
                    Some(Some(Token::Hold)) => continue,
                    Some(Some(Token::Pitch(p))) => {
                        let sounding = Token::Pitch(p).class(voice);
                        break Column { sounding, tied: sounding.is_some() };
                    }
                    Some(Some(Token::Rest)) | None => break Column { sounding: Some(REST_CLASS), tied: false },
                    Some(None) => break Column { sounding: None, tied: true },
                }
            },
        }
    }

    /// The column of voice `voice` at frame `t` of `tokens`.
    pub fn at(tokens: &[[Token; VOICES]], t: usize, voice: Voice) -> Column {
        let v = voice.index();
        Column::of(tokens[t][v], voice, tokens[..t].iter().rev().map(|f| Some(f[v])))
    }

    /// Whether channel `class` of the voice's block is fixed by this column (every channel
    /// is, unless the sounding class is unknown: then only the hold channel).
    pub fn fixes(&self, class: usize) -> bool {
        class == HOLD_CLASS || self.sounding.is_some()
    }

    /// The one-hot value of channel `class` of the voice's block.
    pub fn value(&self, class: usize) -> f32 {
        let on = if class == HOLD_CLASS { self.tied } else { self.sounding == Some(class) };
        if on {
            1.0
        } else {
            0.0
        }
    }
}

/// Writes the one-hot voices of `frames` into `out` (`VOICE_CHANNELS × frames.len()`).
/// A pitch outside its voice's range (and a hold of it) leaves the sounding classes of
/// that voice's column all zero.
pub fn encode_voices(frames: &[Frame], out: &mut [f32]) {
    let t_len = frames.len();
    assert!(out.len() >= VOICE_CHANNELS * t_len, "voice buffer too small");
    out[..VOICE_CHANNELS * t_len].fill(0.0);
    for v in Voice::ALL {
        let mut last: Option<Token> = None;
        for (t, f) in frames.iter().enumerate() {
            let token = f.tokens[v.index()];
            let col = Column::of(token, v, last.map(Some).into_iter());
            if token != Token::Hold {
                last = Some(token);
            }
            for c in 0..v.classes() {
                out[(voice_offset(v) + c) * t_len + t] = col.value(c);
            }
        }
    }
}

/// Writes the metadata of `metas` into `out` (`META_CHANNELS × metas.len()`).
pub fn encode_meta<I: ExactSizeIterator<Item = FrameMeta>>(metas: I, out: &mut [f32]) {
    let t_len = metas.len();
    assert!(out.len() >= META_CHANNELS * t_len, "metadata buffer too small");
    out[..META_CHANNELS * t_len].fill(0.0);
    for (t, m) in metas.enumerate() {
        out[(META_SIXTEENTH + m.sixteenth_in_beat() as usize) * t_len + t] = 1.0;
        let q = (m.quarter_in_bar() as usize).min(MAX_QUARTERS_PER_BAR as usize - 1);
        out[(META_QUARTER + q) * t_len + t] = 1.0;
        if m.fermata {
            out[META_FERMATA * t_len + t] = 1.0;
        }
        out[(META_KEY + m.key.major_tonic() as usize) * t_len + t] = 1.0;
        if m.mode == Mode::Minor {
            out[META_MINOR * t_len + t] = 1.0;
        }
    }
}

/// Index of the largest of `values[start + k * stride]` for `k` in `0..n`, skipping `skip`.
fn argmax(values: &[f32], start: usize, stride: usize, n: usize, skip: Option<usize>) -> usize {
    let mut best = usize::MAX;
    let mut best_v = f32::NEG_INFINITY;
    for k in 0..n {
        if Some(k) == skip {
            continue;
        }
        let v = values[start + k * stride];
        // `>` keeps the first of equal values; NaN never wins.
        if best == usize::MAX || v > best_v {
            best = k;
            best_v = v;
        }
    }
    best
}

/// Decodes a continuous voice state (`VOICE_CHANNELS × t_len`, channel-major) into tokens,
/// taking in each voice and frame the token whose column is nearest to the state: a struck
/// pitch or a rest (one channel on) or, after a pitch, a hold (that pitch and the hold
/// channel on). With `x_c` the state of class `c`, `p` the pitch sounding in the frame
/// before and `h` the hold channel, the hold wins when `x_p + h − ½` exceeds every `x_c`;
/// otherwise the largest sounding class is struck.
pub fn decode_voices(state: &[f32], t_len: usize, out: &mut [[Token; VOICES]]) {
    assert!(state.len() >= VOICE_CHANNELS * t_len, "state too small");
    assert!(out.len() >= t_len, "token buffer too small");
    for v in Voice::ALL {
        let base = voice_offset(v) * t_len;
        let mut previous = REST_CLASS;
        for t in 0..t_len {
            let at = |c: usize| state[base + c * t_len + t];
            let class = argmax(state, base + t, t_len, v.classes(), Some(HOLD_CLASS));
            let held = previous != REST_CLASS && at(previous) + at(HOLD_CLASS) - 0.5 > at(class);
            let token = if held {
                Token::Hold
            } else {
                previous = class;
                Token::from_class(v, class).unwrap_or(Token::Rest)
            };
            out[t][v.index()] = token;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::KeySignature;

    #[test]
    fn layout_sizes() {
        assert_eq!(VOICE_CHANNELS, 101);
        assert_eq!(VOICE_OFFSETS, [0, 22, 46, 70]);
        assert_eq!(META_CHANNELS, 24);
    }

    #[test]
    fn one_hot_round_trip() {
        let meta = FrameMeta { position_in_bar: 0, fermata: false, key: KeySignature { fifths: 2 }, mode: Mode::Major };
        let frames = [
            Frame { tokens: [Token::Pitch(74), Token::Pitch(66), Token::Pitch(57), Token::Pitch(50)], meta },
            Frame { tokens: [Token::Hold, Token::Pitch(67), Token::Rest, Token::Hold], meta },
            Frame { tokens: [Token::Pitch(79), Token::Hold, Token::Hold, Token::Pitch(36)], meta },
        ];
        let mut x = [0.0f32; VOICE_CHANNELS * 3];
        encode_voices(&frames, &mut x);
        // Held notes sound (and are tied) on every frame: 4 + 6 + 5 channels on.
        assert_eq!(x.iter().filter(|&&v| v == 1.0).count(), 15);
        let at = |c: usize, t: usize| x[c * 3 + t];
        let s = voice_offset(Voice::Soprano);
        assert_eq!((at(s + Token::Pitch(74).class(Voice::Soprano).unwrap(), 1), at(s + HOLD_CLASS, 1)), (1.0, 1.0));
        assert_eq!(at(s + HOLD_CLASS, 0), 0.0);
        let mut back = [[Token::Rest; 4]; 3];
        decode_voices(&x, 3, &mut back);
        for t in 0..3 {
            // The rest followed by a hold in the tenor decodes as rest, rest.
            let mut want = frames[t].tokens;
            if t == 2 {
                want[2] = Token::Rest;
            }
            assert_eq!(back[t], want);
        }
    }

    #[test]
    fn repeated_notes_and_ties_decode() {
        // The same pitch on three frames: struck, tied, struck again.
        let mut x = [0.0f32; VOICE_CHANNELS * 3];
        let c = voice_offset(Voice::Bass) + Token::Pitch(48).class(Voice::Bass).unwrap();
        let hold = voice_offset(Voice::Bass) + HOLD_CLASS;
        for t in 0..3 {
            x[c * 3 + t] = 0.9;
        }
        x[hold * 3 + 1] = 0.7;
        x[hold * 3 + 2] = 0.2;
        let mut back = [[Token::Rest; 4]; 3];
        decode_voices(&x, 3, &mut back);
        let bass: [Token; 3] = [back[0][3], back[1][3], back[2][3]];
        assert_eq!(bass, [Token::Pitch(48), Token::Hold, Token::Pitch(48)]);
    }

    #[test]
    fn hold_at_start_is_replaced() {
        let mut x = [0.0f32; VOICE_CHANNELS];
        for v in Voice::ALL {
            x[voice_offset(v) + HOLD_CLASS] = 5.0;
            x[voice_offset(v) + 3] = 1.0;
        }
        let mut back = [[Token::Rest; 4]; 1];
        decode_voices(&x, 1, &mut back);
        for v in Voice::ALL {
            assert_eq!(back[0][v.index()], Token::Pitch(v.range().lowest + 1));
        }
    }

    #[test]
    fn metadata_channels() {
        let key = KeySignature { fifths: -1 };
        let metas = [
            FrameMeta { position_in_bar: 0, fermata: false, key, mode: Mode::Major },
            FrameMeta { position_in_bar: 23, fermata: true, key, mode: Mode::Minor },
        ];
        let mut m = [0.0f32; META_CHANNELS * 2];
        encode_meta(metas.iter().copied(), &mut m);
        let at = |c: usize, t: usize| m[c * 2 + t];
        assert_eq!(at(META_SIXTEENTH, 0), 1.0);
        assert_eq!(at(META_QUARTER, 0), 1.0);
        assert_eq!(at(META_SIXTEENTH + 3, 1), 1.0);
        assert_eq!(at(META_QUARTER + 5, 1), 1.0);
        assert_eq!(at(META_FERMATA, 1), 1.0);
        assert_eq!(at(META_FERMATA, 0), 0.0);
        assert_eq!(at(META_KEY + 5, 0), 1.0); // F major
        assert_eq!(at(META_KEY + 5, 1), 1.0); // D minor: the same signature, and minor
        assert_eq!((at(META_MINOR, 0), at(META_MINOR, 1)), (0.0, 1.0));
        assert_eq!(m.iter().sum::<f32>(), 8.0);
    }
}
