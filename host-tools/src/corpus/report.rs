//! What `kantor prepare` did, in numbers.

use super::dedup::DuplicatePair;
use super::warnings::Warnings;
use super::mode::{Evidence, Labelled};
use crate::dataset::{Dataset, Split};
use kantor_core::chorale::voice_extent;
use kantor_core::{Mode, TimeSignature, Voice};
use std::collections::BTreeMap;
use std::fmt;

/// Why a file did not make it into the dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// Not a file Kantor can parse (bad zip, malformed XML, not score-partwise, …).
    Unreadable,
    /// Not four parts, and not four parts clearly named soprano, alto, tenor, bass.
    NotFourParts,
    /// No time signature, one the encoding cannot mark, or a change of time signature.
    UnsupportedTime,
    /// Some voice leaves its range whatever the transposition.
    OutOfRange,
    /// No frames at all.
    Empty,
}

impl SkipReason {
    /// Short label for the summary.
    pub const fn label(self) -> &'static str {
        match self {
            SkipReason::Unreadable => "unreadable or malformed",
            SkipReason::NotFourParts => "not four parts",
            SkipReason::UnsupportedTime => "unsupported time signature",
            SkipReason::OutOfRange => "out of range in every transposition",
            SkipReason::Empty => "empty",
        }
    }
}

/// One skipped file.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub source: String,
    pub reason: SkipReason,
    /// One line saying what exactly was wrong.
    pub detail: String,
}

/// The outcome of preparing a corpus.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Score files found and read (or tried).
    pub files_read: usize,
    pub skipped: Vec<Skipped>,
    /// Chorales kept after transposing them into range: (source, semitones).
    pub transposed: Vec<(String, i32)>,
    /// Chorales read from scores with more than four parts (instruments doubling the
    /// choir), from which the four named vocal parts were taken: (source, parts in score).
    pub vocal_parts_taken: Vec<(String, usize)>,
    /// Duplicates dropped, each with the chorale it repeats.
    pub duplicates: Vec<DuplicatePair>,
    /// Constructs simplified while reading (summed over kept and skipped files).
    pub warnings: Warnings,
    /// Chorales and frames per split (train, valid, test).
    pub chorales_per_split: [usize; 3],
    pub frames_per_split: [usize; 3],
    /// Lowest and highest pitch each voice sings across the dataset (S, A, T, B).
    pub voice_ranges: [Option<(u8, u8)>; 4],
    /// Chorales per time signature.
    pub time_signatures: BTreeMap<(u8, u8), usize>,
    /// Each imported chorale's key as labelled (duplicates dropped later included).
    pub keys: Vec<(String, Labelled)>,
    /// Chorales kept per mode (major, minor) and split (train, valid, test).
    pub modes_per_split: [[usize; 3]; 2],
    /// Wall-clock seconds taken.
    pub seconds: f64,
}

impl Report {
    /// Fills in the dataset's statistics (splits, ranges, time signatures).
    pub fn describe(&mut self, dataset: &Dataset) {
        for (i, split) in Split::ALL.into_iter().enumerate() {
            self.chorales_per_split[i] = dataset.split(split).count();
            self.frames_per_split[i] = dataset.split(split).map(|c| c.frames.len()).sum();
        }
        for v in Voice::ALL {
            self.voice_ranges[v.index()] = dataset
                .chorales
                .iter()
                .filter_map(|c| voice_extent(&c.frames, v))
                .fold(None, |acc, (lo, hi)| {
                    Some(match acc {
                        None => (lo, hi),
                        Some((a, b)) => (lo.min(a), hi.max(b)),
                    })
                });
        }
        self.modes_per_split = [[0; 3]; 2];
        for c in &dataset.chorales {
            let mode = c.frames.last().map_or(Mode::Major, |f| f.meta.mode);
            let split = Split::ALL.iter().position(|&s| s == c.split).unwrap_or(0);
            self.modes_per_split[(mode == Mode::Minor) as usize][split] += 1;
        }
        self.time_signatures.clear();
        for c in &dataset.chorales {
            let TimeSignature {
                numerator,
                denominator,
            } = c.time;
            *self
                .time_signatures
                .entry((numerator, denominator))
                .or_default() += 1;
        }
    }

