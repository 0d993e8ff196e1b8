//! Line charts (e.g. training loss per epoch, one line per noise level).

use std::path::Path;

use anyhow::{bail, Result};

use super::axes::{format_tick, legend, Axes, Scale};
use super::canvas::{palette, Canvas};

const WIDTH: usize = 960;
const HEIGHT: usize = 600;

/// Draws `series` (name, points) as coloured lines with a legend and saves a PNG at
/// `path`. With `log_y` the y axis is logarithmic and points with y ≤ 0 are left out
/// (the line breaks there); non-finite points are always left out.
pub fn line_chart(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[(&str, Vec<(f64, f64)>)], log_y: bool) -> Result<()> {
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
        (10f64.powf(a), 10f64.powf(if b > a { b } else { a + 1.0 }))
    } else {
        let pad = if y1 > y0 { (y1 - y0) * 0.05 } else { y0.abs().max(1.0) * 0.5 };
        let lo = if y0 >= 0.0 && y0 - pad < 0.0 { 0.0 } else { y0 - pad };
        (lo, y1 + pad)
    };
    let axes = Axes {
        left: 110,
        top: 50,
        right: WIDTH as i64 - 30,
        bottom: HEIGHT as i64 - 70,
        x: Scale { min: x0, max: x1, log: false },
        y: Scale { min: y0, max: y1, log: log_y },
    };
    let mut c = Canvas::new(WIDTH, HEIGHT);
    // Log ticks are labelled each by its own size, linear ones by their spacing.
    let labelled = |ticks: Vec<f64>, log: bool| -> Vec<(f64, String)> {
        ticks.iter().map(|v| (*v, format_tick(*v, if log { &[] } else { &ticks }))).collect()
    };
    let x_ticks = labelled(axes.x.ticks(8), false);
    let y_ticks = labelled(axes.y.ticks(6), log_y);
    axes.draw(&mut c, title, x_label, y_label, &x_ticks, &y_ticks);
    for (i, (_, pts)) in series.iter().enumerate() {
        let mut last: Option<(i64, i64)> = None;
        for &p in pts {
            if !usable(p) {
                last = None;
                continue;
            }
            let here = (axes.x_px(p.0), axes.y_px(p.1));
            match last {
                Some(prev) => c.line(prev, here, 2, palette(i)),
                None => c.fill_rect(here.0 - 1, here.1 - 1, here.0 + 1, here.1 + 1, palette(i)),
            }
            last = Some(here);
        }
    }
    let entries: Vec<(&str, _)> = series.iter().enumerate().map(|(i, (name, _))| (*name, palette(i))).collect();
    legend(&mut c, &axes, &entries);
    c.save_png(path)
}
