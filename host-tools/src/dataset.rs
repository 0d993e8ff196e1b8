//! The prepared dataset: Bach's chorales (or any user's corpus) as frames, split into
//! train, validation and test, in a compact versioned file.

use kantor_core::{Frame, TimeSignature};

/// Which side of the split a chorale belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Valid,
    Test,
}

/// One prepared chorale.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetChorale {
    /// Where it came from (file name inside the corpus folder, e.g. `bwv253.mxl`).
    pub source: String,
    pub split: Split,
    pub time: TimeSignature,
    /// Frames in original key; metadata (bar position, fermata, key) filled in.
    pub frames: Vec<Frame>,
}

/// A prepared corpus.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Dataset {
    pub chorales: Vec<DatasetChorale>,
}

impl Dataset {
    /// The chorales of one split.
    pub fn split(&self, split: Split) -> impl Iterator<Item = &DatasetChorale> {
        self.chorales.iter().filter(move |c| c.split == split)
    }
}
