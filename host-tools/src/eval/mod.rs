//! Measuring chorales against Bach: `kantor eval`.
//!
//! The metrics work on frames (`&[Frame]`) and are grouped by what they look at:
//! [`voice_leading`], [`harmony`] (with [`key`] finding), [`statistics`] (histogram
//! distances), [`structure`] and [`copying`]. [`metrics`] gathers them per piece and
//! names them for the table and the JSON.

pub mod copying;
pub mod harmony;
pub mod key;
pub mod metrics;
pub mod notes;
pub mod statistics;
pub mod structure;
pub mod summary;
pub mod voice_leading;

pub use metrics::{measure, Metric, Piece, PieceMetrics, METRICS};

/// Arguments of `kantor eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {}

pub fn run(_args: EvalArgs) -> anyhow::Result<()> {
    anyhow::bail!("kantor eval is not built yet")
}
