//! A classifier two-sample test (Lopez-Paz & Oquab, "Revisiting classifier two-sample
//! tests", ICLR 2017): if a classifier, trained on per-piece features, tells a set from
//! held-out Bach on pieces it was not trained on, the two differ in what those features
//! see; accuracy near 0.5 means it cannot.
//!
//! The classifier is logistic regression with an L2 penalty on standardised features
//! (mean and spread of the training folds), fitted by Newton's method. Accuracy is
//! [`FOLDS`]-fold cross-validated, stratified, with the classes balanced by subsampling
//! the larger set at random, and repeated [`REPEATS`] times from a fixed seed; the mean
//! and spread over the repetitions are reported. Two sets of Bach (held-out against
//! validation, or two halves of one set) give the floor: what the test reads when
//! there is nothing to find.

use super::harmony::{chord_of, Quality};
use super::metrics::{Group, Piece, PieceMetrics, METRICS};
use super::notes::{sonorities, voice_notes};
use kantor_core::meter::FRAMES_PER_QUARTER;
use kantor_core::Voice;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

/// Folds of the cross-validation.
pub const FOLDS: usize = 5;
/// Repetitions (each with its own subsample and fold assignment).
pub const REPEATS: usize = 10;
/// Weight of the L2 penalty, (λ/2)·‖w‖² beside the mean log-loss.
pub const L2: f64 = 0.1;

/// What the test says about two sets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TwoSample {
    /// Mean cross-validated accuracy over the repetitions.
    pub accuracy: f64,
    /// Standard deviation over the repetitions.
    pub sd: f64,
    pub min: f64,
    pub max: f64,
    /// Pieces per class after balancing.
    pub per_class: usize,
}

/// Metrics the plan of a piece sets rather than its notes (its fermatas and phrase
/// lengths), or counts per bar, whose length the plan's metre sets: a set composed on
/// other plans (16 bars of 4/4, a fermata every two) is not told from Bach by them. The
/// features count notes per quarter instead.
pub const PLANNED: &[&str] = &["fermatas", "phrase_quarters", "notes_per_bar", "notes_per_voice_16_bars"];

/// Bins of melodic intervals per voice: down an octave or more… up an octave or more.
const INTERVAL_BINS: [(i32, i32); 9] = [(-127, -8), (-7, -5), (-4, -3), (-2, -1), (0, 0), (1, 2), (3, 4), (5, 7), (8, 127)];
/// Bins of note durations in 16ths.
const DURATION_BINS: [(usize, usize); 8] = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 7), (8, 8), (9, 15), (16, usize::MAX)];

fn shares(counts: &mut [f64]) {
    let total: f64 = counts.iter().sum();
    if total > 0.0 {
        counts.iter_mut().for_each(|c| *c /= total);
    }
}

/// The chord-type bin of a sonority of two or more pitch classes.
fn chord_bin(quality: Option<Quality>) -> usize {
    match quality {
        Some(Quality::Major) => 0,
        Some(Quality::Minor) => 1,
        Some(Quality::Diminished) => 2,
        Some(Quality::Augmented) => 3,
        Some(Quality::DominantSeventh) => 4,
        Some(_) => 5,
        None => 6,
    }
}

/// The features of one piece: pitch classes above the home tonic, melodic intervals per
/// voice and note durations (shares), notes per voice per quarter, chord types (shares of
/// sonorities), and every metric of the voice-leading, part-writing, harmony, whole-piece
/// and structure groups (rests included) but those the plan of a piece sets
/// ([`PLANNED`]). A metric that is undefined reads 0.
pub fn features(piece: &Piece, m: &PieceMetrics) -> Vec<f64> {
    named_features(piece, m).into_iter().map(|(_, v)| v).collect()
}

