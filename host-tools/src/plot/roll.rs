//! Piano rolls: the four voices of a chorale as coloured note boxes on a pitch grid.
//!
//! plotters' charts have no place for what a chorale needs (voices crossing, bar numbers
//! from downbeats, fermata bands), so the roll is laid out here in pixels and drawn with
//! plotters' shapes and text.


use anyhow::{bail, Result};
use kantor_core::{Frame, Token, Voice};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::picture::{drawing, png, Area};
use super::style::{palette, BLACK, FONT, GREY, LABEL_SIZE, LIGHT_GREY, TITLE_SIZE};

/// Pixels per semitone.
const ROW: i32 = 9;
const LEFT: i32 = 70;
const TOP: i32 = 64;
const RIGHT: i32 = 30;
const BOTTOM: i32 = 60;
/// Background of frames under a fermata, and of black-key rows.
const FERMATA_BAND: RGBColor = RGBColor(255, 242, 190);
const BLACK_KEY_ROW: RGBColor = RGBColor(246, 246, 246);

/// Spelling of the twelve pitch classes (sharps, as a keyboard shows them).
const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/// Scientific pitch name of a MIDI note (60 = C4).
pub fn note_name(pitch: u8) -> String {
    format!("{}{}", NAMES[pitch as usize % 12], pitch as i32 / 12 - 1)
}

/// A note of one voice: first frame, frame after the last, pitch.
fn notes(frames: &[Frame], voice: Voice) -> Vec<(usize, usize, u8)> {
    let mut out: Vec<(usize, usize, u8)> = Vec::new();
    let mut open: Option<(usize, u8)> = None;
    for (i, f) in frames.iter().enumerate() {
        match f.tokens[voice.index()] {
            Token::Hold => continue,
            Token::Rest | Token::Pitch(_) => {
                if let Some((start, p)) = open.take() {
                    out.push((start, i, p));
                }
                if let Token::Pitch(p) = f.tokens[voice.index()] {
                    open = Some((i, p));
                }
            }
        }
    }
    if let Some((start, p)) = open {
        out.push((start, frames.len(), p));
    }
    out
}

