//! The Pi's composer: the sampler over the int8 engine with a blob read at start-up
//! (the same code the microcontrollers run), or cadences.

use std::path::Path;

use anyhow::Context;
use kantor_core::player::Budget;

/// Frames of the previous phrase each phrase continues (one bar of 4/4), as on the boards.
pub const CONTEXT_FRAMES: usize = 16;
/// Longest stretch sampled at once: eight bars of phrase plus the context.
const MAX_FRAMES: usize = 8 * 16 + CONTEXT_FRAMES;

/// The composer the Pi plays: the model read at start-up, or cadences.
pub type PiComposer = kantor_core::player::BoardComposer<'static, Vec<u8>, Vec<u8>, MAX_FRAMES>;

/// Loads the blob at `path` for phrases of `phrase_bars` bars.
pub fn load(path: &Path, phrase_bars: usize, budget: Budget) -> anyhow::Result<PiComposer> {
    let blob = std::fs::read(path).with_context(|| format!("cannot read the model {} (give --model, or --cadences)", path.display()))?;
    let composer = PiComposer::from_blob(blob, phrase_bars, CONTEXT_FRAMES, budget).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    eprintln!("model {}: {} network evaluations per phrase", path.display(), composer.evaluations_per_phrase());
    Ok(composer)
}
