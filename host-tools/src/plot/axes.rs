//! Plot frames: value → pixel mapping, tick choice and labels, titles and legends.

use super::canvas::{Canvas, Rgb, BLACK, GREY, LIGHT_GREY};

/// Font scale of titles and of everything else.
pub const TITLE_SCALE: usize = 3;
pub const LABEL_SCALE: usize = 2;

/// A linear or logarithmic (base 10) value range.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl Scale {
    /// Where `v` falls between `min` (0) and `max` (1).
    pub fn fraction(&self, v: f64) -> f64 {
        let (a, b, v) = if self.log { (self.min.log10(), self.max.log10(), v.log10()) } else { (self.min, self.max, v) };
        if b > a {
            (v - a) / (b - a)
        } else {
            0.5
        }
    }

    /// Ticks: about `target` round values, or powers of ten (and 2×, 5× them when the
    /// range is short) on a log scale.
    pub fn ticks(&self, target: usize) -> Vec<f64> {
        if !self.log {
            return nice_ticks(self.min, self.max, target);
        }
        let (lo, hi) = (self.min.log10().floor() as i32, self.max.log10().ceil() as i32);
        let mults: &[f64] = if hi - lo <= 2 { &[1.0, 2.0, 5.0] } else { &[1.0] };
        let step = ((hi - lo) as usize / target.max(1)).max(1);
        (lo..=hi)
            .step_by(step)
            .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
            .filter(|v| *v >= self.min * (1.0 - 1e-9) && *v <= self.max * (1.0 + 1e-9))
            .collect()
    }
}

/// Round tick values (steps of 1, 2 or 5 × 10ⁿ) covering [min, max].
pub fn nice_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    if max.partial_cmp(&min) != Some(std::cmp::Ordering::Greater) || !min.is_finite() || !max.is_finite() {
        return vec![min];
    }
    let step = nice_step((max - min) / target.max(1) as f64);
    let first = (min / step).ceil() as i64;
    let last = (max / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let r = raw / mag;
    mag * if r <= 1.0 {
        1.0
    } else if r <= 2.0 {
        2.0
    } else if r <= 5.0 {
        5.0
    } else {
        10.0
    }
}

/// A tick label: short, with no more decimals than the spacing of `ticks` needs.
pub fn format_tick(v: f64, ticks: &[f64]) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.1e}").replace(".0e", "e");
    }
    let spacing = ticks.windows(2).map(|w| (w[1] - w[0]).abs()).filter(|d| *d > 0.0).fold(f64::INFINITY, f64::min);
    let reference = if spacing.is_finite() { spacing.min(a) } else { a };
    let decimals = (-reference.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{v:.decimals$}")
}

/// A plot area on a canvas and the scales of its axes.
#[derive(Clone, Copy, Debug)]
pub struct Axes {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
    pub x: Scale,
    pub y: Scale,
}

impl Axes {
    pub fn x_px(&self, v: f64) -> i64 {
        self.left + (self.x.fraction(v) * (self.right - self.left) as f64).round() as i64
    }

    pub fn y_px(&self, v: f64) -> i64 {
        self.bottom - (self.y.fraction(v) * (self.bottom - self.top) as f64).round() as i64
    }

    /// Title above, axis labels, a light grid at the ticks, tick labels, and the frame.
    pub fn draw(&self, c: &mut Canvas, title: &str, x_label: &str, y_label: &str, x_ticks: &[(f64, String)], y_ticks: &[(f64, String)]) {
        let lh = Canvas::text_height(LABEL_SCALE) as i64;
        for (v, label) in y_ticks {
            let y = self.y_px(*v);
            c.fill_rect(self.left + 1, y, self.right - 1, y, LIGHT_GREY);
            c.fill_rect(self.left - 5, y, self.left, y, BLACK);
            c.text_right(self.left - 9, y - lh / 2, label, LABEL_SCALE, BLACK);
        }
        for (v, label) in x_ticks {
            let x = self.x_px(*v);
            c.fill_rect(x, self.top + 1, x, self.bottom - 1, LIGHT_GREY);
            c.fill_rect(x, self.bottom, x, self.bottom + 5, BLACK);
            c.text_centred(x, self.bottom + 10, label, LABEL_SCALE, BLACK);
        }
        c.rect(self.left, self.top, self.right, self.bottom, BLACK);
        c.text_centred((self.left + self.right) / 2, 12, title, TITLE_SCALE, BLACK);
        c.text_centred((self.left + self.right) / 2, self.bottom + 18 + lh, x_label, LABEL_SCALE, GREY);
        c.text_vertical(10, (self.top + self.bottom) / 2, y_label, LABEL_SCALE, GREY);
    }
}

/// A legend box in the top-right corner of `axes`: a colour swatch and a name per entry.
pub fn legend(c: &mut Canvas, axes: &Axes, entries: &[(&str, Rgb)]) {
    if entries.is_empty() {
        return;
    }
    let lh = Canvas::text_height(LABEL_SCALE) as i64;
    let row = lh + 8;
    let text_w = entries.iter().map(|(n, _)| Canvas::text_width(n, LABEL_SCALE)).max().unwrap_or(0) as i64;
    let (w, h) = (text_w + 44, row * entries.len() as i64 + 8);
    let (x0, y0) = (axes.right - w - 10, axes.top + 10);
    c.fill_rect(x0, y0, x0 + w, y0 + h, [255, 255, 255]);
    c.rect(x0, y0, x0 + w, y0 + h, GREY);
    for (i, (name, colour)) in entries.iter().enumerate() {
        let y = y0 + 8 + i as i64 * row;
        c.fill_rect(x0 + 8, y + lh / 2 - 2, x0 + 30, y + lh / 2 + 2, *colour);
        c.text(x0 + 36, y, name, LABEL_SCALE, BLACK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside() {
        assert_eq!(nice_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        let t = nice_ticks(0.13, 0.91, 4);
        assert!(t.iter().all(|v| (0.13..=0.91).contains(v)) && t.len() >= 3);
        let log = Scale { min: 0.01, max: 1000.0, log: true }.ticks(6);
        assert_eq!(log.len(), 6);
        assert!((log[0] - 0.01).abs() < 1e-12 && (log[5] - 1000.0).abs() < 1e-9);
        assert_eq!(format_tick(0.2, &[0.0, 0.2, 0.4]), "0.2");
        assert_eq!(format_tick(1500.0, &[1000.0, 1500.0]), "1500");
        assert_eq!(format_tick(1e-5, &[]), "1e-5");
    }
}