/// Draws `frames` as a piano roll, returned as a PNG: one colour per voice, bar
/// lines at each downbeat, fermata frames shaded (with a mark above), pitch axis in note
/// names.
pub fn piano_roll(frames: &[Frame], title: &str) -> Result<Vec<u8>> {
    if frames.is_empty() {
        bail!("nothing to plot for \"{title}\": the chorale has no frames");
    }
    let voices: Vec<Vec<(usize, usize, u8)>> = Voice::ALL.iter().map(|v| notes(frames, *v)).collect();
    let pitches = voices.iter().flatten().map(|n| n.2);
    let (lo, hi) = match (pitches.clone().min(), pitches.max()) {
        (Some(lo), Some(hi)) => (lo.saturating_sub(2), hi.saturating_add(2).min(127)),
        _ => (58, 74),
    };
    // Long pieces narrow their frames down to one pixel; short ones widen to fill the
    // picture's smallest width instead of leaving it blank on the right.
    let n = frames.len() as i32;
    let ppf = (3800 / n).clamp(1, 7).max((700 - LEFT - RIGHT) / n);
    let width = (LEFT + RIGHT + ppf * n).max(700);
    let height = TOP + BOTTOM + ROW * (hi - lo + 1) as i32;
    let right = width - RIGHT;
    let bottom = height - BOTTOM;
    let x_of = |frame: usize| LEFT + frame as i32 * ppf;
    let y_top = |pitch: u8| TOP + (hi - pitch) as i32 * ROW;
    let label = |h: HPos, v: VPos, colour: &RGBColor| (FONT, LABEL_SIZE).into_font().color(colour).pos(Pos::new(h, v));
    // A filled box from corner to corner, both included (plotters leaves out the far edges).
    let fill = |area: &Area, (x0, y0): (i32, i32), (x1, y1): (i32, i32), colour: RGBColor| {
        area.draw(&Rectangle::new([(x0, y0), (x1 + 1, y1 + 1)], colour.filled())).map_err(drawing)
    };

    png(width as u32, height as u32, |c| {
        // Background: black-key rows, fermata bands, octave lines.
        for p in lo..=hi {
            if matches!(p % 12, 1 | 3 | 6 | 8 | 10) {
                fill(c, (LEFT, y_top(p)), (right, y_top(p) + ROW - 1), BLACK_KEY_ROW)?;
            }
        }
        for (i, f) in frames.iter().enumerate() {
            if f.meta.fermata {
                fill(c, (x_of(i), TOP), (x_of(i + 1) - 1, bottom), FERMATA_BAND)?;
                if i == 0 || !frames[i - 1].meta.fermata {
                    fermata_mark(c, x_of(i) + 8, TOP - 6)?;
                }
            }
        }
        for p in (lo..=hi).filter(|p| p % 12 == 0) {
            let y = y_top(p) + ROW - 1;
            fill(c, (LEFT, y), (right, y), LIGHT_GREY)?;
            c.draw(&Text::new(note_name(p), (LEFT - 8, y_top(p) + ROW / 2), label(HPos::Right, VPos::Center, &BLACK))).map_err(drawing)?;
        }
        // Bar lines and bar numbers (the first full bar is bar 1), as many numbers as fit.
        let downbeats: Vec<usize> = (0..frames.len()).filter(|&i| frames[i].meta.position_in_bar == 0).collect();
        let widest = c.estimate_text_size(&downbeats.len().to_string(), &label(HPos::Center, VPos::Top, &BLACK)).map_err(drawing)?.0 as i32 + 8;
        let mut last_label: Option<i32> = None;
        for (n, &i) in downbeats.iter().enumerate() {
            let x = x_of(i);
            fill(c, (x, TOP), (x, bottom), GREY)?;
            if last_label.is_none_or(|l| x - l >= widest) {
                c.draw(&Text::new((n + 1).to_string(), (x, bottom + 6), label(HPos::Center, VPos::Top, &BLACK))).map_err(drawing)?;
                last_label = Some(x);
            }
        }
        c.draw(&Text::new("bar", ((LEFT + right) / 2, bottom + 30), label(HPos::Center, VPos::Top, &GREY))).map_err(drawing)?;

        // Notes, bass first so the soprano is on top where voices cross.
        for (v, notes) in voices.iter().enumerate().rev() {
            let colour = palette(v);
            let edge = darker(colour);
            for &(start, end, p) in notes {
                let (x0, x1) = (x_of(start), (x_of(end) - 2).max(x_of(start)));
                let (y0, y1) = (y_top(p) + 1, y_top(p) + ROW - 2);
                fill(c, (x0, y0), (x1, y1), colour)?;
                c.draw(&Rectangle::new([(x0, y0), (x1, y1)], edge)).map_err(drawing)?;
            }
        }
        c.draw(&Rectangle::new([(LEFT, TOP), (right, bottom)], BLACK)).map_err(drawing)?;

        // Title, and the voice legend in the title row.
        c.draw(&Text::new(title, (LEFT, 12), (FONT, TITLE_SIZE).into_font().color(&BLACK))).map_err(drawing)?;
        let mut x = right;
        for v in Voice::ALL.iter().rev() {
            let style = label(HPos::Left, VPos::Center, &BLACK);
            x -= c.estimate_text_size(v.name(), &style).map_err(drawing)?.0 as i32;
            c.draw(&Text::new(v.name(), (x, 26), style)).map_err(drawing)?;
            fill(c, (x - 22, 23), (x - 6, 29), palette(v.index()))?;
            x -= 40;
        }
        Ok(())
    })
}

/// A fermata sign (an arc over a dot) centred on x, its base at y.
fn fermata_mark(c: &Area, x: i32, y: i32) -> Result<()> {
    let arc = (0..=24).map(|step| {
        let a = std::f64::consts::PI * step as f64 / 24.0;
        ((x as f64 + 7.0 * a.cos()).round() as i32, (y as f64 - 7.0 * a.sin()).round() as i32)
    });
    c.draw(&PathElement::new(arc.collect::<Vec<_>>(), BLACK.stroke_width(2))).map_err(drawing)?;
    c.draw(&Circle::new((x, y - 1), 2, BLACK.filled())).map_err(drawing)
}

fn darker(c: RGBColor) -> RGBColor {
    let d = |v: u8| (v as u16 * 3 / 5) as u8;
    RGBColor(d(c.0), d(c.1), d(c.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_notes() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(61), "C#4");
        assert_eq!(note_name(36), "C2");
        use kantor_core::FrameMeta;
        use Token::{Hold as H, Pitch as P, Rest as R};
        let f = |t| Frame { tokens: [t, R, R, R], meta: FrameMeta::default() };
        let frames = [f(P(60)), f(H), f(P(60)), f(R), f(H), f(P(62)), f(H)];
        assert_eq!(notes(&frames, Voice::Soprano), vec![(0, 2, 60), (2, 3, 60), (5, 7, 62)]);
        assert!(notes(&frames, Voice::Bass).is_empty());
    }
}
