//! The Markdown report: what was measured, the metric table, histograms against the
//! reference, piano rolls of a few pieces, a table per piece, and (when the sampler ran
//! with several step counts) quality against network evaluations.

use super::evaluation::Evaluation;
use super::metrics::{pooled_histograms, Piece, METRICS};
use super::statistics::{
    duration_labels, interval_labels, normalised, pitch_class_labels, pitch_labels, Histograms,
};
use super::table::{format_value, markdown_pieces, markdown_table, EvalSet};
use super::PER_PIECE;
use crate::outfile::Staged;
use crate::plot::{bar_compare, line_chart, piano_roll};
use anyhow::Result;
use kantor_core::Voice;
use std::fmt::Write as _;
use std::path::Path;

/// Piano rolls drawn per evaluated set.
pub const ROLLS_PER_SET: usize = 3;

/// The metric definitions repeated in every report.
pub const DEFINITIONS: &str = "\
- **Sonority**: what the four voices sound from one onset (of a note or a rest in any voice) to the next; a chord struck again on the same pitches is the same sonority.
- **Voice crossing**: a frame (16th) where a voice sounds strictly above its upper neighbour (A above S, T above A, B above T).
- **Parallel fifths / octaves**: between two consecutive sonorities, a pair of voices (any two of the four) that both sound in both, both move, in the same direction, and stand a perfect fifth (7 semitones mod 12) or an octave/unison (0 mod 12) apart in both. Compound intervals count (a twelfth to a fifth is a parallel fifth). Counted per voice pair; reported per 100 frames and per 100 changes of sonority.
- **Spacing**: frames where S–A or A–T exceeds an octave, or T–B a twelfth.
- **Out of range**: notes outside S 60–79, A 53–74, T 48–69, B 36–64.
- **Leaps > octave**: melodic intervals wider than 12 semitones between consecutive notes of a voice (a rest breaks the line).
- **Unresolved leading tone** (%): of the soprano and bass notes on the leading tone of the piece's key that sound in a V or V7 chord, those whose next note of another pitch is not the tonic a semitone above (one followed by a rest or the end is not judged).
- **Key**: Krumhansl–Schmuckler on duration-weighted pitch classes (Krumhansl–Kessler profiles, 24 keys). *In key*: notes whose pitch class is in the major scale, or for minor in the natural minor plus raised 6th and 7th.
- **Triads / sevenths**: sonorities of at least two pitch classes that spell a major, minor, diminished or augmented triad, or a dominant, minor, major, half-diminished or diminished seventh chord; the fifth may be missing (root and third alone count as a triad).
- **Cadences** at each fermata, from the sonority sounding there and the last chord with another root sounding in the two quarters before: *authentic* if that chord is major with its root a fifth above; *plagal* if its root is a fourth above and the fermata chord is the tonic of the key or its relative; *half* if the fermata chord is the major chord on the dominant of the key or its relative.
- **Histogram distances**: total variation distance (0 = same, 1 = disjoint) of a piece's pitch classes (relative to its tonic), melodic intervals (±12, clamped), note durations (16ths, 16+ clamped) and per-voice pitches (mean over voices) from the reference set's pooled histograms; a reference piece is compared with the pool without itself.
- **Copying**: longest run of frames identical in all four voices to a passage of one training chorale under one transposition (found through hashed, transposition-normalised 8-frame windows; shorter runs read as 0), and the % of 2-bar windows that occur in the training set.
";

