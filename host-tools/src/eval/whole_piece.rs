//! The whole piece: its mode, how it begins and ends, how busy its voices are.
//!
//! Each is a yes or no per piece (100 or 0), so that the mean over a set is the % of its
//! pieces: see [`DEFINITIONS`].

use super::key::{Key, Mode};
use super::notes::{sonorities, voice_notes, Sonority};
use kantor_core::{Frame, Voice};
use serde::Serialize;

/// What each measure means, as the report states it.
pub const DEFINITIONS: &str = "\
- Minor: the key found by Krumhansl–Schmuckler is minor.
- Home key: the key the piece states (key signature and mode): the key asked of a generated piece, the labelled key of a prepared chorale (`kantor prepare`: signature and final bass), a MIDI file's key signature and mode (C major where it states none).
- Ends on the home tonic: the last sonority with notes is a major or minor triad on the home key's tonic (fifth optional, any inversion; a major tonic chord in a minor key, the Picardy third, counts), or the bare tonic with or without its fifth.
- Begins on I or V: the first sonority with notes has its root on the tonic or the dominant of the home key (a bare pitch or open fifth is rooted on its lower note).
- Dissonant final chord: the last sonority with notes is not contained in any major or minor triad.
- Notes per voice per 16 bars: note onsets of all four voices over the piece, divided by four and by the piece's length in bars, times 16.
";

/// Whole-piece measures of one piece: 100 or 0 (`None` when it cannot be said), and a rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WholePiece {
    pub minor_pct: Option<f64>,
    pub ends_home_pct: Option<f64>,
    pub begins_i_or_v_pct: Option<f64>,
    pub final_dissonant_pct: Option<f64>,
    pub notes_per_voice_16_bars: Option<f64>,
}

fn yes(b: bool) -> f64 {
    if b {
        100.0
    } else {
        0.0
    }
}

/// Pitch classes of `set` above `root` (a 12-bit set rotated down).
fn above(set: u16, root: u8) -> u16 {
    let r = root as u32 % 12;
    ((set >> r) | (set << (12 - r))) & 0xfff
}

const MAJOR_TRIAD: u16 = 1 | 1 << 4 | 1 << 7;
const MINOR_TRIAD: u16 = 1 | 1 << 3 | 1 << 7;
const OPEN_FIFTH: u16 = 1 | 1 << 7;

/// The tonic triad of `key` ([`kantor_core::Key::is_tonic_triad`]: major or minor, the
/// fifth optional), or the bare tonic with or without its fifth.
pub fn is_tonic_chord(s: &Sonority, key: Key) -> bool {
    let rel = above(s.pitch_classes(), key.tonic);
    s.chord().is_some_and(|c| kantor_core::Key::from(key).is_tonic_triad(c)) || (rel & 1 != 0 && rel & !OPEN_FIFTH == 0)
}

/// Whether the sonority lies within some major or minor triad.
pub fn is_consonant(s: &Sonority) -> bool {
    let set = s.pitch_classes();
    (0..12).any(|r| {
        let rel = above(set, r);
        rel & !MAJOR_TRIAD == 0 || rel & !MINOR_TRIAD == 0
    })
}

/// The root of a sonority: its chord's, or for a bare pitch or open fifth its lower note.
pub fn root_of(s: &Sonority) -> Option<u8> {
    if let Some(c) = s.chord() {
        return Some(c.root);
    }
    let set = s.pitch_classes();
    (0..12).find(|&r| {
        let rel = above(set, r);
        rel & 1 != 0 && rel & !OPEN_FIFTH == 0
    })
}

/// Measures the whole piece: `found` is the key found, `home` the key it is judged in.
pub fn whole_piece(frames: &[Frame], bar_frames: usize, found: Option<Key>, home: Option<Key>) -> WholePiece {
    let sons = sonorities(frames);
    let sounding = |s: &&Sonority| s.pitches.iter().any(Option::is_some);
    let first = sons.iter().find(sounding);
    let last = sons.iter().rev().find(sounding);
    let notes: usize = Voice::ALL.iter().map(|&v| voice_notes(frames, v).len()).sum();
    let bars = frames.len() as f64 / bar_frames.max(1) as f64;
    WholePiece {
        minor_pct: found.map(|k| yes(k.mode == Mode::Minor)),
        ends_home_pct: home.zip(last).map(|(k, s)| yes(is_tonic_chord(s, k))),
        begins_i_or_v_pct: home
            .zip(first)
            .map(|(k, s)| yes(root_of(s).is_some_and(|r| r == k.tonic || r == k.dominant()))),
        final_dissonant_pct: last.map(|s| yes(!is_consonant(s))),
        notes_per_voice_16_bars: (bars > 0.0).then(|| notes as f64 / 4.0 / bars * 16.0),
    }
}
