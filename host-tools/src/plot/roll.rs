//! Piano rolls: the four voices of a chorale as coloured note boxes on a pitch grid.

use std::path::Path;

use anyhow::{bail, Result};
use kantor_core::{Frame, Token, Voice};

use super::axes::{LABEL_SCALE, TITLE_SCALE};
use super::canvas::{palette, Canvas, Rgb, BLACK, GREY, LIGHT_GREY};

/// Pixels per semitone.
const ROW: i64 = 9;
const LEFT: i64 = 70;
const TOP: i64 = 64;
const RIGHT: i64 = 30;
const BOTTOM: i64 = 60;
/// Background of frames under a fermata, and of black-key rows.
const FERMATA_BAND: Rgb = [255, 242, 190];
const BLACK_KEY_ROW: Rgb = [246, 246, 246];

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

/// Draws `frames` as a piano roll and saves a PNG at `path`: one colour per voice, bar
/// lines at each downbeat, fermata frames shaded (with a mark above), pitch axis in note
/// names.
pub fn piano_roll(path: &Path, frames: &[Frame], title: &str) -> Result<()> {
    if frames.is_empty() {
        bail!("nothing to plot for \"{title}\": the chorale has no frames");
    }
    let voices: Vec<Vec<(usize, usize, u8)>> = Voice::ALL.iter().map(|v| notes(frames, *v)).collect();
    let pitches = voices.iter().flatten().map(|n| n.2);
    let (lo, hi) = match (pitches.clone().min(), pitches.max()) {
        (Some(lo), Some(hi)) => (lo.saturating_sub(2), hi.saturating_add(2).min(127)),
        _ => (58, 74),
    };
    let ppf = (3800 / frames.len() as i64).clamp(1, 7);
    let width = (LEFT + RIGHT + ppf * frames.len() as i64).max(700);
    let height = TOP + BOTTOM + ROW * (hi - lo + 1) as i64;
    let right = width - RIGHT;
    let bottom = height - BOTTOM;
    let x_of = |frame: usize| LEFT + frame as i64 * ppf;
    let y_top = |pitch: u8| TOP + (hi - pitch) as i64 * ROW;
    let mut c = Canvas::new(width as usize, height as usize);

    // Background: black-key rows, fermata bands, octave lines.
    for p in lo..=hi {
        if matches!(p % 12, 1 | 3 | 6 | 8 | 10) {
            c.fill_rect(LEFT, y_top(p), right, y_top(p) + ROW - 1, BLACK_KEY_ROW);
        }
    }
    for (i, f) in frames.iter().enumerate() {
        if f.meta.fermata {
            c.fill_rect(x_of(i), TOP, x_of(i + 1) - 1, bottom, FERMATA_BAND);
            if i == 0 || !frames[i - 1].meta.fermata {
                fermata_mark(&mut c, x_of(i) + 8, TOP - 6);
            }
        }
    }
    let lh = Canvas::text_height(LABEL_SCALE) as i64;
    for p in lo..=hi {
        if p % 12 == 0 {
            let y = y_top(p) + ROW - 1;
            c.fill_rect(LEFT, y, right, y, LIGHT_GREY);
            c.text_right(LEFT - 8, y_top(p) + ROW / 2 - lh / 2, &note_name(p), LABEL_SCALE, BLACK);
        }
    }
    // Bar lines and bar numbers (the first full bar is bar 1).
    let downbeats: Vec<usize> = (0..frames.len()).filter(|&i| frames[i].meta.position_in_bar == 0).collect();
    let widest = Canvas::text_width(&downbeats.len().to_string(), LABEL_SCALE) as i64 + 8;
    let mut last_label: Option<i64> = None;
    for (n, &i) in downbeats.iter().enumerate() {
        let x = x_of(i);
        c.fill_rect(x, TOP, x, bottom, GREY);
        if last_label.is_none_or(|l| x - l >= widest) {
            c.text_centred(x, bottom + 8, &(n + 1).to_string(), LABEL_SCALE, BLACK);
            last_label = Some(x);
        }
    }
    c.text_centred((LEFT + right) / 2, bottom + 16 + lh, "bar", LABEL_SCALE, GREY);

    // Notes, bass first so the soprano is on top where voices cross.
    for (v, notes) in voices.iter().enumerate().rev() {
        let colour = palette(v);
        let edge = darker(colour);
        for &(start, end, p) in notes {
            let (x0, x1) = (x_of(start), (x_of(end) - 2).max(x_of(start)));
            let (y0, y1) = (y_top(p) + 1, y_top(p) + ROW - 2);
            c.fill_rect(x0, y0, x1, y1, colour);
            c.rect(x0, y0, x1, y1, edge);
        }
    }
    c.rect(LEFT, TOP, right, bottom, BLACK);

    // Title, and the voice legend in the title row.
    c.text(LEFT, 12, title, TITLE_SCALE, BLACK);
    let mut x = right;
    for v in Voice::ALL.iter().rev() {
        let name = v.name();
        let w = Canvas::text_width(name, LABEL_SCALE) as i64;
        x -= w;
        c.text(x, 18, name, LABEL_SCALE, BLACK);
        c.fill_rect(x - 22, 18 + lh / 2 - 3, x - 6, 18 + lh / 2 + 3, palette(v.index()));
        x -= 40;
    }
    c.save_png(path)
}

/// A fermata sign (an arc over a dot) centred on x, its base at y.
fn fermata_mark(c: &mut Canvas, x: i64, y: i64) {
    for step in 0..=24 {
        let a = std::f64::consts::PI * step as f64 / 24.0;
        let (px, py) = (x as f64 + 7.0 * a.cos(), y as f64 - 7.0 * a.sin());
        c.fill_rect(px.round() as i64, py.round() as i64, px.round() as i64, py.round() as i64 + 1, BLACK);
    }
    c.fill_rect(x - 1, y - 2, x + 1, y, BLACK);
}

fn darker(c: Rgb) -> Rgb {
    c.map(|v| (v as u16 * 3 / 5) as u8)
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
