//! The melody `kantor harmonize` sets: read from MIDI or MusicXML, checked to be a single
//! line that the 16th-note grid holds exactly (no chords, tuplets, notes shorter than a
//! 16th or off the grid, grace notes — or, when asked, simplified with every change
//! counted), and brought into the soprano's range.

use crate::corpus::{Bent, BentKind};
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use kantor_core::sampler::melody as core_melody;
use kantor_core::{FrameMeta, TimeSignature, Token, Voice};
use std::path::Path;

/// A single melody on the 16th grid, with the metadata of every frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Melody {
    pub tokens: Vec<Token>,
    pub meta: Vec<FrameMeta>,
    pub time: TimeSignature,
    /// What the file writes that the grid could only hold by bending it (see
    /// [`Melody::keep_or_simplify`]).
    pub bent: Vec<Bent>,
}

/// Reads the melody in `path` (`.mid`/`.midi`, or `.musicxml`/`.xml`/`.mxl`).
pub fn read_melody(path: &Path) -> Result<Melody> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !path.exists() {
        bail!("melody file {} does not exist", path.display());
    }
    if path.is_dir() {
        bail!("{} is a folder, not a melody file: give a .mid or a .musicxml/.mxl file", path.display());
    }
    if !matches!(ext.as_str(), "mid" | "midi" | "smf" | "musicxml" | "xml" | "mxl") {
        bail!("{}: unknown melody format (use a .mid or a .musicxml/.mxl file)", path.display());
    }
    let bytes = crate::infile::read(path, crate::infile::SCORE)?;
    melody_from_bytes(path, bytes)
}

/// [`read_melody`] on a file's bytes already in memory: the extension of `path` decides
/// the format, and `path` names the file in errors.
pub fn melody_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Melody> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let melody = match ext.as_str() {
        "mid" | "midi" | "smf" => from_midi(path, &bytes)?,
        "musicxml" | "xml" | "mxl" => from_musicxml(path, bytes)?,
        _ => bail!("{}: unknown melody format (use a .mid or a .musicxml/.mxl file)", path.display()),
    };
    if !melody.tokens.iter().any(|t| matches!(t, Token::Pitch(_))) {
        bail!("{} holds no notes: there is no melody to harmonise", path.display());
    }
    let time = melody.time;
    if time.frames_per_bar().is_none() {
        bail!(
            "{} is in {}/{}, a time signature Kantor cannot set: bars must be whole 16ths and at most six quarters ({}); \
             change it in the file",
            path.display(),
            time.numerator,
            time.denominator,
            super::options::TIME_SIGNATURES
        );
    }
    Ok(melody)
}

fn from_midi(path: &Path, bytes: &[u8]) -> Result<Melody> {
    let midi = crate::midi::read_smf_bytes(bytes).with_context(|| format!("cannot read MIDI file {}", path.display()))?;
    match midi.voices.len() {
        0 => bail!("{} holds no notes: there is no melody to harmonise", path.display()),
        1 => {}
        n => bail!(
            "{} holds {n} voices (tracks or channels); harmonize needs a single melody — \
             save only the tune in the file",
            path.display()
        ),
    }
    let time = midi.time.unwrap_or(TimeSignature::COMMON);
    let bent = midi.bent.into_iter().next().unwrap_or_default();
    Ok(Melody { tokens: midi.voices.into_iter().next().unwrap_or_default(), meta: midi.meta, time, bent })
}

fn from_musicxml(path: &Path, bytes: Vec<u8>) -> Result<Melody> {
    let score = crate::corpus::musicxml_from_bytes(path, bytes)?;
    match score.parts.len() {
        0 => bail!("{} has no parts: there is no melody to harmonise", path.display()),
        1 => {}
        n => {
            // A part without a name goes by its id.
            let names: Vec<&str> = score.parts.iter().map(|p| if p.name.trim().is_empty() { p.id.as_str() } else { p.name.as_str() }).collect();
            bail!(
                "{} has {n} parts ({}); harmonize needs a single melody — delete the other parts",
                path.display(),
                names.join(", ")
            )
        }
    }
    if score.warnings.other_voice_notes > 0 {
        bail!(
            "{} writes two voices in one part ({} notes in a second voice); harmonize needs a single melody",
            path.display(),
            score.warnings.other_voice_notes
        );
    }
    let time = score.time.unwrap_or(TimeSignature::COMMON);
    let part = score.parts.into_iter().next().context("no part")?;
    Ok(Melody { tokens: part.tokens, meta: score.meta, time, bent: part.bent })
}

