//! MusicXML corpus import: `kantor prepare`.
//!
//! Reading scores, for any room:
//! - [`read_musicxml`] reads any MusicXML file (`.mxl`, `.xml`, `.musicxml`; one part or
//!   many) onto the 16th-note grid: a [`ParsedScore`] with one [`PartTokens`] per part
//!   (top to bottom) and the frame metadata (bar position, fermata, key). `kantor
//!   harmonize --melody tune.musicxml` reads its melody with it: `score.parts[0].tokens`.
//! - [`parse_musicxml`] does the same from text.
//!
//! Preparing a corpus: [`prepare`] turns a folder of four-part chorales into a
//! [`Dataset`] and a [`Report`]; [`run`] is the command.
//!
//! How a score becomes tokens: onsets and ends are rounded to the 16th grid (a note that
//! collapses to nothing is dropped and counted); a note starts with its Pitch token and
//! Holds while it lasts, across ties; a rest is Rest then Holds; grace and cue notes are
//! skipped; of a chord only the top note is kept; of several voices in a part only the
//! first; repeats are not expanded. A short first measure is a pickup, so its frames sit
//! at the end of the bar. A fermata on any part marks every frame of its note.
//!
//! Which scores make chorales: four parts (S, A, T, B in score order), or more parts of
//! which exactly four are named Soprano, Alto, Tenor and Bass (Bach's chorales with
//! instruments doubling the choir; the instruments are left out). Scores that fit the
//! voice ranges only in another key are transposed by the smallest amount that fits.
//! Repeated chorales (the same music in any key, or nearly the same) are kept once. The
//! split into train / valid / test follows a hash of the transposition-normalised music.

mod dedup;
mod grid;
pub mod mode;
mod musicxml;
mod mxl;
mod parts;
mod report;
mod split;
mod warnings;

pub use dedup::DuplicatePair;
pub use grid::{ParsedScore, PartTokens};
pub use report::{Report, SkipReason, Skipped};
pub use warnings::{Bent, BentKind, Warnings};

use crate::dataset::{Dataset, DatasetChorale};
use anyhow::{bail, Context, Result};
use kantor_core::chorale::{transpose, transposition_span};
use kantor_core::{Frame, TimeSignature};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Default near-duplicate threshold: share of frames two chorales must have in common.
pub const DEFAULT_NEAR_DUPLICATE: f64 = 0.9;

/// Arguments of `kantor prepare`.
#[derive(clap::Args, Debug)]
pub struct PrepareArgs {
    /// Folder of MusicXML scores (`.mxl`, `.xml`, `.musicxml`), searched recursively,
    /// e.g. music21's `corpus/bach` folder (fetch it with `.ci/corpus.sh DIR`).
    #[arg(long, value_name = "DIR")]
    pub input: PathBuf,
    /// Where to write the dataset.
    #[arg(long, value_name = "FILE", default_value = "models/bach-chorales.kds")]
    pub output: PathBuf,
    /// Two chorales count as the same when at least this share (0–1) of their frames are
    /// equal, after normalising transposition; the later one by file name is dropped.
    /// Above 1 only exact duplicates are removed [range: more than 0, up to 2].
    #[arg(long, value_name = "SHARE", default_value_t = DEFAULT_NEAR_DUPLICATE, value_parser = crate::ranges::above(0.0, 2.0))]
    pub near_duplicate: f64,
    /// Do not show a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// `kantor prepare`: import, report, write the dataset.
pub fn run(args: PrepareArgs) -> Result<()> {
    if !(args.near_duplicate.is_finite() && args.near_duplicate > 0.0) {
        bail!(
            "--near-duplicate must be a positive share, e.g. 0.9 (got {})",
            args.near_duplicate
        );
    }
    crate::outfile::output_kind(&args.output)?;
    let (dataset, report) = prepare(&args.input, args.near_duplicate, !args.quiet)?;
    println!("{report}");
    if dataset.chorales.is_empty() {
        bail!(
            "no usable chorale in {}: nothing written",
            args.input.display()
        );
    }
    dataset.save(&args.output)?;
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "wrote {} ({} chorales, {:.1} KiB)",
        args.output.display(),
        dataset.chorales.len(),
        size as f64 / 1024.0
    );
    Ok(())
}

/// Reads any MusicXML score onto the 16th grid (see the module docs).
pub fn read_musicxml(path: &Path) -> Result<ParsedScore> {
    let text = mxl::read_score_text(path)?;
    parse_musicxml(&text).with_context(|| format!("cannot read {}", path.display()))
}

/// [`read_musicxml`] on a file's bytes already in memory: `path` only decides whether
/// they are unzipped (`.mxl`) and names the file in errors.
pub fn musicxml_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<ParsedScore> {
    let text = mxl::score_text(path, bytes)?;
    parse_musicxml(&text).with_context(|| format!("cannot read {}", path.display()))
}

/// Parses MusicXML text (`score-partwise`) onto the 16th grid.
pub fn parse_musicxml(xml: &str) -> Result<ParsedScore> {
    let mut warnings = Warnings::default();
    let raw = musicxml::parse_parts(xml, &mut warnings)?;
    Ok(grid::quantise(raw, warnings))
}

/// A chorale that passed every check, before duplicates are removed.
struct Candidate {
    source: String,
    time: TimeSignature,
    frames: Vec<Frame>,
}

