//! Training and validation windows: fixed-length excerpts of chorales, encoded for the
//! network, with random transposition for training.

use kantor_core::chorale::{sounding, transpose, transposition_span};
use kantor_core::onehot::{encode_meta, encode_voices, META_CHANNELS, VOICE_CHANNELS};
use kantor_core::{Frame, Token, Voice};
use rand_core::Rng;

/// One encoded window: channel-major one-hot voices and metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub voices: Vec<f32>,
    pub meta: Vec<f32>,
}

/// `len` frames of `frames` from `start`, standing on their own: a voice that holds a
/// note into the first frame sings it there instead (a hold cannot open a piece), and a
/// voice that holds a silence rests.
pub fn excerpt(frames: &[Frame], start: usize, len: usize) -> Vec<Frame> {
    let mut out = frames[start..start + len].to_vec();
    if let Some(first) = out.first_mut() {
        for v in Voice::ALL {
            if first.tokens[v.index()] == Token::Hold {
                first.tokens[v.index()] = match sounding(frames, v, start) {
                    Some(p) => Token::Pitch(p),
                    None => Token::Rest,
                };
            }
        }
    }
    out
}

/// Encodes frames for the network.
pub fn encode(frames: &[Frame]) -> Window {
    let mut voices = vec![0.0; VOICE_CHANNELS * frames.len()];
    let mut meta = vec![0.0; META_CHANNELS * frames.len()];
    encode_voices(frames, &mut voices);
    encode_meta(frames.iter().map(|f| f.meta), &mut meta);
    Window { voices, meta }
}

/// A uniform integer in `0..n` (n > 0).
pub fn below(rng: &mut impl Rng, n: usize) -> usize {
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

/// The training chorales long enough for a window, and a sampler of random windows.
#[derive(Clone, Debug)]
pub struct TrainWindows {
    chorales: Vec<Vec<Frame>>,
    /// `ends[i]` = number of window starts in chorales `0..=i`.
    ends: Vec<usize>,
    pub window: usize,
    /// Chorales left out because they are shorter than one window.
    pub too_short: usize,
}

impl TrainWindows {
    pub fn new<'a>(chorales: impl IntoIterator<Item = &'a [Frame]>, window: usize) -> anyhow::Result<TrainWindows> {
        let mut kept = Vec::new();
        let mut ends = Vec::new();
        let mut total = 0;
        let mut too_short = 0;
        for frames in chorales {
            if frames.len() < window {
                too_short += 1;
                continue;
            }
            total += frames.len() - window + 1;
            ends.push(total);
            kept.push(frames.to_vec());
        }
        anyhow::ensure!(!kept.is_empty(), "no chorale has {window} frames or more");
        Ok(TrainWindows { chorales: kept, ends, window, too_short })
    }

    /// Number of distinct window positions (before transposition).
    pub fn positions(&self) -> usize {
        *self.ends.last().unwrap_or(&0)
    }

    pub fn chorales(&self) -> usize {
        self.chorales.len()
    }

    /// A uniformly chosen window position, transposed by a uniformly chosen interval
    /// among those that keep every voice in range (the key signature moves with it).
    pub fn sample_frames(&self, rng: &mut impl Rng) -> Vec<Frame> {
        let k = below(rng, self.positions());
        let c = self.ends.partition_point(|&e| e <= k);
        let start = k - if c == 0 { 0 } else { self.ends[c - 1] };
        let mut frames = excerpt(&self.chorales[c], start, self.window);
        if let Some((lo, hi)) = transposition_span(&frames) {
            let shift = lo + below(rng, (hi - lo + 1) as usize) as i32;
            transpose(&mut frames, shift);
        }
        frames
    }

    /// [`TrainWindows::sample_frames`], encoded.
    pub fn sample(&self, rng: &mut impl Rng) -> Window {
        encode(&self.sample_frames(rng))
    }
}

/// Up to `count` windows spread evenly over `chorales` (in original keys), for validation.
pub fn fixed_windows<'a>(chorales: impl IntoIterator<Item = &'a [Frame]>, window: usize, count: usize) -> Vec<Window> {
    let mut starts = Vec::new();
    for (c, frames) in chorales.into_iter().enumerate() {
        let mut s = 0;
        while s + window <= frames.len() {
            starts.push((c, frames, s));
            s += (window / 2).max(1);
        }
    }
    let step = (starts.len() as f64 / count.max(1) as f64).max(1.0);
    let mut out = Vec::new();
    let mut i = 0.0;
    while (i as usize) < starts.len() && out.len() < count {
        let (_, frames, s) = starts[i as usize];
        out.push(encode(&excerpt(frames, s, window)));
        i += step;
    }
    out
}

/// The largest Euclidean distance between the one-hot encodings of `samples` random
/// training windows (NCSNv2's rule for the largest noise level), computed from tokens:
/// two windows differ by √2 per (voice, frame) whose classes differ.
pub fn largest_distance(data: &TrainWindows, samples: usize, rng: &mut impl Rng) -> f64 {
    let classes: Vec<Vec<u8>> = (0..samples)
        .map(|_| {
            data.sample_frames(rng)
                .iter()
                .flat_map(|f| Voice::ALL.map(|v| f.tokens[v.index()].class(v).map_or(u8::MAX, |c| c as u8)))
                .collect()
        })
        .collect();
    let mut worst = 0u32;
    for i in 0..classes.len() {
        for j in 0..i {
            let d2: u32 = classes[i]
                .iter()
                .zip(&classes[j])
                .map(|(&a, &b)| match (a == u8::MAX, b == u8::MAX) {
                    _ if a == b => 0,
                    (false, false) => 2,
                    _ => 1,
                })
                .sum();
            worst = worst.max(d2);
        }
    }
    (worst as f64).sqrt()
}
