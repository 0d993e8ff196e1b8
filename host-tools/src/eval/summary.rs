//! Small numeric helpers shared by the metrics: percentages and the summary of a metric
//! over a set of pieces.

use serde::Serialize;

/// `part` as a percentage of `whole`; `None` when `whole` is zero (nothing to measure).
pub fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// Mean, median and spread of one metric over a set of pieces (pieces where the metric
/// is undefined are left out and not counted in `n`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    /// Sample standard deviation (0 for a single piece).
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises the defined values; `None` if there are none.
    pub fn of(values: impl IntoIterator<Item = Option<f64>>) -> Option<Summary> {
        let mut v: Vec<f64> = values
            .into_iter()
            .flatten()
            .filter(|x| x.is_finite())
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        let sd = if n > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Some(Summary {
            n,
            mean,
            median,
            sd,
            min: v[0],
            max: v[n - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_values() {
        let s = Summary::of([Some(1.0), None, Some(3.0), Some(2.0), Some(10.0)]).unwrap();
        assert_eq!(s.n, 4);
        assert_eq!(s.mean, 4.0);
        assert_eq!(s.median, 2.5);
        assert_eq!((s.min, s.max), (1.0, 10.0));
        assert!((s.sd - 4.0825).abs() < 1e-3);
        assert_eq!(Summary::of([None]), None);
        assert_eq!(pct(1, 4), Some(25.0));
        assert_eq!(pct(1, 0), None);
    }
}
