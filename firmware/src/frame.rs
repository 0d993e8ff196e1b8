//! One 16th-note frame: four tokens and the metadata the network sees.

#![forbid(unsafe_code)]

use crate::key::{Key, Mode};
use crate::meter::{KeySignature, TimeSignature, FRAMES_PER_QUARTER};
use crate::token::Token;
use crate::voice::VOICES;

/// What a frame is, apart from its notes: where it falls in the bar, whether a phrase
/// ends on it (fermata), the key signature and the mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FrameMeta {
    /// Frames since the bar's downbeat (0 = on the downbeat).
    pub position_in_bar: u8,
    /// A fermata is held over this frame (the end of a phrase).
    pub fermata: bool,
    /// The key signature in force.
    pub key: KeySignature,
    /// Major or minor: which of the signature's two keys the music is in.
    pub mode: Mode,
}

impl FrameMeta {
    /// 16th within the quarter-note beat (0..4).
    pub const fn sixteenth_in_beat(self) -> u8 {
        self.position_in_bar % FRAMES_PER_QUARTER
    }

    /// Quarter-note beat within the bar (0..6).
    pub const fn quarter_in_bar(self) -> u8 {
        self.position_in_bar / FRAMES_PER_QUARTER
    }

    /// The key in force: the signature read in the frame's mode.
    pub const fn home(self) -> Key {
        Key::of_signature(self.key, self.mode)
    }

    /// Metadata for frame `index` of a piece in `time`, written with `key` in `mode`,
    /// whose first frame sits `pickup_offset` frames after a downbeat (0 when the piece
    /// starts on a downbeat).
    pub fn on_grid(time: TimeSignature, key: KeySignature, mode: Mode, pickup_offset: usize, index: usize) -> FrameMeta {
        let bar = time.frames_per_bar().unwrap_or(16) as usize;
        FrameMeta { position_in_bar: ((pickup_offset + index) % bar) as u8, fermata: false, key, mode }
    }
}

/// One 16th-note frame of a chorale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Frame {
    /// Soprano, alto, tenor, bass.
    pub tokens: [Token; VOICES],
    pub meta: FrameMeta,
}

impl Frame {
    /// A frame where every voice holds.
    pub const fn held(meta: FrameMeta) -> Frame {
        Frame { tokens: [Token::Hold; VOICES], meta }
    }
}
