//! The network's view of a chorale: one-hot voices and metadata channels.
//!
//! Layout is channel-major, as the convolution network reads it: value `(c, t)` of a
//! `channels × frames` tensor sits at `c * frames + t`.
//!
//! Voice channels ([`VOICE_CHANNELS`] = 101): each voice's alphabet (hold, rest, pitches
//! low to high) one after another, soprano first; see [`voice_offset`].
//!
//! Metadata channels ([`META_CHANNELS`] = 23):
//! - 0..4   16th within the quarter-note beat, one-hot;
//! - 4..10  quarter within the bar (up to six for 3/2), one-hot;
//! - 10     fermata;
//! - 11..23 key signature as the pitch class of its major tonic, one-hot.

#![forbid(unsafe_code)]

use crate::frame::{Frame, FrameMeta};
use crate::meter::{FRAMES_PER_QUARTER, MAX_QUARTERS_PER_BAR};
use crate::token::{Token, HOLD_CLASS, REST_CLASS};
use crate::voice::{Voice, VOICES};

/// Version of this encoding; stored in every dataset, model and blob, and checked on load.
pub const ENCODING_VERSION: u32 = 1;

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
/// Total metadata channels.
pub const META_CHANNELS: usize = META_KEY + 12;

/// Writes the one-hot voices of `frames` into `out` (`VOICE_CHANNELS × frames.len()`).
/// A pitch outside its voice's range leaves that voice's column all zero.
pub fn encode_voices(frames: &[Frame], out: &mut [f32]) {
    let t_len = frames.len();
    assert!(out.len() >= VOICE_CHANNELS * t_len, "voice buffer too small");
    out[..VOICE_CHANNELS * t_len].fill(0.0);
    for (t, f) in frames.iter().enumerate() {
        for v in Voice::ALL {
            if let Some(c) = f.tokens[v.index()].class(v) {
                out[(voice_offset(v) + c) * t_len + t] = 1.0;
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
/// taking the largest channel of each voice in each frame.
///
/// Two rules keep the result playable: a hold in the first frame is illegal (there is
/// nothing to hold), so the frame takes the best class other than hold; a hold after a
/// rest continues the silence and is written as a rest.
pub fn decode_voices(state: &[f32], t_len: usize, out: &mut [[Token; VOICES]]) {
    assert!(state.len() >= VOICE_CHANNELS * t_len, "state too small");
    assert!(out.len() >= t_len, "token buffer too small");
    for v in Voice::ALL {
        let base = voice_offset(v) * t_len;
        let mut previous_rest = false;
        for t in 0..t_len {
            let skip = if t == 0 { Some(HOLD_CLASS) } else { None };
            let mut class = argmax(state, base + t, t_len, v.classes(), skip);
            if class == HOLD_CLASS && previous_rest {
                class = REST_CLASS;
            }
            let token = Token::from_class(v, class).unwrap_or(Token::Rest);
            previous_rest = token == Token::Rest;
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
        assert_eq!(META_CHANNELS, 23);
    }

    #[test]
    fn one_hot_round_trip() {
        let meta = FrameMeta { position_in_bar: 0, fermata: false, key: KeySignature { fifths: 2 } };
        let frames = [
            Frame { tokens: [Token::Pitch(74), Token::Pitch(66), Token::Pitch(57), Token::Pitch(50)], meta },
            Frame { tokens: [Token::Hold, Token::Pitch(67), Token::Rest, Token::Hold], meta },
            Frame { tokens: [Token::Pitch(79), Token::Hold, Token::Hold, Token::Pitch(36)], meta },
        ];
        let mut x = [0.0f32; VOICE_CHANNELS * 3];
        encode_voices(&frames, &mut x);
        assert_eq!(x.iter().filter(|&&v| v == 1.0).count(), 12);
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
            FrameMeta { position_in_bar: 0, fermata: false, key },
            FrameMeta { position_in_bar: 23, fermata: true, key },
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
        assert_eq!(m.iter().sum::<f32>(), 7.0);
    }
}
