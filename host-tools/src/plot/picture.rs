//! A picture in memory, drawn on by plotters and saved as an RGB PNG.

use std::path::Path;

use anyhow::{anyhow, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea, WHITE};

/// What the drawing code gets: a white area of the whole picture, in pixels from its top left.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws a `width × height` picture with `draw` and saves it as a PNG at `path`.
pub fn save_png(path: &Path, width: u32, height: u32, draw: impl FnOnce(&Area) -> Result<()>) -> Result<()> {
    super::style::register_font()?;
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        area.fill(&WHITE).map_err(drawing)?;
        draw(&area)?;
        area.present().map_err(drawing)?;
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().with_context(|| format!("cannot encode {}", path.display()))?;
    writer.write_image_data(&pixels).with_context(|| format!("cannot encode {}", path.display()))?;
    writer.finish().with_context(|| format!("cannot encode {}", path.display()))?;
    crate::outfile::write(path, &bytes)
}

/// A plotters error as an `anyhow` one (plotters' errors borrow nothing but need not be `Sync`).
pub fn drawing(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw: {e}")
}
