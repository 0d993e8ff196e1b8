//! Measuring whole sets of pieces against a reference set.

use super::copying::TrainingIndex;
use super::metrics::{measure, pooled_histograms, Piece, PieceMetrics};
use super::table::EvalSet;
use super::two_sample::TwoSampleReport;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::Path;

/// Pieces to evaluate, before measuring.
#[derive(Clone, Debug)]
pub struct Candidates {
    pub label: String,
    pub settings: Option<String>,
    pub pieces: Vec<Piece>,
}

/// The reference set and every evaluated set, measured and compared.
#[derive(Clone, Debug, Serialize)]
pub struct Evaluation {
    pub reference: EvalSet,
    pub sets: Vec<EvalSet>,
    /// Training chorales searched for copies (0 if copy detection was off).
    pub training_chorales: usize,
    /// The classifier two-sample test of every set against the reference, when it ran.
    pub two_sample: Option<TwoSampleReport>,
}

impl Evaluation {
    /// Reference first, then the evaluated sets: the columns of the table.
    pub fn columns(&self) -> Vec<EvalSet> {
        std::iter::once(self.reference.clone())
            .chain(self.sets.iter().cloned())
            .collect()
    }

    /// Writes everything (per piece and summaries) as pretty JSON.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        #[derive(Serialize)]
        struct SetJson<'a> {
            label: &'a str,
            settings: &'a Option<String>,
            summary: Vec<super::table::MetricSummary>,
            pieces: &'a [PieceMetrics],
        }
        let sets: Vec<SetJson> = std::iter::once(&self.reference)
            .chain(&self.sets)
            .map(|s| SetJson {
                label: &s.label,
                settings: &s.settings,
                summary: s.summaries(),
                pieces: &s.pieces,
            })
            .collect();
        let json = serde_json::json!({
            "reference": self.reference.label,
            "training_chorales": self.training_chorales,
            "sets": sets,
            "two_sample": self.two_sample,
        });
        let text =
            serde_json::to_string_pretty(&json).context("cannot encode the metrics as JSON")?;
        crate::outfile::write(path, text.as_bytes())
    }
}

fn bar(len: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("measuring {bar:40} {pos}/{len} pieces ({eta})")
    {
        pb.set_style(style);
    }
    pb
}

/// Measures the reference and every candidate set. Histogram distances are taken from
/// the reference set's pooled histograms (for a reference piece, from the pool without
/// that piece, so Bach is not compared with himself).
pub fn evaluate(
    reference_label: &str,
    reference: &[Piece],
    candidates: &[Candidates],
    training: Option<&TrainingIndex>,
    progress: bool,
) -> Evaluation {
    let total = reference.len() + candidates.iter().map(|c| c.pieces.len()).sum::<usize>();
    let pb = bar(total, progress);
    let run = |pieces: &[Piece]| -> Vec<PieceMetrics> {
        pieces
            .iter()
            .map(|p| {
                let m = measure(p, training);
                pb.inc(1);
                m
            })
            .collect()
    };
    let mut reference_metrics = run(reference);
    let mut sets: Vec<EvalSet> = candidates
        .iter()
        .map(|c| EvalSet {
            label: c.label.clone(),
            settings: c.settings.clone(),
            pieces: run(&c.pieces),
        })
        .collect();
    pb.finish_and_clear();
    let pool = pooled_histograms(&reference_metrics);
    for m in &mut reference_metrics {
        let others = pool.without(&m.histograms);
        m.compare(&others);
    }
    for m in sets.iter_mut().flat_map(|s| s.pieces.iter_mut()) {
        m.compare(&pool);
    }
    Evaluation {
        reference: EvalSet {
            label: reference_label.to_string(),
            settings: None,
            pieces: reference_metrics,
        },
        sets,
        training_chorales: training.map_or(0, TrainingIndex::chorales),
        two_sample: None,
    }
}