/// Imports every score under `input` (sorted by path) into a dataset. `near_duplicate`
/// is the share of equal frames from which two chorales count as the same (above 1:
/// exact duplicates only). Files that cannot be used are listed in the report, never
/// an error; only an unreadable folder is.
pub fn prepare(input: &Path, near_duplicate: f64, progress: bool) -> Result<(Dataset, Report)> {
    let started = Instant::now();
    let files = score_files(input)?;
    let mut report = Report {
        files_read: files.len(),
        ..Report::default()
    };
    let bar = if progress {
        indicatif::ProgressBar::new(files.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} scores {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut candidates = Vec::new();
    for path in &files {
        let source = relative_name(input, path);
        bar.set_message(source.clone());
        match import_one(path, &source, &mut report) {
            Ok(c) => candidates.push(c),
            Err((reason, detail)) => report.skipped.push(Skipped {
                source,
                reason,
                detail,
            }),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let names: Vec<String> = candidates.iter().map(|c| c.source.clone()).collect();
    let normalised: Vec<dedup::Normalised> = candidates
        .iter()
        .map(|c| dedup::normalise(&c.frames))
        .collect();
    let duplicates = dedup::find_duplicates(&names, &normalised, near_duplicate);
    let mut dataset = Dataset::default();
    for ((c, norm), dup) in candidates.into_iter().zip(&normalised).zip(duplicates) {
        match dup {
            Some(pair) => report.duplicates.push(pair),
            None => dataset.chorales.push(DatasetChorale {
                source: c.source,
                split: split::split_for(norm.content_hash()),
                time: c.time,
                frames: c.frames,
            }),
        }
    }
    report.describe(&dataset);
    report.seconds = started.elapsed().as_secs_f64();
    Ok((dataset, report))
}

/// One score into a candidate chorale, or why not.
fn import_one(
    path: &Path,
    source: &str,
    report: &mut Report,
) -> Result<Candidate, (SkipReason, String)> {
    let score = read_musicxml(path).map_err(|e| (SkipReason::Unreadable, one_line(&e)))?;
    import_score(score, source, report)
}

/// What `kantor prepare` makes of one score file's bytes (named `path`): the chorale as a
/// one-entry dataset, or why the file is skipped, with the report of the import. The
/// per-file half of [`prepare`], for tests and fuzzing.
pub fn import_bytes(path: &Path, bytes: Vec<u8>) -> (Result<Dataset, (SkipReason, String)>, Report) {
    let source = path.display().to_string();
    let mut report = Report { files_read: 1, ..Report::default() };
    let imported = musicxml_from_bytes(path, bytes)
        .map_err(|e| (SkipReason::Unreadable, one_line(&e)))
        .and_then(|score| import_score(score, &source, &mut report))
        .map(|c| {
            let norm = dedup::normalise(&c.frames);
            let chorale = DatasetChorale { source: c.source, split: split::split_for(norm.content_hash()), time: c.time, frames: c.frames };
            Dataset { chorales: vec![chorale] }
        });
    if let Ok(dataset) = &imported {
        report.describe(dataset);
    }
    (imported, report)
}

/// A parsed score into a candidate chorale, or why not.
fn import_score(score: ParsedScore, source: &str, report: &mut Report) -> Result<Candidate, (SkipReason, String)> {
    report.warnings.add(&score.warnings);
    let satb = parts::choose_satb(&score).map_err(|d| (SkipReason::NotFourParts, d))?;
    if score.parts.len() > satb.len() {
        report
            .vocal_parts_taken
            .push((source.to_owned(), score.parts.len()));
    }
    let time = score
        .time
        .ok_or((SkipReason::UnsupportedTime, "no time signature".to_owned()))?;
    if time.frames_per_bar().is_none() {
        return Err((
            SkipReason::UnsupportedTime,
            format!(
                "{}/{} is not a whole number of 16ths up to six quarters",
                time.numerator, time.denominator
            ),
        ));
    }
    if score.time_changes {
        return Err((
            SkipReason::UnsupportedTime,
            format!(
                "changes time signature after {}/{}",
                time.numerator, time.denominator
            ),
        ));
    }
    let mut frames = parts::satb_frames(&score, satb);
    if frames.is_empty() {
        return Err((SkipReason::Empty, "no notes".to_owned()));
    }
    let (down, up) = transposition_span(&frames)
        .ok_or_else(|| (SkipReason::OutOfRange, range_detail(&frames)))?;
    if down > 0 || up < 0 {
        let semitones = if down > 0 { down } else { up };
        transpose(&mut frames, semitones);
        report.transposed.push((source.to_owned(), semitones));
    }
    if let Some(labelled) = mode::label(&frames) {
        mode::apply(&mut frames, labelled.key);
        report.keys.push((source.to_owned(), labelled));
    }
    Ok(Candidate {
        source: source.to_owned(),
        time,
        frames,
    })
}

/// Each voice's extent against its range, for a skip line.
fn range_detail(frames: &[Frame]) -> String {
    let parts: Vec<String> = kantor_core::Voice::ALL
        .into_iter()
        .filter_map(|v| {
            let (lo, hi) = kantor_core::chorale::voice_extent(frames, v)?;
            let r = v.range();
            Some(format!(
                "{} {lo}–{hi} (range {}–{})",
                v.letter(),
                r.lowest,
                r.highest
            ))
        })
        .collect();
    parts.join(", ")
}

/// An error chain on one line.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}").replace(['\n', '\r'], " ")
}

/// Score files under `dir`, recursively, sorted by path.
fn score_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(dir)
        .with_context(|| format!("cannot open input folder {}", dir.display()))?;
    if !meta.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).with_context(|| format!("cannot list {}", d.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot list {}", d.display()))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if mxl::is_score_file(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `root`, with `/` separators.
fn relative_name(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
