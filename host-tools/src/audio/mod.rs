//! Hearing a chorale without a synthesiser: its performance rendered to a WAV file.
//!
//! - [`cues`]: the chorale's MIDI event stream (the one the boards and the MIDI file
//!   play, fermatas held as long) on a sample clock;
//! - [`soundfont`]: a SoundFont synthesiser (`--soundfont FILE.sf2`), playing the
//!   messages as a General MIDI synth would;
//! - [`organ`]: the built-in voice without a SoundFont, an organ pipe per voice;
//! - [`wav`]: 16-bit stereo WAV files.

pub mod cues;
pub mod organ;
pub mod soundfont;
pub mod wav;

use anyhow::Result;
use kantor_core::midi::Performance;
use kantor_core::Frame;
use rustysynth::SoundFont;
use std::sync::Arc;

/// Samples per second of every rendering.
pub const SAMPLE_RATE: u32 = 44_100;

/// A stereo rendering: left and right channels of equal length.
pub struct Stereo {
    pub left: Vec<f32>,
    pub right: Vec<f32>,
}

/// Renders `frames` as `performance` plays them: with `soundfont` (see
/// [`soundfont::load`]), or the built-in organ without one. As long as the MIDI file, to
/// the sample.
pub fn render(frames: &[Frame], performance: &Performance, soundfont: Option<&Arc<SoundFont>>) -> Result<Stereo> {
    let score = cues::Cues::new(frames, performance, SAMPLE_RATE);
    match soundfont {
        Some(font) => soundfont::render(&score, font),
        None => Ok(organ::render(&score)),
    }
}
