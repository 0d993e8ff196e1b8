//! How a chorale is played: tempo, channel and instrument per voice, loudness, fermatas.

use super::{TICKS_PER_FRAME, TICKS_PER_QUARTER};
use crate::voice::VOICES;

/// General MIDI program 20 "Church Organ" (0-based 19): Kantor's default, because an
/// organ sustains every note at an even level for exactly as long as it is held, which
/// makes the four voices and their ties easy to hear.
pub const CHURCH_ORGAN: u8 = 19;
/// General MIDI program 53 "Choir Aahs" (0-based 52): the sung alternative.
pub const CHOIR_AAHS: u8 = 52;

/// How fermatas stretch time in an [`EventStream`](super::EventStream).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FermataTiming {
    /// Frames under a fermata last longer in ticks (the live player: the tempo never
    /// changes, the held notes do).
    StretchTicks,
    /// Every frame lasts [`TICKS_PER_FRAME`] ticks; the caller slows the tempo during
    /// fermata frames instead (the Standard MIDI File writer, so that a reader can put
    /// every note back on its 16th-note grid).
    Grid,
}

/// How to play a chorale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Performance {
    /// Quarter notes per minute (default 80). Values below 1 are treated as 1.
    pub tempo_bpm: u16,
    /// MIDI channel (0..=15) per voice, soprano first (default 0, 1, 2, 3). Voices may
    /// share a channel (running status then saves more bytes), but two voices singing
    /// the same key on one channel sound as one note, which the first note-off ends.
    pub channels: [u8; VOICES],
    /// General MIDI program (0-based) per voice (default [`CHURCH_ORGAN`] for all).
    pub programs: [u8; VOICES],
    /// Note-on velocity per voice (1..=127; default 80 for the inner voices, 90 for the
    /// soprano and bass so the outer voices carry).
    pub velocities: [u8; VOICES],
    /// Length of a frame under a fermata, in percent of a normal frame (default 200: a
    /// fermata doubles the held note). 100 means fermatas are not lengthened.
    pub fermata_percent: u16,
}

impl Default for Performance {
    fn default() -> Self {
        Performance {
            tempo_bpm: 80,
            channels: [0, 1, 2, 3],
            programs: [CHURCH_ORGAN; VOICES],
            velocities: [90, 80, 80, 90],
            fermata_percent: 200,
        }
    }
}

impl Performance {
    /// Microseconds per quarter note at the base tempo.
    pub const fn micros_per_quarter(&self) -> u32 {
        let bpm = if self.tempo_bpm == 0 { 1 } else { self.tempo_bpm as u32 };
        60_000_000 / bpm
    }

    /// Microseconds per quarter note while a fermata is held (the tempo a Standard MIDI
    /// File uses in fermata frames so that they sound as long as the live stream's).
    pub const fn fermata_micros_per_quarter(&self) -> u32 {
        let stretched = self.micros_per_quarter() as u64 * self.stretch_percent() as u64 / 100;
        if stretched > 0xFF_FFFF {
            0xFF_FFFF // largest tempo an SMF can state
        } else {
            stretched as u32
        }
    }

    /// Duration of one frame in ticks, with or without a fermata, under `timing`.
    pub const fn frame_ticks(&self, fermata: bool, timing: FermataTiming) -> u32 {
        match (fermata, timing) {
            (true, FermataTiming::StretchTicks) => TICKS_PER_FRAME * self.stretch_percent() as u32 / 100,
            _ => TICKS_PER_FRAME,
        }
    }

    /// Absolute time of `tick` in microseconds at the base tempo (the serial player's
    /// clock for a stream with [`FermataTiming::StretchTicks`]).
    pub const fn tick_to_micros(&self, tick: u32) -> u64 {
        tick as u64 * self.micros_per_quarter() as u64 / TICKS_PER_QUARTER as u64
    }

    /// The fermata stretch, never shorter than a normal frame.
    const fn stretch_percent(&self) -> u16 {
        if self.fermata_percent < 100 {
            100
        } else {
            self.fermata_percent
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_at_80_bpm() {
        let p = Performance::default();
        assert_eq!(p.micros_per_quarter(), 750_000);
        assert_eq!(p.tick_to_micros(TICKS_PER_QUARTER), 750_000);
        assert_eq!(p.tick_to_micros(TICKS_PER_FRAME), 187_500);
        assert_eq!(p.fermata_micros_per_quarter(), 1_500_000);
        assert_eq!(p.frame_ticks(true, FermataTiming::StretchTicks), 2 * TICKS_PER_FRAME);
        assert_eq!(p.frame_ticks(true, FermataTiming::Grid), TICKS_PER_FRAME);
        assert_eq!(p.frame_ticks(false, FermataTiming::StretchTicks), TICKS_PER_FRAME);
        let zero = Performance { tempo_bpm: 0, fermata_percent: 0, ..p };
        assert_eq!(zero.micros_per_quarter(), 60_000_000);
        assert_eq!(zero.frame_ticks(true, FermataTiming::StretchTicks), TICKS_PER_FRAME);
    }
}