fn slug(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Normalised histogram, or zeros when empty (so every series has a value per label).
fn shares(h: &[f64]) -> Vec<f64> {
    normalised(h).unwrap_or_else(|| vec![0.0; h.len()])
}

/// Draws one histogram per kind: the reference against every evaluated set.
fn histogram_charts(out: &mut Staged, dir: &Path, columns: &[EvalSet], md: &mut String) -> Result<()> {
    let pools: Vec<Histograms> = columns
        .iter()
        .map(|s| pooled_histograms(&s.pieces))
        .collect();
    type Pick = fn(&Histograms) -> &[f64];
    /// File stem, title, bin labels, and the shares of a pooled histogram.
    type Chart = (
        String,
        String,
        Vec<String>,
        Box<dyn Fn(&Histograms) -> Vec<f64>>,
    );
    let mut charts: Vec<Chart> = vec![
        (
            "pitch-classes".into(),
            "Pitch classes above the tonic (share of notes)".into(),
            pitch_class_labels(),
            Box::new(|h| shares(&h.pitch_class)),
        ),
        (
            "intervals".into(),
            "Melodic intervals in semitones (share)".into(),
            interval_labels(),
            Box::new(|h| shares(&h.interval)),
        ),
        (
            "durations".into(),
            "Note durations in 16ths (share)".into(),
            duration_labels(),
            Box::new(|h| shares(&h.duration)),
        ),
    ];
    for v in Voice::ALL {
        let pick: Pick = match v {
            Voice::Soprano => |h| &h.voice_pitch[0],
            Voice::Alto => |h| &h.voice_pitch[1],
            Voice::Tenor => |h| &h.voice_pitch[2],
            Voice::Bass => |h| &h.voice_pitch[3],
        };
        charts.push((
            format!("range-{}", v.name()),
            format!("{} pitches, MIDI (share)", v.name()),
            pitch_labels(),
            Box::new(move |h| shares(pick(h))),
        ));
    }
    md.push_str("\n## Distributions against the reference\n\n");
    for (file, title, labels, get) in charts {
        let series: Vec<(&str, Vec<f64>)> = columns
            .iter()
            .zip(&pools)
            .map(|(s, h)| (s.label.as_str(), get(h)))
            .collect();
        let name = format!("{file}.png");
        out.add(&dir.join(&name), &bar_compare(&title, &labels, &series)?)?;
        let _ = writeln!(md, "![{title}]({name})\n");
    }
    Ok(())
}

/// Quality and cost side by side for the sets the sampler made here (sampler settings,
/// network evaluations and wall time per chorale next to the main metrics), and a
/// quality-against-evaluations curve when there are several.
fn cost_section(out: &mut Staged, dir: &Path, sets: &[EvalSet], md: &mut String) -> Result<()> {
    let costed: Vec<(&EvalSet, f64)> = sets
        .iter()
        .filter_map(|s| s.mean("evaluations").map(|e| (s, e)))
        .collect();
    if costed.is_empty() {
        return Ok(());
    }
    let keys = [
        "crossing_pct",
        "parallel_fifths_per_100",
        "spacing_upper_pct",
        "chordal_pct",
        "in_key_pct",
        "cadence_pct",
        "longest_copy_frames",
    ];
    let label = |k: &'static str| METRICS.iter().find(|m| m.key == k).map_or(k, |m| m.label);
    md.push_str(
        "
## Quality and cost

",
    );
    if costed.len() >= 2 {
        let series: Vec<(&str, Vec<(f64, f64)>)> = keys
            .iter()
            .filter(|k| **k != "longest_copy_frames")
            .map(|k| {
                let points = costed
                    .iter()
                    .filter_map(|(s, e)| s.mean(k).map(|v| (*e, v)))
                    .collect();
                (label(k), points)
            })
            .filter(|(_, p): &(&str, Vec<(f64, f64)>)| !p.is_empty())
            .collect();
        let chart = line_chart(
            "Quality against network evaluations per chorale",
            "network evaluations per chorale",
            "mean over chorales",
            &series,
            false,
        )?;
        out.add(&dir.join("quality-vs-evaluations.png"), &chart)?;
        md.push_str("![Quality against network evaluations](quality-vs-evaluations.png)\n\n");
    }
    md.push_str("| set | sampler settings | evaluations | wall time, s |");
    for k in keys {
        let _ = write!(md, " {} |", label(k));
    }
    md.push_str("\n|---|---|---|---|");
    md.push_str(&"---|".repeat(keys.len()));
    md.push('\n');
    for (s, e) in &costed {
        let _ = write!(
            md,
            "| {} | {} | {} | {} |",
            s.label,
            s.settings.as_deref().unwrap_or("–"),
            format_value(*e),
            s.mean("seconds").map_or("–".into(), format_value)
        );
        for k in keys {
            let _ = write!(md, " {} |", s.mean(k).map_or("–".into(), format_value));
        }
        md.push('\n');
    }
    Ok(())
}

/// Writes `REPORT.md` and its pictures into `dir` (made if it does not exist), all of them
/// or none. `pieces[i]` are the frames of `evaluation.sets[i]`; `reference` those of the
/// reference set; `extra` is Markdown placed after the metric definitions (e.g. the
/// calibration's separation table).
pub fn write_report(
    dir: &Path,
    evaluation: &Evaluation,
    reference: &[Piece],
    pieces: &[&[Piece]],
    extra: &str,
) -> Result<()> {
    let mut out = Staged::into_folder(dir)?;
    let columns = evaluation.columns();
    let mut md = String::from("# Kantor evaluation\n\n");
    let _ = writeln!(
        md,
        "Reference: **{}**, {} chorales.",
        evaluation.reference.label,
        evaluation.reference.pieces.len()
    );
    for s in &evaluation.sets {
        let settings = s
            .settings
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "Evaluated: **{}**{settings}, {} chorales.",
            s.label,
            s.pieces.len()
        );
    }
    if evaluation.training_chorales > 0 {
        let _ = writeln!(
            md,
            "Copy detection searched {} training chorales.",
            evaluation.training_chorales
        );
    }
    md.push_str(
        "\n## Metrics\n\nEach cell: mean over chorales (median, ± standard deviation).\n\n",
    );
    md.push_str(&markdown_table(&columns));
    md.push_str("\n### Definitions\n\n");
    md.push_str(DEFINITIONS);
    md.push_str("\n**Part writing as a teacher marks it** (the rules of `kantor_core::part_writing`, shared with the sampler's judge):\n\n");
    md.push_str(super::part_writing::DEFINITIONS);
    md.push_str("\n**The whole piece**:\n\n");
    md.push_str(super::whole_piece::DEFINITIONS);
    md.push_str(extra);
    cost_section(&mut out, dir, &evaluation.sets, &mut md)?;
    histogram_charts(&mut out, dir, &columns, &mut md)?;

    md.push_str("\n## Piano rolls\n\n");
    let sets = std::iter::once((&evaluation.reference, reference))
        .chain(evaluation.sets.iter().zip(pieces.iter().copied()));
    for (set, frames) in sets {
        for (i, p) in frames.iter().take(ROLLS_PER_SET).enumerate() {
            if p.frames.is_empty() {
                continue;
            }
            let name = format!("roll-{}-{}.png", slug(&set.label), i + 1);
            let roll = piano_roll(&p.frames, &format!("{} {}", set.label, i + 1))?;
            out.add(&dir.join(&name), &roll)?;
            let _ = writeln!(
                md,
                "**{}**: {}\n\n![{} {}]({name})\n",
                set.label,
                p.name,
                set.label,
                i + 1
            );
        }
    }

    md.push_str("\n## Per piece\n");
    for s in &columns {
        let _ = writeln!(md, "\n### {}\n\n{}", s.label, markdown_pieces(s, PER_PIECE));
    }
    out.add(&dir.join("REPORT.md"), md.as_bytes())?;
    out.commit()
}
