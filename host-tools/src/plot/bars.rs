//! Grouped bar charts (e.g. a histogram of generated chorales against Bach's).


use anyhow::{bail, Result};
use plotters::prelude::*;

use super::picture::{drawing, png};
use super::chart;
use super::style::{palette, BLACK, FONT, LABEL_SIZE};

const HEIGHT: u32 = 600;

/// Draws one group of bars per label, one bar per series (in the series' colour), with a
/// legend; returns the PNG. Every series needs one value per label.
pub fn bar_compare(title: &str, labels: &[String], series: &[(&str, Vec<f64>)]) -> Result<Vec<u8>> {
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
    let width = (110 + 40 + labels.len() * (series.len() * 10 + 12)).clamp(960, 4000) as u32;
    // Group g is centred on x = g; as many labels as fit side by side (plotters picks which).
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u32 * LABEL_SIZE * 6 / 10 + 10;
    let fit = ((width - 130) / widest).max(1) as usize;
    let groups = labels.len() as f64;
    png(width, HEIGHT, |area| {
        let mut chart = chart::builder(area, title)
            .build_cartesian_2d(-0.5..groups - 0.5, lo..hi)
            .map_err(drawing)?;
        let label_of = |x: &f64| {
            let g = x.round();
            if (x - g).abs() < 1e-6 && g >= 0.0 && g < groups { labels[g as usize].clone() } else { String::new() }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(fit.min(labels.len()))
            .x_label_formatter(&label_of)
            .y_labels(6)
            .y_label_formatter(&chart::tick)
            .label_style((FONT, LABEL_SIZE))
            .draw()
            .map_err(drawing)?;
        let bar = 0.8 / series.len() as f64;
        for (s, (name, values)) in series.iter().enumerate() {
            let bars = values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(g, &v)| {
                let x0 = g as f64 - 0.4 + s as f64 * bar;
                Rectangle::new([(x0, 0.0), (x0 + bar, v)], palette(s).filled())
            });
            chart
                .draw_series(bars)
                .map_err(drawing)?
                .label(*name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 22, y + 5)], palette(s).filled()));
        }
        chart.draw_series(std::iter::once(PathElement::new(vec![(-0.5, 0.0), (groups - 0.5, 0.0)], BLACK))).map_err(drawing)?;
        chart::legend(&mut chart)
    })
}
