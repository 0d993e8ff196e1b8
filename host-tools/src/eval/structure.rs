//! Structure: phrases between fermatas, note density, rests.

use super::notes::{fermatas, sounding_per_frame, voice_notes};
use super::summary::pct;
use kantor_core::meter::FRAMES_PER_QUARTER;
use kantor_core::{Frame, Voice};
use serde::Serialize;

/// Structure metrics of one piece.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Structure {
    /// Number of fermatas (runs of fermata frames).
    pub fermatas: usize,
    /// Mean phrase length in quarter notes, from one fermata to the next (the first
    /// phrase starts at the beginning); `None` without fermatas.
    pub phrase_quarters: Option<f64>,
    /// Note onsets (all voices) per bar.
    pub notes_per_bar: Option<f64>,
    /// % of voice-frames that are silent.
    pub rest_pct: Option<f64>,
}

/// Phrase lengths in frames: from the start (or the previous fermata) to each fermata.
pub fn phrase_lengths(frames: &[Frame]) -> Vec<usize> {
    let mut prev = 0;
    fermatas(frames)
        .into_iter()
        .map(|f| {
            let len = f - prev;
            prev = f;
            len
        })
        .filter(|&l| l > 0)
        .collect()
}

/// Measures the structure of a piece with bars of `bar_frames` 16ths.
pub fn structure(frames: &[Frame], bar_frames: usize) -> Structure {
    let phrases = phrase_lengths(frames);
    let phrase_quarters = (!phrases.is_empty()).then(|| {
        phrases.iter().sum::<usize>() as f64 / phrases.len() as f64 / FRAMES_PER_QUARTER as f64
    });
    let notes: usize = Voice::ALL
        .iter()
        .map(|&v| voice_notes(frames, v).len())
        .sum();
    let bars = frames.len() as f64 / bar_frames.max(1) as f64;
    let silent: usize = sounding_per_frame(frames)
        .iter()
        .map(|s| s.iter().filter(|p| p.is_none()).count())
        .sum();
    Structure {
        fermatas: fermatas(frames).len(),
        phrase_quarters,
        notes_per_bar: (bars > 0.0).then(|| notes as f64 / bars),
        rest_pct: pct(silent, frames.len() * 4),
    }
}
