//! Harmony: which vertical sonorities are triads or seventh chords, how many notes lie in
//! the piece's key, and what cadences close the phrases at fermatas.

use super::key::{find_key, Key};
use super::notes::{fermatas, sonorities, sonority_at, voice_notes, Sonority};
use super::summary::pct;
use kantor_core::{Frame, Voice};
use serde::Serialize;

pub use kantor_core::chord::{identify, Chord, Quality};

/// The chord of a sonority, if it is one (its lowest pitch as the bass).
pub fn chord_of(s: &Sonority) -> Option<Chord> {
    s.chord()
}

/// How a phrase ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Cadence {
    /// Dominant (major triad or dominant seventh) to a tonic a fifth below.
    Authentic,
    /// Subdominant to a tonic a fourth below.
    Plagal,
    /// Ends on the dominant of the key (or of its relative key).
    Half,
    /// Anything else, including a final sonority that is not a chord.
    Other,
}

/// Classifies the cadence into sonority `end` (the one sounding at a fermata), looking
/// back for the last chord with another root among the sonorities that sound within
/// `lookback` frames before its start.
///
/// V–I is recognised in any key (phrases cadence in related keys): the chord before
/// must be major with its root a fifth above the final root. IV–I and the half cadence
/// need the key: IV–I must land on the tonic of `key` or its relative, a half cadence
/// on the major chord on the dominant of `key` or its relative.
pub fn cadence_into(sonorities: &[Sonority], end: usize, key: Key, lookback: usize) -> Cadence {
    let Some(last) = chord_of(&sonorities[end]) else {
        return Cadence::Other;
    };
    let start = sonorities[end].start;
    // Sonorities that still sound within `lookback` frames of the final one, latest
    // first (sonority j sounds until sonority j + 1 starts).
    let before = (0..end)
        .rev()
        .take_while(|&j| sonorities[j + 1].start + lookback >= start)
        .filter_map(|j| chord_of(&sonorities[j]))
        .find(|c| c.root != last.root);
    let homes = [key, key.relative()];
    if let Some(prev) = before {
        if prev.root == (last.root + 7) % 12 && prev.quality.major_third() {
            return Cadence::Authentic;
        }
        if prev.root == (last.root + 5) % 12 && homes.iter().any(|k| k.tonic == last.root) {
            return Cadence::Plagal;
        }
    }
    if last.quality == Quality::Major && homes.iter().any(|k| k.dominant() == last.root) {
        return Cadence::Half;
    }
    Cadence::Other
}

/// Frames looked back from the final chord to find the chord before (two quarters).
pub const CADENCE_LOOKBACK: usize = 8;

/// Harmony metrics of one piece.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Harmony {
    /// The key found by Krumhansl–Schmuckler (`None` for a piece without notes).
    pub key: Option<Key>,
    /// % of sonorities with at least two pitch classes that are triads or seventh chords.
    pub chordal_pct: Option<f64>,
    /// % of notes (counted by onsets) whose pitch class is in the key.
    pub in_key_pct: Option<f64>,
    /// Cadence at every fermata, in order.
    pub cadences: Vec<Cadence>,
    /// 100 when the key found is the major or relative minor key of the piece's key
    /// signature (the key a composer was asked for), else 0; `None` without notes.
    pub key_follows_signature_pct: Option<f64>,
}

/// Whether `key` is the major key of `signature` or its relative minor.
pub fn key_matches_signature(key: Key, signature: kantor_core::KeySignature) -> bool {
    let major = signature.major_tonic();
    match key.mode {
        super::key::Mode::Major => key.tonic == major,
        super::key::Mode::Minor => key.tonic == (major + 9) % 12,
    }
}

impl Harmony {
    /// % of fermatas with a cadence of `kind`; `None` without fermatas.
    pub fn cadence_pct(&self, kind: &[Cadence]) -> Option<f64> {
        pct(
            self.cadences.iter().filter(|c| kind.contains(c)).count(),
            self.cadences.len(),
        )
    }
}

/// Measures the harmony of a piece.
pub fn harmony(frames: &[Frame]) -> Harmony {
    let key = find_key(frames);
    let sons = sonorities(frames);
    let chords: Vec<&Sonority> = sons
        .iter()
        .filter(|s| s.pitch_classes().count_ones() >= 2)
        .collect();
    let chordal = chords.iter().filter(|s| chord_of(s).is_some()).count();
    let notes: Vec<u8> = Voice::ALL
        .iter()
        .flat_map(|&v| voice_notes(frames, v))
        .map(|n| n.pitch % 12)
        .collect();
    let in_key_pct = key.and_then(|k| {
        pct(
            notes.iter().filter(|&&pc| k.contains(pc)).count(),
            notes.len(),
        )
    });
    let cadences = match key {
        Some(k) => fermatas(frames)
            .into_iter()
            .filter_map(|t| sonority_at(&sons, t))
            .map(|i| cadence_into(&sons, i, k, CADENCE_LOOKBACK))
            .collect(),
        None => Vec::new(),
    };
    let key_follows_signature_pct = match (key, frames.first()) {
        (Some(k), Some(f)) => Some(if key_matches_signature(k, f.meta.key) { 100.0 } else { 0.0 }),
        _ => None,
    };
    Harmony {
        key,
        chordal_pct: pct(chordal, chords.len()),
        in_key_pct,
        cadences,
        key_follows_signature_pct,
    }
}