/// [`features`] with the name of each.
pub fn named_features(piece: &Piece, m: &PieceMetrics) -> Vec<(String, f64)> {
    let tonic = m.home_key.map_or(0, |k| k.tonic);
    let quarters = (piece.frames.len() as f64 / FRAMES_PER_QUARTER as f64).max(1.0);
    let mut pitch_classes = [0.0; 12];
    let mut durations = [0.0; DURATION_BINS.len()];
    let mut f: Vec<(String, f64)> = Vec::new();
    for v in Voice::ALL {
        let notes = voice_notes(&piece.frames, v);
        let mut intervals = [0.0; INTERVAL_BINS.len()];
        for n in &notes {
            pitch_classes[((n.pitch + 12 - tonic) % 12) as usize] += 1.0;
            if let Some(b) = DURATION_BINS.iter().position(|&(lo, hi)| (lo..=hi).contains(&n.len)) {
                durations[b] += 1.0;
            }
        }
        for w in notes.windows(2).filter(|w| w[0].start + w[0].len == w[1].start) {
            let i = w[1].pitch as i32 - w[0].pitch as i32;
            if let Some(b) = INTERVAL_BINS.iter().position(|&(lo, hi)| (lo..=hi).contains(&i)) {
                intervals[b] += 1.0;
            }
        }
        shares(&mut intervals);
        for (&(lo, hi), share) in INTERVAL_BINS.iter().zip(intervals) {
            f.push((format!("{} intervals {}..{}", v.name(), lo.max(-12), hi.min(12)), share));
        }
        f.push((format!("{} notes per quarter", v.name()), notes.len() as f64 / quarters));
    }
    shares(&mut pitch_classes);
    shares(&mut durations);
    const DEGREES: [&str; 12] = ["1", "b2", "2", "b3", "3", "4", "#4", "5", "b6", "6", "b7", "7"];
    f.extend(DEGREES.iter().zip(pitch_classes).map(|(d, v)| (format!("pitch class {d} above the tonic"), v)));
    f.extend(DURATION_BINS.iter().zip(durations).map(|(&(lo, hi), v)| (format!("durations {lo}..{} 16ths", hi.min(16)), v)));
    let mut chords = [0.0; 7];
    for s in sonorities(&piece.frames).iter().filter(|s| s.pitch_classes().count_ones() >= 2) {
        chords[chord_bin(chord_of(s).map(|c| c.quality))] += 1.0;
    }
    shares(&mut chords);
    const CHORDS: [&str; 7] = ["major", "minor", "diminished", "augmented", "dominant seventh", "other seventh", "no chord"];
    f.extend(CHORDS.iter().zip(chords).map(|(c, v)| (format!("{c} sonorities"), v)));
    let groups = [Group::VoiceLeading, Group::PartWriting, Group::Harmony, Group::WholePiece, Group::Structure];
    f.extend(
        METRICS
            .iter()
            .filter(|x| groups.contains(&x.group) && !PLANNED.contains(&x.key))
            .map(|x| (x.label.trim().to_string(), (x.get)(m).filter(|v| v.is_finite()).unwrap_or(0.0))),
    );
    f
}

/// Logistic regression weights: one per feature, then the intercept.
fn fit(x: &[Vec<f64>], y: &[f64], l2: f64) -> Vec<f64> {
    let n = x.len() as f64;
    let d = x.first().map_or(0, Vec::len);
    let mut w = vec![0.0; d + 1];
    let loss = |w: &[f64]| {
        let data: f64 = x.iter().zip(y).map(|(xi, &yi)| {
            let z = dot(w, xi);
            // log(1 + e^z) − y·z, computed without overflow.
            z.max(0.0) + (-z.abs()).exp().ln_1p() - yi * z
        }).sum::<f64>() / n;
        data + 0.5 * l2 * w[..d].iter().map(|v| v * v).sum::<f64>()
    };
    for _ in 0..50 {
        let mut grad = vec![0.0; d + 1];
        let mut hess = vec![0.0; (d + 1) * (d + 1)];
        for (xi, &yi) in x.iter().zip(y) {
            let p = sigmoid(dot(&w, xi));
            let r = (p - yi) / n;
            let s = p * (1.0 - p) / n;
            for a in 0..=d {
                let xa = if a < d { xi[a] } else { 1.0 };
                grad[a] += r * xa;
                for b in 0..=a {
                    let xb = if b < d { xi[b] } else { 1.0 };
                    hess[a * (d + 1) + b] += s * xa * xb;
                }
            }
        }
        for a in 0..d {
            grad[a] += l2 * w[a];
            hess[a * (d + 1) + a] += l2;
        }
        hess[d * (d + 1) + d] += 1e-9;
        let Some(step) = solve_cholesky(&mut hess, &grad, d + 1) else { break };
        // Newton step, halved until the loss does not rise.
        let before = loss(&w);
        let mut t = 1.0;
        let mut next = w.clone();
        for _ in 0..30 {
            next.iter_mut().zip(&w).zip(&step).for_each(|((nx, wi), si)| *nx = wi - t * si);
            if loss(&next) <= before {
                break;
            }
            t *= 0.5;
        }
        let moved = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
        w = next;
        if moved < 1e-9 {
            break;
        }
    }
    w
}

