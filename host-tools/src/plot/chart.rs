//! The frame the line and bar charts share: title, margins, room for tick labels, legend.

use anyhow::Result;
use plotters::coord::CoordTranslate;
use plotters::prelude::*;

use super::picture::{drawing, Area};
use super::style::{BLACK, FONT, LABEL_SIZE, TITLE_SIZE};

/// A chart builder on `area` with `title` on top and room for the axes' labels.
pub fn builder<'a, 'b>(area: &'a Area<'b>, title: &str) -> ChartBuilder<'a, 'b, BitMapBackend<'b>> {
    let mut builder = ChartBuilder::on(area);
    builder.caption(title, (FONT, TITLE_SIZE)).margin(20).x_label_area_size(50).y_label_area_size(80);
    builder
}

/// A tick label: as few decimals as the value needs, powers of ten written out short.
pub fn tick(v: &f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        return format!("{v:.1e}").replace(".0e", "e");
    }
    let fixed = format!("{v:.4}");
    fixed.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The legend of the labelled series, boxed, in the upper right corner.
pub fn legend<'a, CT: CoordTranslate>(chart: &mut ChartContext<'a, BitMapBackend<'a>, CT>) -> Result<()> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .label_font((FONT, LABEL_SIZE))
        .draw()
        .map_err(drawing)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tick_labels_are_short() {
        let labels: Vec<String> = [0.0, 0.2, 1000.0, 0.01, 2.5e-5, -3.0].iter().map(super::tick).collect();
        assert_eq!(labels, ["0", "0.2", "1000", "0.01", "2.5e-5", "-3"]);
    }
}
