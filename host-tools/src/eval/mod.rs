//! Measuring chorales against Bach: `kantor eval`.
//!
//! The metrics work on frames (`&[Frame]`) and are grouped by what they look at:
//! [`voice_leading`], [`harmony`] (with [`key`] finding), [`statistics`] (histogram
//! distances), [`structure`] and [`copying`]. [`metrics`] gathers them per piece and
//! names them; [`evaluation`] measures whole sets against a reference; [`table`] and
//! [`report`] show the result; [`calibrate`] builds the sets that show what the numbers
//! mean.

pub mod args;
pub mod calibrate;
mod command;
pub mod copying;
pub mod evaluation;
pub mod generation;
pub mod harmony;
pub mod input;
pub mod key;
pub mod metrics;
pub mod notes;
pub mod report;
pub mod statistics;
pub mod structure;
pub mod summary;
pub mod table;
pub mod voice_leading;

pub use evaluation::{evaluate, Candidates, Evaluation};
pub use metrics::{measure, Metric, Piece, PieceMetrics, METRICS};

pub use args::EvalArgs;
pub use command::run;

/// The metrics shown per piece.
pub const PER_PIECE: &[&str] = &[
    "crossing_pct",
    "parallel_fifths_per_100",
    "parallel_octaves_per_100",
    "chordal_pct",
    "in_key_pct",
    "cadence_pct",
    "longest_copy_frames",
];
