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
use std::io::Write;
use std::sync::Arc;

/// Samples per second of every rendering.
pub const SAMPLE_RATE: u32 = 44_100;

/// Renders `frames` as `performance` plays them, as a WAV file written to `out` while it
/// is made (memory does not grow with the piece): with `soundfont` (see
/// [`soundfont::load`]), or the built-in organ without one. As long as the MIDI file, to
/// the sample.
pub fn write_wav(out: &mut dyn Write, frames: &[Frame], performance: &Performance, soundfont: Option<&Arc<SoundFont>>) -> Result<()> {
    let score = cues::Cues::new(frames, performance, SAMPLE_RATE);
    let mut wav = wav::Writer::new(out, SAMPLE_RATE, score.length)?;
    match soundfont {
        Some(font) => soundfont::render(&score, font, &mut wav)?,
        None => organ::render(&score, &mut wav)?,
    }
    wav.finish()
}
