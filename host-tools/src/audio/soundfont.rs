//! A SoundFont synthesiser (RustySynth) playing the chorale's messages as a General MIDI
//! synth would: the program change picks each voice's instrument (church organ), note-ons
//! and note-offs at their samples.

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use kantor_core::midi::Message;
use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};

use super::cues::Cues;
use super::wav::Writer;

/// Reads the SoundFont at `path` (at most [`crate::infile::SOUNDFONT`]).
pub fn load(path: &Path) -> Result<Arc<SoundFont>> {
    let mut file = std::io::BufReader::new(crate::infile::open(path, crate::infile::SOUNDFONT)?);
    let mut head = [0u8; 12];
    let got = read_up_to(&mut file, &mut head).with_context(|| format!("cannot read the SoundFont {}", path.display()))?;
    if got < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"sfbk" {
        bail!(
            "{} is not a SoundFont: {}; give a .sf2 file (e.g. Debian's fluid-soundfont-gm: /usr/share/sounds/sf2/FluidR3_GM.sf2), or leave --soundfont out for the built-in organ",
            path.display(),
            if got == 0 { "it is empty".to_string() } else if got < 12 { format!("it ends after {got} bytes") } else { "it does not start as one (RIFF … sfbk)".to_string() }
        );
    }
    let mut whole = std::io::Read::chain(&head[..], file);
    let font = SoundFont::new(&mut whole).map_err(|e| anyhow!("{} is not a SoundFont (.sf2) that can be read: {e}", path.display()))?;
    Ok(Arc::new(font))
}

/// Reads as much of `buf` as the reader has.
fn read_up_to(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Samples rendered at once.
const BLOCK: usize = 4096;

/// Renders `score` with `font` into `wav`, a block at a time.
pub fn render(score: &Cues, font: &Arc<SoundFont>, wav: &mut Writer) -> Result<()> {
    let settings = SynthesizerSettings::new(score.sample_rate as i32);
    let mut synth = Synthesizer::new(font, &settings).map_err(|e| anyhow!("the SoundFont cannot be played: {e}"))?;
    let (mut left, mut right) = (vec![0.0; BLOCK], vec![0.0; BLOCK]);
    let mut render_to = |synth: &mut Synthesizer, from: usize, to: usize| -> Result<()> {
        let mut at = from;
        while at < to {
            let n = (to - at).min(BLOCK);
            synth.render(&mut left[..n], &mut right[..n]);
            for i in 0..n {
                wav.push(left[i], right[i])?;
            }
            at += n;
        }
        Ok(())
    };
    let mut done = 0;
    for cue in &score.cues {
        let at = cue.sample.min(score.length);
        if at > done {
            render_to(&mut synth, done, at)?;
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
    render_to(&mut synth, done, score.length)
}