fn dot(w: &[f64], x: &[f64]) -> f64 {
    x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + w[x.len()]
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Solves `A·s = b` for symmetric positive definite `A` (lower triangle, row-major `n × n`,
/// overwritten by its Cholesky factor); `None` if it is not positive definite.
fn solve_cholesky(a: &mut [f64], b: &[f64], n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut diag = a[j * n + j];
        for k in 0..j {
            diag -= a[j * n + k] * a[j * n + k];
        }
        if diag <= 0.0 || !diag.is_finite() {
            return None;
        }
        let diag = diag.sqrt();
        a[j * n + j] = diag;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            for k in 0..j {
                v -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = v / diag;
        }
    }
    let mut z = b.to_vec();
    for i in 0..n {
        for k in 0..i {
            z[i] -= a[i * n + k] * z[k];
        }
        z[i] /= a[i * n + i];
    }
    for i in (0..n).rev() {
        for k in i + 1..n {
            z[i] -= a[k * n + i] * z[k];
        }
        z[i] /= a[i * n + i];
    }
    Some(z)
}

/// Mean and spread of each feature over `rows`; a constant feature gets spread 1.
fn standardiser(rows: &[&Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let d = rows.first().map_or(0, |r| r.len());
    let n = rows.len().max(1) as f64;
    let mean: Vec<f64> = (0..d).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n).collect();
    let sd = (0..d)
        .map(|j| {
            let v = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n;
            if v > 1e-12 { v.sqrt() } else { 1.0 }
        })
        .collect();
    (mean, sd)
}

fn standardise(row: &[f64], (mean, sd): &(Vec<f64>, Vec<f64>)) -> Vec<f64> {
    row.iter().zip(mean).zip(sd).map(|((x, m), s)| (x - m) / s).collect()
}

/// A random order of `0..n`.
fn shuffled(n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// Cross-validated accuracy of telling feature rows `a` from `b`; `None` when either has
/// fewer than [`FOLDS`] rows.
pub fn classifier_test(a: &[Vec<f64>], b: &[Vec<f64>], seed: u64) -> Option<TwoSample> {
    let per_class = a.len().min(b.len());
    if per_class < FOLDS {
        return None;
    }
    let mut accuracies = Vec::with_capacity(REPEATS);
    for r in 0..REPEATS {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed.wrapping_add(r as u64));
        // Each class subsampled to `per_class` rows in random order; row i goes to fold i % FOLDS.
        let picks: Vec<(&Vec<f64>, f64, usize)> = [(a, 1.0), (b, 0.0)]
            .into_iter()
            .flat_map(|(set, label)| {
                let order = shuffled(set.len(), &mut rng);
                order.into_iter().take(per_class).enumerate().map(move |(i, k)| (&set[k], label, i % FOLDS)).collect::<Vec<_>>()
            })
            .collect();
        let mut correct = 0;
        for fold in 0..FOLDS {
            let train: Vec<&(&Vec<f64>, f64, usize)> = picks.iter().filter(|p| p.2 != fold).collect();
            let scale = standardiser(&train.iter().map(|p| p.0).collect::<Vec<_>>());
            let x: Vec<Vec<f64>> = train.iter().map(|p| standardise(p.0, &scale)).collect();
            let y: Vec<f64> = train.iter().map(|p| p.1).collect();
            let w = fit(&x, &y, L2);
            for p in picks.iter().filter(|p| p.2 == fold) {
                let predicted = if dot(&w, &standardise(p.0, &scale)) > 0.0 { 1.0 } else { 0.0 };
                correct += usize::from(predicted == p.1);
            }
        }
        accuracies.push(correct as f64 / (2 * per_class) as f64);
    }
    let summary = super::summary::Summary::of(accuracies.iter().map(|&a| Some(a)))?;
    Some(TwoSample { accuracy: summary.mean, sd: summary.sd, min: summary.min, max: summary.max, per_class })
}

/// One line of the test's table: a set told from the reference.
#[derive(Clone, Debug, Serialize)]
pub struct TwoSampleRow {
    pub label: String,
    /// The set is Bach too: this row is the floor.
    pub floor: bool,
    pub result: Option<TwoSample>,
    /// The features that tell the set from the reference most ([`most_telling`]).
    pub telling: Vec<Telling>,
}

/// The test for every set against the reference, with its floor.
#[derive(Clone, Debug, Serialize)]
pub struct TwoSampleReport {
    pub reference: String,
    pub features: usize,
    pub folds: usize,
    pub repeats: usize,
    pub l2: f64,
    pub seed: u64,
    /// The features' names, in order.
    pub names: Vec<String>,
    pub rows: Vec<TwoSampleRow>,
}

/// What the test is, for the terminal and the report.
pub const NOTE: &str = "Classifier two-sample test (Lopez-Paz & Oquab, ICLR 2017): logistic regression with an L2 penalty on standardised per-piece features (pitch classes above the home tonic, melodic intervals per voice, note durations, notes per voice per quarter, chord types, and every voice-leading, part-writing, harmony, whole-piece and structure metric above but those the plan of a piece sets: fermatas, phrase lengths, and notes per bar, whose length the metre sets), cross-validated in stratified folds with the two classes balanced by subsampling, repeated from a fixed seed. It reads the accuracy of telling each set from the reference on pieces it was not trained on: 0.5 = indistinguishable, 1 = every piece told apart. A second set of Bach gives the floor.";

/// The feature rows of a set of measured pieces (in the same order).
pub fn feature_rows(pieces: &[Piece], metrics: &[PieceMetrics]) -> Vec<Vec<f64>> {
    pieces.iter().zip(metrics).map(|(p, m)| features(p, m)).collect()
}

/// The names of the features, in order (from any measured piece: they do not depend on it).
pub fn feature_names(piece: &Piece, metrics: &PieceMetrics) -> Vec<String> {
    named_features(piece, metrics).into_iter().map(|(name, _)| name).collect()
}

/// Features shown per set: those that tell it from the reference most.
pub const TELLING: usize = 8;

/// A feature that tells a set from the reference: the two means and their difference in
/// pooled standard deviations (Cohen's d; infinite where neither set varies).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Telling {
    pub feature: String,
    pub set_mean: f64,
    pub reference_mean: f64,
    pub effect: f64,
}

