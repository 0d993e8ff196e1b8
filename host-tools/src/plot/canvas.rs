//! An RGB pixel canvas: lines, rectangles, bitmap text, and saving as PNG.

use std::path::Path;

use anyhow::{Context, Result};

use super::font::{glyph, GLYPH_H, GLYPH_W};

/// An RGB colour.
pub type Rgb = [u8; 3];

pub const WHITE: Rgb = [255, 255, 255];
pub const BLACK: Rgb = [0, 0, 0];
pub const GREY: Rgb = [110, 110, 110];
pub const LIGHT_GREY: Rgb = [225, 225, 225];

/// Colours for series and voices, easy to tell apart.
pub const PALETTE: [Rgb; 8] = [
    [31, 119, 180],  // blue
    [230, 110, 0],   // orange
    [44, 160, 44],   // green
    [214, 39, 40],   // red
    [148, 103, 189], // purple
    [140, 86, 75],   // brown
    [227, 119, 194], // pink
    [23, 190, 207],  // cyan
];

/// Colour number `i` of the palette (wrapping around).
pub fn palette(i: usize) -> Rgb {
    PALETTE[i % PALETTE.len()]
}

/// A picture, `width × height` pixels, white to begin with.
#[derive(Clone, Debug)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: usize, height: usize) -> Canvas {
        Canvas { width, height, pixels: vec![255; width * height * 3] }
    }

    /// Sets one pixel; points outside the canvas are ignored.
    pub fn set(&mut self, x: i64, y: i64, colour: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            self.pixels[i..i + 3].copy_from_slice(&colour);
        }
    }

    /// The colour at (x, y), `None` outside the canvas.
    pub fn get(&self, x: usize, y: usize) -> Option<Rgb> {
        (x < self.width && y < self.height).then(|| {
            let i = (y * self.width + x) * 3;
            [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
        })
    }

    /// Fills the rectangle with corners (x0, y0) and (x1, y1), both included.
    pub fn fill_rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, colour: Rgb) {
        let (xa, xb) = (x0.min(x1).max(0), x0.max(x1).min(self.width as i64 - 1));
        let (ya, yb) = (y0.min(y1).max(0), y0.max(y1).min(self.height as i64 - 1));
        for y in ya..=yb {
            for x in xa..=xb {
                self.set(x, y, colour);
            }
        }
    }

    /// The outline of a rectangle, one pixel wide.
    pub fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, colour: Rgb) {
        self.fill_rect(x0, y0, x1, y0, colour);
        self.fill_rect(x0, y1, x1, y1, colour);
        self.fill_rect(x0, y0, x0, y1, colour);
        self.fill_rect(x1, y0, x1, y1, colour);
    }

    /// A straight line `width` pixels thick (Bresenham, with a square pen).
    pub fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), width: i64, colour: Rgb) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        let lo = -(width - 1) / 2;
        let hi = lo + width.max(1) - 1;
        loop {
            self.fill_rect(x + lo, y + lo, x + hi, y + hi, colour);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// Pixel width of `text` at `scale`.
    pub fn text_width(text: &str, scale: usize) -> usize {
        let n = text.chars().count();
        (n * (GLYPH_W + 1)).saturating_sub(1) * scale
    }

    /// Pixel height of a line of text at `scale`.
    pub fn text_height(scale: usize) -> usize {
        GLYPH_H * scale
    }

    /// Writes `text` with its top-left corner at (x, y), each font pixel `scale` pixels.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: usize, colour: Rgb) {
        self.glyphs(text, scale, |dx, dy| (x + dx, y + dy), colour);
    }

    /// Writes `text` centred on x, with its top at y.
    pub fn text_centred(&mut self, x: i64, y: i64, text: &str, scale: usize, colour: Rgb) {
        let w = Self::text_width(text, scale) as i64;
        self.text(x - w / 2, y, text, scale, colour);
    }

    /// Writes `text` ending at x (right-aligned), with its top at y.
    pub fn text_right(&mut self, x: i64, y: i64, text: &str, scale: usize, colour: Rgb) {
        let w = Self::text_width(text, scale) as i64;
        self.text(x - w, y, text, scale, colour);
    }

    /// Writes `text` reading upwards, centred on y, its left edge (the tops of the
    /// letters) at x.
    pub fn text_vertical(&mut self, x: i64, y: i64, text: &str, scale: usize, colour: Rgb) {
        let w = Self::text_width(text, scale) as i64;
        let bottom = y + w / 2;
        self.glyphs(text, scale, |dx, dy| (x + dy, bottom - dx), colour);
    }

    /// Draws the glyphs of `text`, mapping each pixel's offset along and down the line.
    fn glyphs(&mut self, text: &str, scale: usize, at: impl Fn(i64, i64) -> (i64, i64), colour: Rgb) {
        let s = scale.max(1) as i64;
        for (n, c) in text.chars().enumerate() {
            let left = n as i64 * (GLYPH_W as i64 + 1) * s;
            for (row, bits) in glyph(c).iter().enumerate() {
                for col in 0..GLYPH_W {
                    if bits & (0x10 >> col) != 0 {
                        for i in 0..s {
                            for j in 0..s {
                                let (px, py) = at(left + col as i64 * s + i, row as i64 * s + j);
                                self.set(px, py, colour);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Saves the canvas as an 8-bit RGB PNG (see [`crate::outfile`]).
    pub fn save_png(&self, path: &Path) -> Result<()> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().with_context(|| format!("cannot encode {}", path.display()))?;
        writer.write_image_data(&self.pixels).with_context(|| format!("cannot encode {}", path.display()))?;
        writer.finish().with_context(|| format!("cannot encode {}", path.display()))?;
        crate::outfile::write(path, &bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawing_stays_inside_and_marks_pixels() {
        let mut c = Canvas::new(40, 30);
        c.line((-10, -10), (100, 100), 3, BLACK);
        assert_eq!(c.get(15, 15), Some(BLACK));
        assert_eq!(c.get(30, 2), Some(WHITE));
        c.fill_rect(35, 25, 80, 80, PALETTE[0]);
        assert_eq!(c.get(39, 29), Some(PALETTE[0]));
        c.text(0, 20, "1", 1, PALETTE[1]);
        // '1' has its stem in the middle column.
        assert_eq!(c.get(2, 20), Some(PALETTE[1]));
        assert_eq!(c.get(0, 20), Some(WHITE));
        assert_eq!(Canvas::text_width("ab", 2), 22);
    }
}
