//! A SoundFont synthesiser (RustySynth) playing the chorale's messages as a General MIDI
//! synth would: the program change picks each voice's instrument (church organ), note-ons
//! and note-offs at their samples.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use kantor_core::midi::Message;
use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use super::cues::Cues;
use super::Stereo;

/// Reads the SoundFont at `path`.
pub fn load(path: &Path) -> Result<Arc<SoundFont>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open the SoundFont {}", path.display()))?;
    let font = SoundFont::new(&mut std::io::BufReader::new(file))
        .map_err(|e| anyhow!("{} is not a SoundFont (.sf2) that can be read: {e}", path.display()))?;
    Ok(Arc::new(font))
}

/// Renders `score` with `font`.
pub fn render(score: &Cues, font: &Arc<SoundFont>) -> Result<Stereo> {
    let settings = SynthesizerSettings::new(score.sample_rate as i32);
    let mut synth = Synthesizer::new(font, &settings).map_err(|e| anyhow!("the SoundFont cannot be played: {e}"))?;
    let mut left = vec![0.0; score.length];
    let mut right = vec![0.0; score.length];
    let mut done = 0;
    for cue in &score.cues {
        let at = cue.sample.min(score.length);
        if at > done {
            synth.render(&mut left[done..at], &mut right[done..at]);
            done = at;
        }
        let channel = cue.message.channel() as i32;
        match cue.message {
            Message::NoteOn { key, velocity: 0, .. } => synth.note_off(channel, key as i32),
            m => {
                let (data, _) = m.data();
                synth.process_midi_message(channel, (m.status() & 0xF0) as i32, data[0] as i32, data[1] as i32);
            }
        }
    }
    if score.length > done {
        synth.render(&mut left[done..], &mut right[done..]);
    }
    Ok(Stereo { left, right })
}