/// The [`TELLING`] features whose means differ most between `set` and `reference`, in
/// pooled standard deviations, largest first; features that are the same in both are left
/// out.
pub fn most_telling(names: &[String], set: &[Vec<f64>], reference: &[Vec<f64>]) -> Vec<Telling> {
    let moments = |rows: &[Vec<f64>], j: usize| {
        let n = rows.len().max(1) as f64;
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / n;
        (mean, rows.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0))
    };
    let width = set.first().map_or(0, Vec::len).min(reference.first().map_or(0, Vec::len)).min(names.len());
    let mut all: Vec<Telling> = (0..width)
        .filter_map(|j| {
            let ((a, va), (b, vb)) = (moments(set, j), moments(reference, j));
            let pooled = (0.5 * (va + vb)).sqrt();
            let effect = if pooled > 0.0 { (a - b) / pooled } else if a != b { (a - b).signum() * f64::INFINITY } else { return None };
            Some(Telling { feature: names[j].clone(), set_mean: a, reference_mean: b, effect })
        })
        .collect();
    all.sort_by(|x, y| y.effect.abs().total_cmp(&x.effect.abs()));
    all.truncate(TELLING);
    all
}

impl TwoSampleReport {
    /// An empty report on `features` features, tested from `seed`.
    pub fn new(reference: &str, names: Vec<String>, seed: u64) -> TwoSampleReport {
        TwoSampleReport { reference: reference.to_string(), features: names.len(), folds: FOLDS, repeats: REPEATS, l2: L2, seed, names, rows: Vec::new() }
    }

    /// Tests feature rows `set` against `reference` and adds the result as a row.
    pub fn add(&mut self, label: &str, floor: bool, set: &[Vec<f64>], reference: &[Vec<f64>]) {
        let result = classifier_test(set, reference, self.seed);
        let telling = if floor { Vec::new() } else { most_telling(&self.names, set, reference) };
        self.rows.push(TwoSampleRow { label: label.to_string(), floor, result, telling });
    }