    /// Chorales kept.
    pub fn kept(&self) -> usize {
        self.chorales_per_split.iter().sum()
    }

    /// Skipped files per reason.
    pub fn skipped_by_reason(&self) -> BTreeMap<SkipReason, usize> {
        let mut m = BTreeMap::new();
        for s in &self.skipped {
            *m.entry(s.reason).or_default() += 1;
        }
        m
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.skipped {
            writeln!(
                f,
                "skipped {}: {}: {}",
                s.source,
                s.reason.label(),
                s.detail
            )?;
        }
        for (s, semis) in &self.transposed {
            writeln!(
                f,
                "transposed {s} by {semis:+} semitones to fit the voice ranges"
            )?;
        }
        for d in &self.duplicates {
            let how = if d.similarity >= 1.0 {
                "same music".to_owned()
            } else {
                format!("{:.0} % of frames equal", d.similarity * 100.0)
            };
            writeln!(
                f,
                "duplicate: {} repeats {} ({how}); kept {}",
                d.duplicate, d.kept, d.kept
            )?;
        }
        writeln!(f, "files read:        {}", self.files_read)?;
        writeln!(f, "chorales kept:     {}", self.kept())?;
        let by_reason = self.skipped_by_reason();
        writeln!(f, "skipped:           {}", self.skipped.len())?;
        for (reason, n) in by_reason {
            writeln!(f, "  {:<34} {n}", reason.label())?;
        }
        writeln!(f, "transposed:        {}", self.transposed.len())?;
        writeln!(
            f,
            "vocal parts taken: {} (scores with instruments; only S, A, T, B read)",
            self.vocal_parts_taken.len()
        )?;
        writeln!(f, "duplicates:        {} pairs", self.duplicates.len())?;
        writeln!(f, "simplified:        {}", self.warnings)?;
        for (i, split) in Split::ALL.into_iter().enumerate() {
            writeln!(
                f,
                "{:<6} chorales {:>4}, frames {:>6}",
                split.name(),
                self.chorales_per_split[i],
                self.frames_per_split[i]
            )?;
        }
        for v in Voice::ALL {
            let r = v.range();
            match self.voice_ranges[v.index()] {
                Some((lo, hi)) => writeln!(
                    f,
                    "{:<8} sings {lo}–{hi} (allowed {}–{})",
                    v.name(),
                    r.lowest,
                    r.highest
                )?,
                None => writeln!(f, "{:<8} never sings", v.name())?,
            }
        }
        let times: Vec<String> = self
            .time_signatures
            .iter()
            .map(|((n, d), c)| format!("{n}/{d}: {c}"))
            .collect();
        writeln!(f, "time signatures:   {}", times.join(", "))?;
        for (mode, per_split) in ["major", "minor"].iter().zip(self.modes_per_split) {
            writeln!(f, "{mode}:             {} (train {}, valid {}, test {})", per_split.iter().sum::<usize>(), per_split[0], per_split[1], per_split[2])?;
        }
        let mut by_evidence: BTreeMap<Evidence, usize> = BTreeMap::new();
        for (_, l) in &self.keys {
            *by_evidence.entry(l.evidence).or_default() += 1;
        }
        for (evidence, n) in by_evidence {
            writeln!(f, "  {:<44} {n}", evidence.label())?;
        }
        let disagree: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, l)| !l.agrees())
            .map(|(s, l)| format!("{s} ({}; key finding: {})", l.key, l.found.map_or("none".to_string(), |k| k.to_string())))
            .collect();
        writeln!(f, "key finding disagrees with the label: {} of {}", disagree.len(), self.keys.len())?;
        for d in disagree {
            writeln!(f, "  {d}")?;
        }
        write!(f, "time taken:        {:.2} s", self.seconds)
    }
}
