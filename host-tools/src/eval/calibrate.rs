//! Calibration sets: what the metrics say about music that is clearly not Bach, built
//! from Bach's own chorales so that length, rhythm and metadata stay the same.
//! - [`shuffled_voices`]: soprano of one chorale, alto of the next, tenor and bass of the
//!   two after, aligned frame by frame (cut to the shortest);
//! - [`random_notes`]: each chorale's rhythm kept, every note replaced by a pitch drawn
//!   uniformly from its voice's range.

use super::metrics::Piece;
use kantor_core::{Frame, Token, Voice};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Voice `v` of piece `i + v` (cyclically), for every piece.
pub fn shuffled_voices(pieces: &[Piece]) -> Vec<Piece> {
    let n = pieces.len();
    (0..n)
        .map(|i| {
            let sources: [&Piece; 4] = std::array::from_fn(|v| &pieces[(i + v) % n]);
            let len = sources.iter().map(|p| p.frames.len()).min().unwrap_or(0);
            let frames = (0..len)
                .map(|t| Frame {
                    tokens: std::array::from_fn(|v| sources[v].frames[t].tokens[v]),
                    meta: pieces[i].frames[t].meta,
                })
                .collect();
            let names: Vec<&str> = sources.iter().map(|p| p.name.as_str()).collect();
            Piece {
                name: format!("shuffled {}", names.join("/")),
                time: pieces[i].time,
                frames,
                cost: None,
            }
        })
        .collect()
}

/// Every piece with each note's pitch drawn uniformly from its voice's range.
pub fn random_notes(pieces: &[Piece], seed: u64) -> Vec<Piece> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    pieces
        .iter()
        .map(|p| {
            let frames = p
                .frames
                .iter()
                .map(|f| {
                    let mut f = *f;
                    for v in Voice::ALL {
                        if let Token::Pitch(_) = f.tokens[v.index()] {
                            let r = v.range();
                            let pick = rng.next_u64() % r.pitches() as u64;
                            f.tokens[v.index()] = Token::Pitch(r.lowest + pick as u8);
                        }
                    }
                    f
                })
                .collect();
            Piece {
                name: format!("random {}", p.name),
                time: p.time,
                frames,
                cost: None,
            }
        })
        .collect()
}

/// What the separation table shows, for reports.
pub const SEPARATION_NOTE: &str = "How well each metric alone tells a set from the reference, piece by piece: the area under the ROC curve, folded so that 0.5 means indistinguishable and 1.00 means every piece of one set lies beyond every piece of the other.";

/// How well a metric tells two sets apart, piece by piece: the area under the ROC curve
/// of the metric as a classifier, folded so that 0.5 means indistinguishable and 1 means
/// every piece of one set lies beyond every piece of the other (in either direction).
/// `None` if either set has no defined value.
pub fn separation(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut wins = 0.0;
    for x in a {
        for y in b {
            wins += if y > x {
                1.0
            } else if y == x {
                0.5
            } else {
                0.0
            };
        }
    }
    let auc = wins / (a.len() * b.len()) as f64;
    Some(auc.max(1.0 - auc))
}

/// Per metric, the [`separation`] of every evaluated set from the reference, as a
/// plain-text table.
pub fn separation_table(
    reference: &super::table::EvalSet,
    sets: &[super::table::EvalSet],
) -> String {
    use super::metrics::METRICS;
    let values =
        |s: &super::table::EvalSet, get: fn(&super::PieceMetrics) -> Option<f64>| -> Vec<f64> {
            s.pieces
                .iter()
                .filter_map(get)
                .filter(|v| v.is_finite())
                .collect()
        };
    let mut out = format!("{:38}", "separation from the reference (AUC)");
    for s in sets {
        out += &format!(" | {:>18}", s.label);
    }
    out.push('\n');
    for m in METRICS {
        let r = values(reference, m.get);
        let cells: Vec<Option<f64>> = sets
            .iter()
            .map(|s| separation(&r, &values(s, m.get)))
            .collect();
        if cells.iter().all(Option::is_none) {
            continue;
        }
        out += &format!("  {:36}", m.label.trim());
        for c in cells {
            out += &format!(" | {:>18}", c.map_or("-".into(), |v| format!("{v:.2}")));
        }
        out.push('\n');
    }
    out
}
