//! Distributions of a piece compared with the reference set's: pitch classes (relative
//! to the key's tonic), melodic intervals, note durations and each voice's pitches.
//! The distance is the total variation distance, half the L1 distance of the normalised
//! histograms: 0 for the same distribution, 1 for disjoint ones.

use super::key::Key;
use super::notes::voice_notes;
use kantor_core::{Frame, Voice};
use serde::Serialize;

/// Largest melodic interval binned on its own; wider ones go to the end bins.
pub const MAX_INTERVAL: i32 = 12;
/// Longest note duration (in 16ths) binned on its own; longer ones go to the last bin.
pub const MAX_DURATION: usize = 16;
/// Lowest pitch of the voice-range histograms (lower ones go to the first bin).
pub const LOWEST_PITCH: u8 = 36;
/// Highest pitch of the voice-range histograms (higher ones go to the last bin).
pub const HIGHEST_PITCH: u8 = 81;

const PITCH_BINS: usize = (HIGHEST_PITCH - LOWEST_PITCH) as usize + 1;

/// Counts of a piece (or of a set of pieces: histograms add).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Histograms {
    /// Notes per pitch class above the tonic (absolute pitch class without a key).
    pub pitch_class: Vec<f64>,
    /// Melodic intervals from −12 to +12 semitones (clamped), within each voice.
    pub interval: Vec<f64>,
    /// Note durations of 1..=16 sixteenths (longer ones in the last bin).
    pub duration: Vec<f64>,
    /// Per voice, notes per pitch from 36 to 81 (clamped).
    pub voice_pitch: [Vec<f64>; 4],
}

impl Default for Histograms {
    fn default() -> Self {
        Histograms {
            pitch_class: vec![0.0; 12],
            interval: vec![0.0; 2 * MAX_INTERVAL as usize + 1],
            duration: vec![0.0; MAX_DURATION],
            voice_pitch: std::array::from_fn(|_| vec![0.0; PITCH_BINS]),
        }
    }
}

/// Labels of the bins, for tables and charts.
pub fn pitch_class_labels() -> Vec<String> {
    (0..12).map(|i| format!("+{i}")).collect()
}

/// Labels of the interval bins ("≤-12" … "≥+12").
pub fn interval_labels() -> Vec<String> {
    (-MAX_INTERVAL..=MAX_INTERVAL)
        .map(|i| match i {
            i if i == -MAX_INTERVAL => format!("<={i}"),
            i if i == MAX_INTERVAL => format!(">=+{i}"),
            i if i > 0 => format!("+{i}"),
            i => format!("{i}"),
        })
        .collect()
}

/// Labels of the duration bins (in 16ths).
pub fn duration_labels() -> Vec<String> {
    (1..=MAX_DURATION)
        .map(|d| {
            if d == MAX_DURATION {
                format!("{d}+")
            } else {
                d.to_string()
            }
        })
        .collect()
}

/// Labels of the voice-range bins (MIDI numbers).
pub fn pitch_labels() -> Vec<String> {
    (LOWEST_PITCH..=HIGHEST_PITCH)
        .map(|p| p.to_string())
        .collect()
}

impl Histograms {
    /// Counts one piece; pitch classes are taken relative to `key`'s tonic.
    pub fn of(frames: &[Frame], key: Option<Key>) -> Histograms {
        let mut h = Histograms::default();
        let tonic = key.map_or(0, |k| k.tonic);
        for v in Voice::ALL {
            let notes = voice_notes(frames, v);
            for n in &notes {
                h.pitch_class[((n.pitch + 12 - tonic) % 12) as usize] += 1.0;
                h.duration[n.len.clamp(1, MAX_DURATION) - 1] += 1.0;
                let p = n.pitch.clamp(LOWEST_PITCH, HIGHEST_PITCH);
                h.voice_pitch[v.index()][(p - LOWEST_PITCH) as usize] += 1.0;
            }
            for w in notes
                .windows(2)
                .filter(|w| w[0].start + w[0].len == w[1].start)
            {
                let i = (w[1].pitch as i32 - w[0].pitch as i32).clamp(-MAX_INTERVAL, MAX_INTERVAL);
                h.interval[(i + MAX_INTERVAL) as usize] += 1.0;
            }
        }
        h
    }

    /// Adds another piece's counts.
    pub fn add(&mut self, other: &Histograms) {
        let pairs = [
            (&mut self.pitch_class, &other.pitch_class),
            (&mut self.interval, &other.interval),
            (&mut self.duration, &other.duration),
        ];
        for (a, b) in pairs {
            add_into(a, b);
        }
        for (a, b) in self.voice_pitch.iter_mut().zip(&other.voice_pitch) {
            add_into(a, b);
        }
    }

    /// These counts with `other`'s taken away (a reference set without one of its pieces).
    pub fn without(&self, other: &Histograms) -> Histograms {
        let mut h = self.clone();
        let sub = |a: &mut [f64], b: &[f64]| {
            a.iter_mut()
                .zip(b)
                .for_each(|(x, y)| *x = (*x - y).max(0.0))
        };
        sub(&mut h.pitch_class, &other.pitch_class);
        sub(&mut h.interval, &other.interval);
        sub(&mut h.duration, &other.duration);
        for (a, b) in h.voice_pitch.iter_mut().zip(&other.voice_pitch) {
            sub(a, b);
        }
        h
    }

    /// Distances from `reference`.
    pub fn distance(&self, reference: &Histograms) -> Distances {
        Distances {
            pitch_class: tvd(&self.pitch_class, &reference.pitch_class),
            interval: tvd(&self.interval, &reference.interval),
            duration: tvd(&self.duration, &reference.duration),
            voice_range: {
                let d: Vec<f64> = self
                    .voice_pitch
                    .iter()
                    .zip(&reference.voice_pitch)
                    .filter_map(|(a, b)| tvd(a, b))
                    .collect();
                (!d.is_empty()).then(|| d.iter().sum::<f64>() / d.len() as f64)
            },
        }
    }
}

fn add_into(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The histogram scaled to sum to 1; `None` if it is empty.
pub fn normalised(h: &[f64]) -> Option<Vec<f64>> {
    let total: f64 = h.iter().sum();
    (total > 0.0).then(|| h.iter().map(|x| x / total).collect())
}

/// Total variation distance between two histograms (after normalising each); `None` if
/// either is empty.
pub fn tvd(a: &[f64], b: &[f64]) -> Option<f64> {
    let (a, b) = (normalised(a)?, normalised(b)?);
    Some(0.5 * a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum::<f64>())
}

/// Total variation distances of a piece's histograms from the reference set's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Distances {
    pub pitch_class: Option<f64>,
    pub interval: Option<f64>,
    pub duration: Option<f64>,
    /// Mean over the four voices.
    pub voice_range: Option<f64>,
}
