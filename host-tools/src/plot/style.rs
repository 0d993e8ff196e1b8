//! What every picture shares: the bundled font, the colours of series and voices, text sizes.
//!
//! The font is DejaVu Sans, compiled into the binary (licence in `fonts/LICENSE`) and handed
//! to plotters' `ab_glyph` renderer, so drawing text needs no font library on the machine.

use std::sync::Once;

use anyhow::{bail, Result};
use plotters::style::{FontStyle, RGBColor};

/// The family name under which the bundled font is registered with plotters.
pub const FONT: &str = "sans-serif";
/// Text sizes in pixels.
pub const TITLE_SIZE: u32 = 26;
pub const LABEL_SIZE: u32 = 17;

pub const BLACK: RGBColor = RGBColor(0, 0, 0);
pub const GREY: RGBColor = RGBColor(110, 110, 110);
pub const LIGHT_GREY: RGBColor = RGBColor(225, 225, 225);

/// Colours for series and voices, easy to tell apart.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),  // blue
    RGBColor(230, 110, 0),   // orange
    RGBColor(44, 160, 44),   // green
    RGBColor(214, 39, 40),   // red
    RGBColor(148, 103, 189), // purple
    RGBColor(140, 86, 75),   // brown
    RGBColor(227, 119, 194), // pink
    RGBColor(23, 190, 207),  // cyan
];

/// Colour number `i` of the palette (wrapping around).
pub fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Makes the bundled font known to plotters (once per process).
pub fn register_font() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut ok = true;
    ONCE.call_once(|| ok = plotters::style::register_font(FONT, FontStyle::Normal, include_bytes!("fonts/DejaVuSans.ttf")).is_ok());
    if !ok {
        bail!("the bundled font could not be read");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use plotters::prelude::*;

    #[test]
    fn the_bundled_font_is_registered_and_measures_text() {
        super::register_font().unwrap();
        super::register_font().unwrap();
        let font = (super::FONT, super::LABEL_SIZE).into_font();
        let (narrow, _) = font.box_size("i").unwrap();
        let (wide, height) = font.box_size("soprano").unwrap();
        assert!(narrow > 0 && wide > 5 * narrow, "{narrow} {wide}");
        assert!((10..=30).contains(&height), "{height}");
    }
}
