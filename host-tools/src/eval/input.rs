//! Where the pieces come from: MIDI files and folders, or a split of a prepared dataset.

use super::metrics::Piece;
use crate::dataset::{Dataset, Split};
use crate::midi::read_smf_bytes;
use anyhow::{bail, Context, Result};
use kantor_core::{Frame, TimeSignature, Token};
use std::path::{Path, PathBuf};

/// Whether `path` ends in one of `extensions` (any case).
fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The files of folder `dir` (not recursing) with one of `extensions`, sorted by name;
/// an error if there are none (`what` names them).
fn files_in(dir: &Path, extensions: &[&str], what: &str) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && has_extension(p, extensions))
        .collect();
    if found.is_empty() {
        bail!("folder {} holds no {what}", dir.display());
    }
    found.sort();
    Ok(found)
}

/// The MIDI files named: files as given, folders as their `.mid`/`.midi` files (not
/// recursing), sorted by name.
pub fn midi_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(files_in(path, &["mid", "midi"], ".mid files")?);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{} does not exist", path.display());
        }
    }
    Ok(files)
}

/// Reads one four-voice chorale from a MIDI file.
pub fn read_chorale(path: &Path) -> Result<Piece> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    chorale_from_bytes(path, &bytes)
}

/// [`read_chorale`] on a file's bytes already in memory (`path` names it in errors).
pub fn chorale_from_bytes(path: &Path, bytes: &[u8]) -> Result<Piece> {
    let midi = read_smf_bytes(bytes).with_context(|| format!("cannot read MIDI file {}", path.display()))?;
    if midi.voices.len() != 4 {
        bail!(
            "{} has {} voice{}; a chorale needs four (soprano, alto, tenor, bass as four tracks or four channels)",
            path.display(),
            midi.voices.len(),
            if midi.voices.len() == 1 { "" } else { "s" }
        );
    }
    if midi.is_empty() {
        bail!("{} holds no music", path.display());
    }
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(Piece {
        name,
        time: midi.time.unwrap_or(TimeSignature::COMMON),
        frames: midi.frames(),
        cost: None,
    })
}

/// Reads every chorale named by `paths` (files or folders).
pub fn read_chorales(paths: &[PathBuf]) -> Result<Vec<Piece>> {
    midi_files(paths)?.iter().map(|p| read_chorale(p)).collect()
}

/// The melodies in folder `dir` (.musicxml, .xml, .mxl, .mid, .midi; sorted by name),
/// each read as `kantor harmonize` reads it with its defaults, as the plan of a piece:
/// the melody in the soprano, the other voices silent until composed.
pub fn melody_plans(dir: &Path) -> Result<Vec<Piece>> {
    files_in(dir, &["musicxml", "xml", "mxl", "mid", "midi"], "melodies (.musicxml, .xml, .mxl, .mid)")?
        .iter()
        .map(|path| {
            let melody = crate::compose::melody_to_harmonize(path, false, None, crate::compose::FERMATA_EVERY as usize, None)?;
            let frames = melody
                .tokens
                .iter()
                .zip(&melody.meta)
                .enumerate()
                .map(|(i, (&soprano, &meta))| {
                    let silent = if i == 0 { Token::Rest } else { Token::Hold };
                    Frame { tokens: [soprano, silent, silent, silent], meta }
                })
                .collect();
            let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
            Ok(Piece { name, time: melody.time, frames, cost: None })
        })
        .collect()
}

/// The chorales of one split of a dataset.
pub fn dataset_pieces(dataset: &Dataset, split: Split) -> Vec<Piece> {
    dataset
        .split(split)
        .map(|c| Piece {
            name: c.source.clone(),
            time: c.time,
            frames: c.frames.clone(),
            cost: None,
        })
        .collect()
}

/// What the pieces are measured against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceSpec {
    /// A split of the dataset.
    Split(Split),
    /// MIDI files or a folder of them.
    Files(PathBuf),
}

/// Parses `--reference`: `test`, `valid`, `train`, or a path.
pub fn parse_reference(text: &str) -> Result<ReferenceSpec, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "test" => ReferenceSpec::Split(Split::Test),
        "valid" | "validation" => ReferenceSpec::Split(Split::Valid),
        "train" | "training" => ReferenceSpec::Split(Split::Train),
        _ if text.is_empty() => return Err("empty reference".into()),
        _ => ReferenceSpec::Files(PathBuf::from(text)),
    })
}

/// Column title of a split of Bach's chorales.
pub fn split_label(split: Split) -> &'static str {
    match split {
        Split::Train => "Bach (training)",
        Split::Valid => "Bach (validation)",
        Split::Test => "held-out Bach",
    }
}
