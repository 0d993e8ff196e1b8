//! The chorale's MIDI messages on a sample clock: the live event stream (fermata frames
//! last longer, as the MIDI file's slower tempo makes them), each message at the sample
//! it falls on.

use kantor_core::midi::{EventStream, Message, Performance};
use kantor_core::{Frame, Voice};

/// A message and the sample it sounds at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cue {
    pub sample: usize,
    pub voice: Voice,
    pub message: Message,
}

/// Every message of a chorale in order, and its length in samples.
#[derive(Clone, Debug)]
pub struct Cues {
    pub cues: Vec<Cue>,
    pub length: usize,
    pub sample_rate: u32,
}

impl Cues {
    pub fn new(frames: &[Frame], performance: &Performance, sample_rate: u32) -> Cues {
        let stream = EventStream::new(frames, performance);
        let at = |tick: u32| (performance.tick_to_micros(tick) * sample_rate as u64 + 500_000) / 1_000_000;
        let length = at(stream.end_tick()) as usize;
        let cues = stream.map(|e| Cue { sample: at(e.tick) as usize, voice: e.voice, message: e.message }).collect();
        Cues { cues, length, sample_rate }
    }

    /// Seconds as samples.
    pub fn samples(&self, seconds: f64) -> usize {
        (seconds * self.sample_rate as f64).round() as usize
    }
}
