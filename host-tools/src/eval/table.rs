//! Sets of measured pieces, their summaries, and the metric table (plain text for the
//! terminal, Markdown for the report).

use super::metrics::{Group, PieceMetrics, METRICS};
use super::summary::Summary;
use serde::Serialize;

/// A set of measured pieces: what is evaluated, or the reference.
#[derive(Clone, Debug, Serialize)]
pub struct EvalSet {
    /// Column title, e.g. "held-out Bach" or "generated (100 steps)".
    pub label: String,
    /// Sampler settings when the sampler made the set here.
    pub settings: Option<String>,
    pub pieces: Vec<PieceMetrics>,
}

/// One metric summarised over a set.
#[derive(Clone, Debug, Serialize)]
pub struct MetricSummary {
    pub key: &'static str,
    #[serde(skip)]
    pub label: &'static str,
    #[serde(skip)]
    pub group: Group,
    pub summary: Option<Summary>,
}

impl EvalSet {
    /// Every metric of [`METRICS`] summarised over the set's pieces.
    pub fn summaries(&self) -> Vec<MetricSummary> {
        METRICS
            .iter()
            .map(|m| MetricSummary {
                key: m.key,
                label: m.label,
                group: m.group,
                summary: Summary::of(self.pieces.iter().map(m.get)),
            })
            .collect()
    }

    /// Mean of one metric over the set (by key).
    pub fn mean(&self, key: &str) -> Option<f64> {
        let m = METRICS.iter().find(|m| m.key == key)?;
        Summary::of(self.pieces.iter().map(m.get)).map(|s| s.mean)
    }
}

/// A number with as many decimals as its size deserves.
pub fn format_value(x: f64) -> String {
    let a = x.abs();
    if x.fract() == 0.0 && a < 1e9 {
        format!("{}", x as i64)
    } else if a < 1.0 {
        format!("{x:.3}")
    } else if a < 100.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.1}")
    }
}

/// Rows of the table: per group, the metrics at least one set has a value for, with each
/// set's summary.
fn rows(sets: &[EvalSet]) -> Vec<(Group, &'static str, Vec<Option<Summary>>)> {
    let all: Vec<Vec<MetricSummary>> = sets.iter().map(EvalSet::summaries).collect();
    (0..METRICS.len())
        .map(|i| {
            (
                METRICS[i].group,
                METRICS[i].label,
                all.iter().map(|s| s[i].summary).collect::<Vec<_>>(),
            )
        })
        .filter(|(_, _, values)| values.iter().any(Option::is_some))
        .collect()
}

/// The plain-text table: per set, mean, median and standard deviation over pieces.
pub fn text_table(sets: &[EvalSet]) -> String {
    const LABEL: usize = 38;
    const CELL: usize = 9;
    let set_width = 3 * CELL + 2;
    let mut out = String::new();
    out += &format!("{:LABEL$}", "");
    for s in sets {
        let title = format!("{} (n={})", s.label, s.pieces.len());
        out += &format!(" | {:^set_width$}", truncate(&title, set_width));
    }
    out += &format!("\n{:LABEL$}", "");
    for _ in sets {
        out += &format!(" | {:>CELL$} {:>CELL$} {:>CELL$}", "mean", "median", "sd");
    }
    out.push('\n');
    let mut group = None;
    for (g, label, values) in rows(sets) {
        if group != Some(g) {
            group = Some(g);
            out += &format!("{}\n", g.title());
        }
        out += &format!("  {:width$}", truncate(label, LABEL - 2), width = LABEL - 2);
        for v in values {
            match v {
                Some(s) => {
                    out += &format!(
                        " | {:>CELL$} {:>CELL$} {:>CELL$}",
                        format_value(s.mean),
                        format_value(s.median),
                        format_value(s.sd)
                    )
                }
                None => out += &format!(" | {:>CELL$} {:>CELL$} {:>CELL$}", "-", "", ""),
            }
        }
        out.push('\n');
    }
    out
}

/// The Markdown table: one column per set, "mean (median, sd)".
pub fn markdown_table(sets: &[EvalSet]) -> String {
    let mut out = String::from("| metric |");
    for s in sets {
        out += &format!(" {} (n={}) |", s.label, s.pieces.len());
    }
    out += "\n|---|";
    out += &"---|".repeat(sets.len());
    out.push('\n');
    let mut group = None;
    for (g, label, values) in rows(sets) {
        if group != Some(g) {
            group = Some(g);
            out += &format!("| **{}** |{}\n", g.title(), " |".repeat(sets.len()));
        }
        out += &format!("| {} |", label.trim());
        for v in values {
            match v {
                Some(s) => {
                    out += &format!(
                        " {} ({}, ±{}) |",
                        format_value(s.mean),
                        format_value(s.median),
                        format_value(s.sd)
                    )
                }
                None => out += " – |",
            }
        }
        out.push('\n');
    }
    out
}

/// A per-piece Markdown table of the main metrics.
pub fn markdown_pieces(set: &EvalSet, keys: &[&str]) -> String {
    let metrics: Vec<_> = keys
        .iter()
        .filter_map(|k| METRICS.iter().find(|m| m.key == *k))
        .collect();
    let mut out = String::from("| piece | key |");
    for m in &metrics {
        out += &format!(" {} |", m.label.trim());
    }
    out += "\n|---|---|";
    out += &"---|".repeat(metrics.len());
    out.push('\n');
    for p in &set.pieces {
        let key = p.key.map_or_else(|| "–".to_string(), |k| k.name());
        out += &format!("| {} | {} |", p.name, key);
        for m in &metrics {
            let value = (m.get)(p).map_or_else(|| "–".to_string(), format_value);
            match (&p.copied_from, m.key) {
                (Some(from), "longest_copy_frames") if (m.get)(p).is_some_and(|v| v > 0.0) => {
                    out += &format!(" {value} ({from}) |")
                }
                _ => out += &format!(" {value} |"),
            }
        }
        out.push('\n');
    }
    out
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        s.chars()
            .take(width.saturating_sub(1))
            .chain(std::iter::once('…'))
            .collect()
    }
}
