//! Finding the same chorale twice: exactly (in any key) and nearly (a few notes apart).
//!
//! Chorales are compared after normalising transposition: every pitch is taken relative
//! to the first bass note, so the same music in two keys gives the same sequence.

use kantor_core::voice::VOICES;
use kantor_core::{Frame, Token, Voice};

/// One voice's token relative to the reference pitch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Rel {
    Hold,
    Rest,
    Pitch(i16),
}

/// A chorale's transposition-normalised tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalised(Vec<[Rel; VOICES]>);

/// The reference pitch: the first bass note (or the first note of any voice).
fn reference_pitch(frames: &[Frame]) -> i16 {
    let first_in = |v: usize| frames.iter().find_map(|f| f.tokens[v].pitch());
    first_in(Voice::Bass.index())
        .or_else(|| (0..VOICES).find_map(first_in))
        .unwrap_or(0) as i16
}

/// The chorale with every pitch relative to its reference pitch.
pub fn normalise(frames: &[Frame]) -> Normalised {
    let r = reference_pitch(frames);
    Normalised(
        frames
            .iter()
            .map(|f| {
                f.tokens.map(|t| match t {
                    Token::Hold => Rel::Hold,
                    Token::Rest => Rel::Rest,
                    Token::Pitch(p) => Rel::Pitch(p as i16 - r),
                })
            })
            .collect(),
    )
}

impl Normalised {
    /// A stable 64-bit FNV-1a hash of the normalised tokens (the same on every machine
    /// and every build, so splits are reproducible).
    pub fn content_hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |b: u8| {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        };
        for frame in &self.0 {
            for t in frame {
                let [hi, lo] = match t {
                    Rel::Hold => [0x80, 0x00],
                    Rel::Rest => [0x80, 0x01],
                    Rel::Pitch(p) => p.to_be_bytes(),
                };
                eat(hi);
                eat(lo);
            }
        }
        h
    }

    /// Fraction (0..=1) of frames, aligned from the start, on which both chorales have
    /// the same four tokens, over the longer one's length.
    pub fn similarity(&self, other: &Normalised) -> f64 {
        let longest = self.0.len().max(other.0.len());
        if longest == 0 {
            return 1.0;
        }
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f64 / longest as f64
    }

    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.0.len()
    }
}

/// A chorale found again: `duplicate` is dropped in favour of `kept`.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicatePair {
    pub kept: String,
    pub duplicate: String,
    /// 1.0 for the same music (in any key); below for near duplicates.
    pub similarity: f64,
}

/// Marks duplicates among chorales given in keeping order (first wins). Returns, per
/// chorale, the pair it duplicates (`None` to keep it). Exact duplicates are found by
/// hash; near duplicates when `similarity >= threshold` (a threshold above 1 turns the
/// near search off).
pub fn find_duplicates(
    names: &[String],
    chorales: &[Normalised],
    threshold: f64,
) -> Vec<Option<DuplicatePair>> {
    let hashes: Vec<u64> = chorales.iter().map(Normalised::content_hash).collect();
    let mut out: Vec<Option<DuplicatePair>> = vec![None; chorales.len()];
    let mut kept: Vec<usize> = Vec::new();
    for i in 0..chorales.len() {
        let mut found = None;
        for &k in &kept {
            let exact = hashes[k] == hashes[i] && chorales[k] == chorales[i];
            let sim = if exact {
                1.0
            } else {
                near(&chorales[k], &chorales[i], threshold)
            };
            if sim >= threshold.min(1.0) {
                found = Some(DuplicatePair {
                    kept: names[k].clone(),
                    duplicate: names[i].clone(),
                    similarity: sim,
                });
                break;
            }
        }
        match found {
            Some(pair) => out[i] = Some(pair),
            None => kept.push(i),
        }
    }
    out
}

/// Similarity when the lengths allow reaching `threshold`, else 0 (cheap reject).
fn near(a: &Normalised, b: &Normalised, threshold: f64) -> f64 {
    if threshold > 1.0 {
        return 0.0;
    }
    let (short, long) = (
        a.frames().min(b.frames()) as f64,
        a.frames().max(b.frames()) as f64,
    );
    if long == 0.0 || short / long < threshold {
        return 0.0;
    }
    a.similarity(b)
}