impl Melody {
    /// Bar (1 = the first full bar, 0 = a pickup) and beat (from 1) of frame `index`.
    pub fn bar_and_beat(&self, index: usize) -> (usize, usize) {
        let pickup = self.meta.first().is_some_and(|m| m.position_in_bar != 0);
        let downbeats = self.meta[1..=index.min(self.meta.len().saturating_sub(1))]
            .iter()
            .filter(|m| m.position_in_bar == 0)
            .count();
        let bar = downbeats + usize::from(!pickup);
        let beat_frames = if self.time.denominator == 2 { 8 } else { 4 };
        (bar, self.meta[index].position_in_bar as usize / beat_frames + 1)
    }

    /// Keeps the melody note for note, or says why it cannot: the first place the file
    /// writes something the 16th grid cannot hold (a chord, a tuplet, a note shorter than
    /// a 16th or off the grid, a grace note) is an error naming its bar and beat. With
    /// `simplify` the melody is taken as read onto the grid instead, and the returned line
    /// counts each kind of change (`None` when nothing needed changing).
    pub fn keep_or_simplify(&self, path: &Path, simplify: bool) -> Result<Option<String>> {
        let Some(first) = self.bent.first() else { return Ok(None) };
        let mut counts: BTreeMap<BentKind, usize> = BTreeMap::new();
        for b in &self.bent {
            *counts.entry(b.what).or_default() += 1;
        }
        if simplify {
            let changes: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {}", k.change())).collect();
            return Ok(Some(format!("simplified the melody of {} to fit the 16th-note grid: {}", path.display(), changes.join(", "))));
        }
        let (bar, beat) = self.bar_and_beat(first.frame.min(self.meta.len().saturating_sub(1)));
        let more = match self.bent.len() - 1 {
            0 => String::new(),
            1 => " (and 1 more place)".to_string(),
            n => format!(" (and {n} more places)"),
        };
        bail!(
            "{}: bar {bar}, beat {beat} has {}{more}; harmonize keeps the melody note for note on a 16th-note grid, \
             so it cannot take this as written: write it without, or pass --simplify to have it simplified",
            path.display(),
            first.what.describe(first.rest)
        )
    }

    /// The frame just after the melody's final note (where it falls silent for good).
    pub fn end_of_final_note(&self) -> usize {
        kantor_core::sampler::end_of_final_note(&self.tokens)
    }

    /// Lowest and highest pitch.
    fn extent(&self) -> Option<(u8, u8)> {
        core_melody::extent(&self.tokens)
    }

    /// Moves every note and the key signature by `semitones`.
    fn transpose(&mut self, semitones: i32) {
        core_melody::transpose(&mut self.tokens, &mut self.meta, semitones);
    }

    /// Ends the melody with the bar its final note ends in: music the file runs on with
    /// past that bar (a later end of track, a padding rest) is not part of the piece.
    pub fn end_with_its_last_bar(&mut self) {
        let end = core_melody::end_of_piece(&self.tokens, &self.meta);
        self.tokens.truncate(end);
        self.meta.truncate(end);
    }

    /// Brings the melody into the soprano range (MIDI 60–79). With `transpose` the melody
    /// moves by that many semitones first, and must then fit. Without it, a melody that
    /// already fits stays as it is; one that does not is moved by whole octaves if that
    /// makes it fit (the key stays); otherwise it is an error naming the first note out of
    /// range and the `--transpose` values that would fit. Returns the shift applied.
    pub fn fit_soprano(&mut self, transpose: Option<i32>) -> Result<i32> {
        let range = Voice::Soprano.range();
        let (lo, hi) = self.extent().context("the melody has no notes")?;
        let shift = match transpose {
            Some(s) => s,
            None if range.contains(lo) && range.contains(hi) => 0,
            None => {
                let fits = |s: i32| range.contains((lo as i32 + s).clamp(0, 255) as u8) && range.contains((hi as i32 + s).clamp(0, 255) as u8);
                match core_melody::octave_shift(&self.tokens) {
                    Some(s) => s,
                    None => return Err(self.out_of_range_error(0, fits)),
                }
            }
        };
        let range_ok = |p: u8| range.contains((p as i32 + shift).clamp(0, 255) as u8);
        if !range_ok(lo) || !range_ok(hi) {
            let fits = |s: i32| range.contains((lo as i32 + s).clamp(0, 255) as u8) && range.contains((hi as i32 + s).clamp(0, 255) as u8);
            return Err(self.out_of_range_error(shift, fits));
        }
        if shift != 0 {
            self.transpose(shift);
        }
        Ok(shift)
    }

