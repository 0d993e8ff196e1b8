//! Labelling a chorale's key: which tonic, major or minor.
//!
//! A chorale's key signature names two keys (no sharps or flats: C major or A minor), and
//! Bach's chorales close on their tonic far more often than not, so the final bass note
//! decides between them:
//! - on the signature's major tonic: major;
//! - on its relative minor: minor (also under a Picardy third);
//! - a whole tone above the major tonic: minor with the older "Dorian" signature, one flat
//!   fewer than the key's (D minor written with no flat); the label keeps the tonic and
//!   the piece is written with its key's own signature from then on;
//! - anywhere else (a half close on the dominant, a Phrygian ending on the third degree,
//!   a modal final): the key, among the signature's two and those on the final bass,
//!   whose Krumhansl–Kessler profile fits the piece's pitch classes best.
//! Every label is checked against unrestricted Krumhansl–Schmuckler key finding; where
//! they differ, `kantor prepare` lists the chorale.

use crate::eval::key::{self, correlation, pitch_class_durations, MAJOR_PROFILE, MINOR_PROFILE};
use kantor_core::chorale::sounding;
use kantor_core::{Frame, FrameMeta, Key, Mode, Voice};

/// How a chorale's key was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Evidence {
    /// The final bass is the signature's major tonic.
    FinalOnMajorTonic,
    /// The final bass is the signature's minor tonic.
    FinalOnMinorTonic,
    /// The final bass is a whole tone above the major tonic: minor, Dorian signature.
    DorianSignature,
    /// Another final: the best-fitting key profile among the candidates.
    Profile,
}

impl Evidence {
    pub const fn label(self) -> &'static str {
        match self {
            Evidence::FinalOnMajorTonic => "final bass on the signature's major tonic",
            Evidence::FinalOnMinorTonic => "final bass on the signature's minor tonic",
            Evidence::DorianSignature => "minor with a Dorian signature",
            Evidence::Profile => "other final: key profile",
        }
    }
}

/// A chorale's key, how it was found, and what key finding alone says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Labelled {
    pub key: Key,
    pub evidence: Evidence,
    /// Krumhansl–Schmuckler over the whole piece (`None` for a piece without notes).
    pub found: Option<Key>,
}

impl Labelled {
    /// Whether key finding alone agrees with the label.
    pub fn agrees(&self) -> bool {
        self.found == Some(self.key)
    }
}

/// The key of `frames` (a chorale, its signature in the frames' metadata).
pub fn label(frames: &[Frame]) -> Option<Labelled> {
    let last = frames.len().checked_sub(1)?;
    let signature = frames[last].meta.key;
    let major = Key::of_signature(signature, Mode::Major);
    let minor = Key::of_signature(signature, Mode::Minor);
    let bass = (0..=last).rev().find_map(|t| sounding(frames, Voice::Bass, t))? % 12;
    let weights = pitch_class_durations(frames);
    let found = key::find_key(frames).map(|k| Key { tonic: k.tonic, mode: if k.mode == key::Mode::Minor { Mode::Minor } else { Mode::Major } });
    let (key, evidence) = if bass == major.tonic {
        (major, Evidence::FinalOnMajorTonic)
    } else if bass == minor.tonic {
        (minor, Evidence::FinalOnMinorTonic)
    } else if bass == (major.tonic + 2) % 12 {
        (Key { tonic: bass, mode: Mode::Minor }, Evidence::DorianSignature)
    } else {
        let candidates = [major, minor, Key { tonic: bass, mode: Mode::Major }, Key { tonic: bass, mode: Mode::Minor }];
        let fit = |k: &Key| {
            let profile = if k.mode == Mode::Major { &MAJOR_PROFILE } else { &MINOR_PROFILE };
            correlation(&weights, profile, k.tonic as usize)
        };
        let best = candidates.into_iter().max_by(|a, b| fit(a).total_cmp(&fit(b)))?;
        (best, Evidence::Profile)
    };
    Some(Labelled { key, evidence, found })
}

/// Writes `key` into every frame: its own signature and its mode.
pub fn apply(frames: &mut [Frame], key: Key) {
    apply_to_metas(frames.iter_mut().map(|f| &mut f.meta), key);
}

/// Writes `key` into every frame's metadata.
pub fn apply_to_metas<'a>(metas: impl Iterator<Item = &'a mut FrameMeta>, key: Key) {
    for m in metas {
        m.key = key.signature();
        m.mode = key.mode;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kantor_core::{KeySignature, Token};

    /// Whole-note chords (S, A, T, B) under signature `fifths`.
    fn piece(fifths: i8, chords: &[[u8; 4]]) -> Vec<Frame> {
        let meta = FrameMeta { key: KeySignature { fifths }, ..FrameMeta::default() };
        chords
            .iter()
            .flat_map(|c| (0..16).map(move |t| Frame { tokens: if t == 0 { c.map(Token::Pitch) } else { [Token::Hold; 4] }, meta }))
            .collect()
    }

    const C: [u8; 4] = [72, 67, 64, 48];
    const G7: [u8; 4] = [71, 65, 62, 43];
    const AM: [u8; 4] = [72, 64, 57, 45];
    const E: [u8; 4] = [68, 64, 59, 52];
    const A_MAJOR: [u8; 4] = [73, 64, 57, 45];
    const DM: [u8; 4] = [69, 65, 62, 50];
    const A7: [u8; 4] = [67, 64, 61, 45];

    #[test]
    fn the_final_bass_decides_between_the_signature_keys() {
        let c = label(&piece(0, &[C, G7, C])).unwrap();
        assert_eq!((c.key, c.evidence), (Key::C_MAJOR, Evidence::FinalOnMajorTonic));
        let a = label(&piece(0, &[AM, E, AM])).unwrap();
        assert_eq!((a.key, a.evidence), (Key { tonic: 9, mode: Mode::Minor }, Evidence::FinalOnMinorTonic));
        // A Picardy third keeps the minor label.
        let picardy = label(&piece(0, &[AM, E, A_MAJOR])).unwrap();
        assert_eq!(picardy.key, Key { tonic: 9, mode: Mode::Minor });
    }

    #[test]
    fn dorian_signature_is_minor_on_its_final() {
        let d = label(&piece(0, &[DM, A7, DM])).unwrap();
        assert_eq!((d.key, d.evidence), (Key { tonic: 2, mode: Mode::Minor }, Evidence::DorianSignature));
        let mut frames = piece(0, &[DM, A7, DM]);
        apply(&mut frames, d.key);
        assert!(frames.iter().all(|f| f.meta.key == KeySignature { fifths: -1 } && f.meta.mode == Mode::Minor));
    }

    #[test]
    fn a_half_close_is_judged_by_the_profile() {
        // A minor ending on its dominant (a Phrygian half close): E major in the bass.
        let l = label(&piece(0, &[AM, DM, AM, E, AM, DM, E])).unwrap();
        assert_eq!(l.evidence, Evidence::Profile);
        assert_eq!(l.key, Key { tonic: 9, mode: Mode::Minor });
        assert!(label(&[]).is_none());
    }
}