    /// The plain-text table.
    pub fn text(&self) -> String {
        let mut out = format!(
            "classifier two-sample test against {}: {} features, {}-fold, {} repetitions, L2 {}, seed {} (0.5 = indistinguishable)\n",
            self.reference, self.features, self.folds, self.repeats, self.l2, self.seed
        );
        for row in &self.rows {
            let label = if row.floor { format!("{} (floor)", row.label) } else { row.label.clone() };
            let value = match row.result {
                Some(r) => format!("accuracy {:.3} ± {:.3} (min {:.3}, max {:.3}; {} pieces a side)", r.accuracy, r.sd, r.min, r.max, r.per_class),
                None => format!("too few pieces (fewer than {} a side)", self.folds),
            };
            out += &format!("  {label:38} {value}\n");
            if !row.telling.is_empty() {
                out += "    told by (set vs reference, difference in pooled sd):";
                for (i, t) in row.telling.iter().enumerate() {
                    let sep = if i == 0 { " " } else { "; " };
                    out += &format!("{sep}{} {} vs {} ({:+.1})", t.feature, short(t.set_mean), short(t.reference_mean), t.effect);
                }
                out += "\n";
            }
        }
        out
    }
}

/// A mean as the report prints it: three significant digits or so.
fn short(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` rows of `d` features, each uniform in ±1 around `centre` (in the first two
    /// features; the rest are noise).
    fn cloud(n: usize, d: usize, centre: f64, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                (0..d)
                    .map(|j| {
                        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
                        if j < 2 { centre + u } else { u }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn separates_different_sets_and_not_the_same_one() {
        let a = cloud(40, 30, 0.0, 1);
        let far = cloud(50, 30, 1.5, 2);
        let r = classifier_test(&a, &far, 7).unwrap();
        assert!(r.accuracy > 0.9, "{r:?}");
        assert_eq!(r.per_class, 40);
        let same = cloud(40, 30, 0.0, 3);
        let r = classifier_test(&a, &same, 7).unwrap();
        assert!((r.accuracy - 0.5).abs() < 0.12, "{r:?}");
        // The same seed gives the same answer.
        assert_eq!(classifier_test(&a, &same, 7), Some(r));
        assert_eq!(classifier_test(&a[..4], &same, 7), None);
    }

    #[test]
    fn newton_fits_a_separable_line_and_cholesky_solves() {
        // x > 0 is class 1.
        let x: Vec<Vec<f64>> = (-10..=10).filter(|&i| i != 0).map(|i| vec![i as f64 / 5.0]).collect();
        let y: Vec<f64> = (-10..=10).filter(|&i| i != 0).map(|i| if i > 0 { 1.0 } else { 0.0 }).collect();
        let w = fit(&x, &y, 0.01);
        assert!(w[0] > 1.0 && w[1].abs() < 1e-6, "{w:?}");
        let mut a = vec![4.0, 0.0, 2.0, 3.0];
        let s = solve_cholesky(&mut a, &[2.0, 1.0], 2).unwrap();
        // [[4, 2], [2, 3]]·s = [2, 1]
        assert!((4.0 * s[0] + 2.0 * s[1] - 2.0).abs() < 1e-12 && (2.0 * s[0] + 3.0 * s[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn the_feature_that_differs_most_is_named_first() {
        let names: Vec<String> = ["same", "shifted", "constant", "nudged"].map(String::from).to_vec();
        let row = |i: usize, shift: f64, nudge: f64| vec![(i % 5) as f64, (i % 5) as f64 + shift, 1.0, (i % 5) as f64 + nudge];
        let set: Vec<Vec<f64>> = (0..40).map(|i| row(i, 3.0, 0.5)).collect();
        let reference: Vec<Vec<f64>> = (0..40).map(|i| row(i + 2, 0.0, 0.0)).collect();
        let telling = most_telling(&names, &set, &reference);
        assert_eq!(telling.iter().map(|t| t.feature.as_str()).collect::<Vec<_>>(), ["shifted", "nudged", "same"]);
        assert!(telling[0].effect > 2.0 && telling[1].effect > 0.0 && telling[1].effect < 1.0);
        assert_eq!((telling[0].set_mean, telling[0].reference_mean), (5.0, 2.0));
    }
}