    fn out_of_range_error(&self, shift: i32, fits: impl Fn(i32) -> bool) -> anyhow::Error {
        let range = Voice::Soprano.range();
        let (index, pitch) = self
            .tokens
            .iter()
            .enumerate()
            .find_map(|(i, t)| t.pitch().map(|p| (i, p as i32 + shift)).filter(|&(_, p)| !(range.lowest as i32..=range.highest as i32).contains(&p)))
            .unwrap_or((0, 0));
        let (bar, beat) = self.bar_and_beat(index);
        let shifted = if shift != 0 { format!(" after transposing by {shift}") } else { String::new() };
        let suggestion = match (-24..=24).filter(|&s| fits(s)).min_by_key(|s: &i32| s.abs()) {
            Some(s) => {
                let other = (-24..=24).filter(|&s| fits(s)).collect::<Vec<_>>();
                format!("; it fits with --transpose between {} and {} (e.g. --transpose {s})", other[0], other[other.len() - 1])
            }
            None => format!(
                "; the melody spans more than the soprano's {} semitones, so no transposition fits",
                range.highest - range.lowest
            ),
        };
        anyhow::anyhow!(
            "note {} (MIDI {pitch}) in bar {bar}, beat {beat}{shifted} lies outside the soprano range {}–{} ({}–{}){suggestion}",
            note_name(pitch),
            range.lowest,
            range.highest,
            note_name(range.lowest as i32),
            note_name(range.highest as i32),
        )
    }

    /// Marks phrase ends when the file marks none: the last beat of every
    /// `fermata_every`-th bar, as `PiecePlan` lays them out. The final note always gets
    /// a fermata, whether the file marks one there or not.
    pub fn ensure_fermatas(&mut self, fermata_every: usize) {
        core_melody::ensure_fermatas(&self.tokens, &mut self.meta, self.time, fermata_every);
    }
}

/// The frame just after the final note of a line (where it falls silent for good).
pub fn end_of_final_note(tokens: &[Token]) -> usize {
    let Some(last) = tokens.iter().rposition(|t| matches!(t, Token::Pitch(_))) else { return 0 };
    tokens[last + 1..].iter().position(|t| *t != Token::Hold).map_or(tokens.len(), |i| last + 1 + i)
}

