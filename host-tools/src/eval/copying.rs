//! Copy detection: how much of a piece is a training chorale, in any transposition.
//!
//! Every window of [`WINDOW`] frames of every training chorale is hashed after
//! normalising transposition (pitches relative to the lowest pitch in the window, and for
//! voices that hold into the window the pitch they hold). A piece's windows are looked
//! up, and matches that continue frame by frame in the same training chorale at the same
//! transposition are chained, so a run of `k` chained windows is a copied passage of
//! `k + WINDOW − 1` frames. Runs shorter than one window are not seen (reported as 0).

use super::notes::sounding_per_frame;
use kantor_core::{Frame, Token};
use serde::Serialize;
use std::collections::HashMap;

/// Frames per hashed window (half a bar of 4/4).
pub const WINDOW: usize = 8;

/// Where a window occurs in the training set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Occurrence {
    chorale: u32,
    start: u32,
    /// Lowest pitch of the window (its transposition).
    lowest: u8,
}

/// Hashes of every training window.
#[derive(Clone, Debug, Default)]
pub struct TrainingIndex {
    windows: HashMap<u64, Vec<Occurrence>>,
    chorales: usize,
    names: Vec<String>,
}

const HOLD_CODE: u8 = 0xfe;
const REST_CODE: u8 = 0xfd;
const SILENT_CODE: u8 = 0xfc;
const ONSET_CODE: u8 = 0xfb;

/// The transposition-normalised hash of every window of a piece (`None` for a window in
/// which nothing sounds), with the window's lowest pitch.
fn window_keys(frames: &[Frame]) -> Vec<Option<(u64, u8)>> {
    if frames.len() < WINDOW {
        return Vec::new();
    }
    let sounding = sounding_per_frame(frames);
    (0..=frames.len() - WINDOW)
        .map(|start| {
            let before = if start == 0 {
                [None; 4]
            } else {
                sounding[start - 1]
            };
            let first = &frames[start].tokens;
            let held = |v: usize| {
                if first[v] == Token::Hold {
                    before[v]
                } else {
                    None
                }
            };
            let window = &frames[start..start + WINDOW];
            let lowest = (0..4)
                .filter_map(held)
                .chain(
                    window
                        .iter()
                        .flat_map(|f| f.tokens.iter().filter_map(|t| t.pitch())),
                )
                .min()?;
            let mut h = Fnv::new();
            for (v, token) in first.iter().enumerate() {
                h.eat(match (*token, held(v)) {
                    (Token::Hold, Some(p)) => p - lowest,
                    (Token::Hold, None) => SILENT_CODE,
                    _ => ONSET_CODE,
                });
            }
            for f in window {
                for t in f.tokens {
                    h.eat(match t {
                        Token::Hold => HOLD_CODE,
                        Token::Rest => REST_CODE,
                        Token::Pitch(p) => p - lowest,
                    });
                }
            }
            Some((h.0, lowest))
        })
        .collect()
}

/// 64-bit FNV-1a: stable across machines and builds.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn eat(&mut self, b: u8) {
        self.0 ^= b as u64;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

/// How much of a piece is copied.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Copying {
    /// Longest run of frames identical (all four voices) to a passage of one training
    /// chorale under one transposition; 0 if shorter than [`WINDOW`].
    pub longest_run_frames: usize,
    /// Which training chorale (index in the order given to [`TrainingIndex::build`]) the
    /// longest run comes from.
    pub longest_run_source: Option<usize>,
    /// % of windows of `window_frames` frames (two bars) that occur in the training set;
    /// `None` if the piece is shorter.
    pub copied_window_pct: Option<f64>,
}

impl TrainingIndex {
    /// Indexes the training chorales.
    pub fn build<'a>(chorales: impl IntoIterator<Item = &'a [Frame]>) -> TrainingIndex {
        let mut index = TrainingIndex::default();
        for (c, frames) in chorales.into_iter().enumerate() {
            for (start, key) in window_keys(frames).into_iter().enumerate() {
                if let Some((hash, lowest)) = key {
                    index.windows.entry(hash).or_default().push(Occurrence {
                        chorale: c as u32,
                        start: start as u32,
                        lowest,
                    });
                }
            }
            index.chorales = c + 1;
        }
        index
    }

    /// Names the indexed chorales (in the order given to [`TrainingIndex::build`]), so
    /// that reports can say where a copied passage comes from.
    pub fn with_names(mut self, names: Vec<String>) -> TrainingIndex {
        self.names = names;
        self
    }

    /// The name of indexed chorale `i`, if names were given.
    pub fn name(&self, i: usize) -> Option<&str> {
        self.names.get(i).map(String::as_str)
    }

    /// Number of chorales indexed.
    pub fn chorales(&self) -> usize {
        self.chorales
    }

    /// For every window start of the piece, the longest chain of matching windows ending
    /// there (0 when the window does not occur), and the chorale it comes from.
    fn chains(&self, frames: &[Frame]) -> Vec<(usize, Option<u32>)> {
        let mut prev: HashMap<(u32, u32, i16), usize> = HashMap::new();
        let mut out = Vec::new();
        for key in window_keys(frames) {
            let mut cur = HashMap::new();
            let mut best = (0, None);
            if let Some((hash, lowest)) = key {
                for o in self.windows.get(&hash).into_iter().flatten() {
                    let shift = lowest as i16 - o.lowest as i16;
                    let before = o
                        .start
                        .checked_sub(1)
                        .and_then(|s| prev.get(&(o.chorale, s, shift)));
                    let len = before.copied().unwrap_or(0) + 1;
                    cur.insert((o.chorale, o.start, shift), len);
                    if len > best.0 || (len == best.0 && best.1.is_some_and(|c| o.chorale < c)) {
                        best = (len, Some(o.chorale));
                    }
                }
            }
            out.push(best);
            prev = cur;
        }
        out
    }

    /// Measures copying of a piece; `window_frames` is the length of the windows whose
    /// share is reported (two bars).
    pub fn copying(&self, frames: &[Frame], window_frames: usize) -> Copying {
        let chains = self.chains(frames);
        let (run, source) =
            chains
                .iter()
                .copied()
                .filter(|(len, _)| *len > 0)
                .fold(
                    (0, None),
                    |best, (len, c)| if len > best.0 { (len, c) } else { best },
                );
        let longest_run_frames = if run > 0 { run + WINDOW - 1 } else { 0 };
        let window_frames = window_frames.max(WINDOW);
        let copied_window_pct = (frames.len() >= window_frames).then(|| {
            let total = frames.len() - window_frames + 1;
            let need = window_frames - WINDOW + 1;
            let copied = (0..total)
                .filter(|u| chains[u + window_frames - WINDOW].0 >= need)
                .count();
            100.0 * copied as f64 / total as f64
        });
        Copying {
            longest_run_frames,
            longest_run_source: source.map(|c| c as usize),
            copied_window_pct,
        }
    }
}
