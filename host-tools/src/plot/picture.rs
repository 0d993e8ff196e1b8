//! A picture in memory, drawn on by plotters and encoded as an RGB PNG (the caller writes
//! it, through [`crate::outfile`]).

use anyhow::{anyhow, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, IntoDrawingArea, WHITE};

/// What the drawing code gets: a white area of the whole picture, in pixels from its top left.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws a `width × height` picture with `draw`; returns the PNG file's bytes.
pub fn png(width: u32, height: u32, draw: impl FnOnce(&Area) -> Result<()>) -> Result<Vec<u8>> {
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
    let mut writer = encoder.write_header().context("cannot encode the picture")?;
    writer.write_image_data(&pixels).context("cannot encode the picture")?;
    writer.finish().context("cannot encode the picture")?;
    Ok(bytes)
}

/// A plotters error as an `anyhow` one (plotters' errors borrow nothing but need not be `Sync`).
pub fn drawing(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw: {e}")
}
