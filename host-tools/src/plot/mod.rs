//! PNG pictures: piano rolls, line plots and histograms, drawn with plotters.
//!
//! - [`line_chart`]: lines with a legend, linear or logarithmic y;
//! - [`bar_compare`]: grouped bars, e.g. a histogram of generated against reference;
//! - [`piano_roll`]: a chorale's four voices on a pitch grid, bar lines and fermatas.
//!
//! plotters draws axes, ticks, legends and text (in a font bundled with the binary, so no
//! font library is needed on the machine); what is Kantor's own is the piano roll's layout.
//! Underneath: [`picture`] (a picture in memory saved as PNG), [`style`] (font, colours),
//! [`chart`] (the frame the line and bar charts share).

pub mod bars;
pub mod chart;
pub mod line;
pub mod picture;
pub mod roll;
pub mod style;

pub use bars::bar_compare;
pub use line::line_chart;
pub use roll::{note_name, piano_roll};

#[cfg(test)]
mod tests {
    use super::*;
    use kantor_core::{Frame, FrameMeta, Token};

    /// Decodes a PNG: (width, height, RGB pixels).
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// How many pixels have exactly `colour`.
    fn count(pixels: &[u8], colour: plotters::style::RGBColor) -> usize {
        pixels.chunks(3).filter(|p| *p == [colour.0, colour.1, colour.2]).count()
    }

    #[test]
    fn line_chart_draws_each_series_in_its_colour() {
        let train: Vec<(f64, f64)> = (0..50).map(|e| (e as f64, 2.0 * (-(e as f64) / 10.0).exp() + 0.01)).collect();
        let valid: Vec<(f64, f64)> = (0..50).map(|e| (e as f64, 2.5 * (-(e as f64) / 12.0).exp() + 0.02)).collect();
        let (w, h, px) = decode(&line_chart("Loss", "epoch", "loss", &[("train", train), ("valid", valid)], true).unwrap());
        assert_eq!((w, h), (960, 600));
        assert!(count(&px, style::PALETTE[0]) > 300, "train line missing");
        assert!(count(&px, style::PALETTE[1]) > 300, "valid line missing");
        assert!(count(&px, style::BLACK) > 1000, "no axes or text");
        // The title, in the bundled font, darkens the top rows' middle.
        let title_row = |y: usize| (300..660).filter(|x| px[(y * 960 + x) * 3] < 128).count();
        assert!((10..45).map(title_row).sum::<usize>() > 60, "no title text");
        assert!(line_chart("Empty", "x", "y", &[("none", vec![(1.0, -1.0)])], true).is_err());
    }

    #[test]
    fn bar_compare_draws_grouped_bars() {
        let labels: Vec<String> = (0..13).map(|i| i.to_string()).collect();
        let bach: Vec<f64> = (0..13).map(|i| (13 - i) as f64 / 91.0).collect();
        let ours: Vec<f64> = (0..13).map(|i| if i < 3 { 0.2 } else { 0.4 / 10.0 }).collect();
        let (w, h, px) = decode(&bar_compare("Melodic intervals", &labels, &[("Bach", bach), ("generated", ours)]).unwrap());
        assert_eq!((w, h), (960, 600));
        assert!(count(&px, style::PALETTE[0]) > 2000 && count(&px, style::PALETTE[1]) > 2000);
        assert!(bar_compare("Bad", &labels, &[("short", vec![1.0])]).is_err());
    }

    #[test]
    fn piano_roll_shows_voices_bars_and_fermatas() {
        use Token::{Hold as H, Pitch as P};
        let chords = [[72, 67, 64, 48], [74, 67, 59, 55], [76, 67, 60, 48], [74, 65, 59, 43]];
        let frames: Vec<Frame> = (0..64)
            .map(|i| {
                let c = chords[(i / 8) % 4];
                let tokens = if i % 8 == 0 { c.map(P) } else { [H; 4] };
                let meta = FrameMeta { position_in_bar: (i % 16) as u8, fermata: (56..64).contains(&i), ..FrameMeta::default() };
                Frame { tokens, meta }
            })
            .collect();
        let (w, h, px) = decode(&piano_roll(&frames, "Test chorale").unwrap());
        // 64 frames at 7 px, margins 70 + 30; pitches 41..=78 at 9 px, margins 64 + 60.
        assert_eq!((w, h), (700, 38 * 9 + 124));
        for v in 0..4 {
            assert!(count(&px, style::PALETTE[v]) > 500, "voice {v} missing");
        }
        assert!(count(&px, plotters::style::RGBColor(255, 242, 190)) > 1000, "fermata band missing");
        assert!(piano_roll(&[], "nothing").is_err());
    }
}
