//! Grouped bar charts (e.g. a histogram of generated chorales against Bach's).

use std::path::Path;

use anyhow::{bail, Result};

use super::axes::{format_tick, legend, Axes, Scale, LABEL_SCALE};
use super::canvas::{palette, Canvas, BLACK};

const HEIGHT: usize = 600;

/// Draws one group of bars per label, one bar per series (in the series' colour), with a
/// legend, and saves a PNG at `path`. Every series needs one value per label.
pub fn bar_compare(path: &Path, title: &str, labels: &[String], series: &[(&str, Vec<f64>)]) -> Result<()> {
    if labels.is_empty() || series.is_empty() {
        bail!("nothing to plot for \"{title}\": no labels or no series");
    }
    for (name, values) in series {
        if values.len() != labels.len() {
            bail!("series \"{name}\" has {} values for {} labels", values.len(), labels.len());
        }
    }
    let finite = || series.iter().flat_map(|(_, v)| v.iter().copied().filter(|v| v.is_finite()));
    let lo = finite().fold(0.0f64, f64::min);
    let hi = finite().fold(0.0f64, f64::max);
    let (lo, hi) = if hi > lo { (lo, hi + (hi - lo) * 0.08) } else { (0.0, 1.0) };
    let width = (110 + 40 + labels.len() * (series.len() * 10 + 12)).clamp(960, 4000);
    let axes = Axes {
        left: 110,
        top: 50,
        right: width as i64 - 30,
        bottom: HEIGHT as i64 - 70,
        x: Scale { min: 0.0, max: labels.len() as f64, log: false },
        y: Scale { min: lo, max: hi, log: false },
    };
    let mut c = Canvas::new(width, HEIGHT);
    let y_ticks: Vec<f64> = axes.y.ticks(6);
    let y_ticks: Vec<(f64, String)> = y_ticks.iter().map(|v| (*v, format_tick(*v, &y_ticks))).collect();
    axes.draw(&mut c, title, "", "", &[], &y_ticks);

    // Label every k-th group so that labels never overlap.
    let group_px = (axes.right - axes.left) as f64 / labels.len() as f64;
    let widest = labels.iter().map(|l| Canvas::text_width(l, LABEL_SCALE)).max().unwrap_or(0) as f64 + 8.0;
    let every = (widest / group_px).ceil().max(1.0) as usize;
    let bar_px = group_px * 0.8 / series.len() as f64;
    let zero = axes.y_px(0.0);
    for (g, label) in labels.iter().enumerate() {
        let start = axes.left as f64 + g as f64 * group_px + group_px * 0.1;
        for (s, (_, values)) in series.iter().enumerate() {
            let v = values[g];
            if !v.is_finite() {
                continue;
            }
            let x0 = (start + s as f64 * bar_px).round() as i64;
            let x1 = ((start + (s + 1) as f64 * bar_px).round() as i64 - 1).max(x0);
            c.fill_rect(x0, axes.y_px(v), x1, zero, palette(s));
        }
        if g % every == 0 {
            let x = (axes.left as f64 + (g as f64 + 0.5) * group_px) as i64;
            c.fill_rect(x, axes.bottom, x, axes.bottom + 4, BLACK);
            c.text_centred(x, axes.bottom + 10, label, LABEL_SCALE, BLACK);
        }
    }
    c.fill_rect(axes.left, zero, axes.right, zero, BLACK);
    let entries: Vec<(&str, _)> = series.iter().enumerate().map(|(i, (name, _))| (*name, palette(i))).collect();
    legend(&mut c, &axes, &entries);
    c.save_png(path)
}