/// A MIDI number as a note name with octave (60 = C4).
pub fn note_name(pitch: i32) -> String {
    const NAMES: [&str; 12] = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
    format!("{}{}", NAMES[pitch.rem_euclid(12) as usize], pitch.div_euclid(12) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kantor_core::KeySignature;

    fn melody(pitches: &[u8]) -> Melody {
        let key = KeySignature { fifths: 1 };
        let mut tokens = Vec::new();
        for &p in pitches {
            tokens.extend([Token::Pitch(p), Token::Hold, Token::Hold, Token::Hold]);
        }
        let meta = (0..tokens.len()).map(|i| FrameMeta::on_grid(TimeSignature::COMMON, key, kantor_core::Mode::Major, 12, i)).collect();
        Melody { tokens, meta, time: TimeSignature::COMMON, bent: Vec::new() }
    }

    #[test]
    fn in_range_melody_stays() {
        let mut m = melody(&[67, 72, 71, 69]);
        assert_eq!(m.fit_soprano(None).unwrap(), 0);
        assert_eq!(m.tokens[4], Token::Pitch(72));
    }

    #[test]
    fn low_melody_moves_up_an_octave() {
        let mut m = melody(&[55, 60, 59, 57]);
        assert_eq!(m.fit_soprano(None).unwrap(), 12);
        assert_eq!(m.tokens[0], Token::Pitch(67));
        assert_eq!(m.meta[0].key, KeySignature { fifths: 1 });
    }

    #[test]
    fn out_of_range_names_the_note_and_a_fix() {
        // Span 58..77 fits only by semitones, not octaves.
        let mut m = melody(&[67, 58, 77, 60]);
        let e = m.fit_soprano(None).unwrap_err().to_string();
        assert!(e.contains("Bb3") && e.contains("bar 1, beat 1") && e.contains("--transpose 2"), "{e}");
        assert_eq!(m.fit_soprano(Some(2)).unwrap(), 2);
        assert_eq!(m.meta[0].key, KeySignature { fifths: 3 });
        let mut wide = melody(&[50, 80]);
        let e = wide.fit_soprano(None).unwrap_err().to_string();
        assert!(e.contains("no transposition fits"), "{e}");
        assert!(melody(&[67]).fit_soprano(Some(20)).is_err());
    }

    #[test]
    fn fermatas_added_only_when_missing() {
        let mut m = melody(&[67; 12]); // pickup of a quarter, then 2¾ bars
        m.ensure_fermatas(2);
        let marked: Vec<usize> = (0..m.meta.len()).filter(|&i| m.meta[i].fermata).collect();
        assert_eq!(marked, (32..36).chain(44..48).collect::<Vec<_>>());
        // A file that marks a fermata, but not on its final note: the final note gets one.
        let mut m = melody(&[67; 12]);
        m.meta[8].fermata = true;
        m.ensure_fermatas(2);
        let marked: Vec<usize> = (0..m.meta.len()).filter(|&i| m.meta[i].fermata).collect();
        assert_eq!(marked, [8].into_iter().chain(44..48).collect::<Vec<_>>());
    }

    #[test]
    fn bent_notes_are_refused_with_bar_and_beat_or_counted() {
        let mut m = melody(&[67, 72, 71, 69, 67, 67, 67, 67]);
        let path = Path::new("tune.mid");
        assert_eq!(m.keep_or_simplify(path, false).unwrap(), None);
        m.bent = vec![
            Bent { frame: 21, what: BentKind::Tuplet, rest: false },
            Bent { frame: 22, what: BentKind::Tuplet, rest: false },
            Bent { frame: 30, what: BentKind::Chord, rest: false },
        ];
        // A quarter pickup: frame 21 is in bar 2, beat 1 (frames 20–23).
        let e = m.keep_or_simplify(path, false).unwrap_err().to_string();
        assert!(e.contains("tune.mid: bar 2, beat 1 has a note of a tuplet (and 2 more places)") && e.contains("--simplify"), "{e}");
        let note = m.keep_or_simplify(path, true).unwrap().unwrap();
        assert!(note.contains("1 chord notes dropped") && note.contains("2 tuplet notes"), "{note}");
    }

    #[test]
    fn the_final_note_ends_where_silence_begins() {
        let mut m = melody(&[67, 72]);
        assert_eq!(m.end_of_final_note(), 8);
        m.tokens[6] = Token::Rest;
        assert_eq!(m.end_of_final_note(), 6);
    }

    #[test]
    fn a_melody_ends_with_the_bar_its_final_note_ends_in() {
        // A quarter pickup and a bar whose final note ends two 16ths before the bar line;
        // the file runs on four 16ths of silence past that bar line.
        let mut m = melody(&[67, 72, 71, 69, 67]);
        m.tokens.truncate(18);
        m.tokens.extend([Token::Rest, Token::Hold, Token::Hold, Token::Hold, Token::Hold, Token::Hold]);
        m.meta = (0..m.tokens.len()).map(|i| FrameMeta::on_grid(TimeSignature::COMMON, KeySignature { fifths: 1 }, kantor_core::Mode::Major, 12, i)).collect();
        m.end_with_its_last_bar();
        assert_eq!(m.tokens.len(), 20, "the rest fills the bar; no bar of rest follows");
        assert_eq!(m.meta.len(), 20);
        assert_eq!(m.tokens[18], Token::Rest);
    }
}
