//! The built-in voice: an organ pipe per voice, from FunDSP's organ wavetable oscillator
//! (octave partials emphasised) under a smoothed gate, so a note speaks and stops without
//! a click. Each note closes a little before its end, as an organist lifts a finger, so
//! that a repeated note is heard as two. The voices sit apart in the stereo image.

use fundsp::prelude32::{afollow, organ, shared, var, AudioUnit, Shared};
use kantor_core::midi::Message;

use super::cues::Cues;
use super::wav::Writer;
use anyhow::Result;

/// How long before a note's end its pipe closes, in seconds (at most half the note).
const LIFT: f64 = 0.03;
/// Speaking and closing times of a pipe, in seconds (halfway response).
const ATTACK: f32 = 0.012;
const RELEASE: f32 = 0.035;
/// Loudness of a note at full velocity (four voices together stay below full scale).
const LEVEL: f32 = 0.2;
/// Stereo position per voice, soprano to bass (−1 left … 1 right).
const PAN: [f32; 4] = [-0.3, 0.3, -0.1, 0.1];

/// One pipe: its pitch and how open it is.
struct Pipe {
    pitch: Shared,
    gate: Shared,
    sound: Box<dyn AudioUnit>,
}

impl Pipe {
    fn new(sample_rate: f64) -> Pipe {
        let (pitch, gate) = (shared(0.0), shared(0.0));
        let mut sound: Box<dyn AudioUnit> = Box::new((var(&pitch) >> organ()) * (var(&gate) >> afollow(ATTACK, RELEASE)));
        sound.set_sample_rate(sample_rate);
        Pipe { pitch, gate, sound }
    }
}

/// A change of one pipe at a sample: opened at a pitch and loudness, or closed.
#[derive(Clone, Copy, Debug)]
struct Change {
    sample: usize,
    voice: usize,
    open: Option<(f32, f32)>,
}

/// The pipes' openings and closings, in time order.
fn changes(score: &Cues) -> Vec<Change> {
    let lift = score.samples(LIFT);
    let mut started: [Option<usize>; 4] = [None; 4];
    let mut changes = Vec::new();
    for cue in &score.cues {
        let voice = cue.voice.index();
        match cue.message {
            Message::NoteOn { key, velocity, .. } if velocity > 0 => {
                started[voice] = Some(cue.sample);
                let hz = 440.0 * 2f32.powf((key as f32 - 69.0) / 12.0);
                changes.push(Change { sample: cue.sample, voice, open: Some((hz, LEVEL * velocity as f32 / 127.0)) });
            }
            Message::NoteOn { .. } => {
                let onset = started[voice].take().unwrap_or(cue.sample);
                let close = cue.sample.saturating_sub(lift).max(onset + (cue.sample - onset) / 2);
                changes.push(Change { sample: close, voice, open: None });
            }
            _ => {}
        }
    }
    // Stable: a closing and an opening at one sample keep their order.
    changes.sort_by_key(|c| c.sample);
    changes
}

/// Renders `score` with the organ into `wav`, a sample at a time.
pub fn render(score: &Cues, wav: &mut Writer) -> Result<()> {
    let mut pipes: Vec<Pipe> = (0..4).map(|_| Pipe::new(score.sample_rate as f64)).collect();
    let changes = changes(score);
    let mut next = changes.iter().peekable();
    for i in 0..score.length {
        while let Some(c) = next.next_if(|c| c.sample <= i) {
            let pipe = &pipes[c.voice];
            match c.open {
                Some((hz, level)) => {
                    pipe.pitch.set(hz);
                    pipe.gate.set(level);
                }
                None => pipe.gate.set(0.0),
            }
        }
        let (mut l, mut r) = (0.0, 0.0);
        for (pipe, pan) in pipes.iter_mut().zip(PAN) {
            let s = pipe.sound.get_mono();
            l += s * (1.0 - pan);
            r += s * (1.0 + pan);
        }
        wav.push(l, r)?;
    }
    Ok(())
}
