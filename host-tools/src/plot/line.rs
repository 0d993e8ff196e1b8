//! Line charts (e.g. training loss per epoch, one line per noise level).


use anyhow::{bail, Result};
use plotters::prelude::*;

use super::picture::{drawing, png};
use super::chart;
use super::style::{palette, FONT, LABEL_SIZE};

const WIDTH: u32 = 960;
const HEIGHT: u32 = 600;

/// Draws `series` (name, points) as coloured lines with a legend;
/// returns the PNG. With `log_y` the y axis is logarithmic and points with y ≤ 0 are left out
/// (the line breaks there); non-finite points are always left out.
pub fn line_chart(title: &str, x_label: &str, y_label: &str, series: &[(&str, Vec<(f64, f64)>)], log_y: bool) -> Result<Vec<u8>> {
    let usable = |(x, y): (f64, f64)| x.is_finite() && y.is_finite() && (!log_y || y > 0.0);
    let points = || series.iter().flat_map(|(_, p)| p.iter().copied().filter(|p| usable(*p)));
    if points().next().is_none() {
        bail!("nothing to plot for \"{title}\": no {}points", if log_y { "positive " } else { "" });
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for (x, y) in points() {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x1 <= x0 {
        (x0, x1) = (x0 - 1.0, x1 + 1.0);
    }
    let (y0, y1) = if log_y {
        let (a, b) = (y0.log10().floor(), y1.log10().ceil());
        // A hair below the lowest decade, so that plotters labels it too.
        (10f64.powf(a) * 0.999, 10f64.powf(if b > a { b } else { a + 1.0 }))
    } else {
        let pad = if y1 > y0 { (y1 - y0) * 0.05 } else { y0.abs().max(1.0) * 0.5 };
        let lo = if y0 >= 0.0 && y0 - pad < 0.0 { 0.0 } else { y0 - pad };
        (lo, y1 + pad)
    };
    // Runs of usable points: the line breaks where a point is left out.
    let runs: Vec<Vec<Vec<(f64, f64)>>> = series
        .iter()
        .map(|(_, pts)| pts.split(|p| !usable(*p)).filter(|run| !run.is_empty()).map(<[_]>::to_vec).collect())
        .collect();
    png(WIDTH, HEIGHT, |area| {
        let mut builder = chart::builder(area, title);
        if log_y {
            let mut chart = builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale()).map_err(drawing)?;
            chart.configure_mesh().x_desc(x_label).y_desc(y_label).x_labels(8).y_labels(6).x_label_formatter(&chart::tick).y_label_formatter(&chart::tick).label_style((FONT, LABEL_SIZE)).draw().map_err(drawing)?;
            draw_lines(&mut chart, series, &runs)
        } else {
            let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1).map_err(drawing)?;
            chart.configure_mesh().x_desc(x_label).y_desc(y_label).x_labels(8).y_labels(6).x_label_formatter(&chart::tick).y_label_formatter(&chart::tick).label_style((FONT, LABEL_SIZE)).draw().map_err(drawing)?;
            draw_lines(&mut chart, series, &runs)
        }
    })
}

/// Each series' runs as lines (a lone point as a dot) in its colour, and the legend.
fn draw_lines<'a, Y>(chart: &mut ChartContext<'a, BitMapBackend<'a>, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>, series: &[(&str, Vec<(f64, f64)>)], runs: &[Vec<Vec<(f64, f64)>>]) -> Result<()>
where
    Y: Ranged<ValueType = f64>,
{
    for (i, ((name, _), runs)) in series.iter().zip(runs).enumerate() {
        let style = palette(i).stroke_width(2);
        chart
            .draw_series(runs.iter().map(|run| PathElement::new(run.clone(), style)))
            .map_err(drawing)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], palette(i).stroke_width(3)));
        let dots = runs.iter().filter(|run| run.len() == 1).map(|run| Circle::new(run[0], 2, palette(i).filled()));
        chart.draw_series(dots).map_err(drawing)?;
    }
    chart::legend(chart)
}
