//! Measuring chorales against Bach: `kantor eval`.
//!
//! The metrics work on frames (`&[Frame]`) and are grouped by what they look at:
//! [`voice_leading`] and [`part_writing`] (the rules of `kantor_core::part_writing`),
//! [`harmony`] (with [`key`] finding), [`statistics`] (histogram distances),
//! [`structure`], [`whole_piece`] and [`copying`]. [`metrics`] gathers them per piece and
//! names them; [`evaluation`] measures whole sets against a reference; [`two_sample`]
//! asks a classifier to tell a set from the reference; [`table`] and [`report`] show the
//! result; [`calibrate`] builds the sets that show what the numbers mean.

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
pub mod part_writing;
pub mod report;
pub mod statistics;
pub mod structure;
pub mod summary;
pub mod table;
pub mod two_sample;
pub mod voice_leading;
pub mod whole_piece;

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

/// What `kantor eval --help` says the rules and whole-piece measures mean.
pub fn help_definitions() -> String {
    format!(
        "Part writing, as counted per 100 frames (16ths):\n{}\nThe whole piece:\n{}\nThe classifier two-sample test:\n{}\n",
        part_writing::DEFINITIONS,
        whole_piece::DEFINITIONS,
        two_sample::NOTE
    )
}
