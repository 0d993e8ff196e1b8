//! The Pi's composer: the sampler over the int8 engine with a blob read at start-up
//! (the same code the microcontrollers run), or cadences.

use std::path::Path;

use anyhow::{ensure, Context};
use kantor_core::engine::Int8ScoreNet;
use kantor_core::player::{Budget, LangevinComposer};

/// Frames of the previous phrase each phrase continues (one bar of 4/4), as on the boards.
pub const CONTEXT_FRAMES: usize = 16;
/// Longest stretch sampled at once: eight bars of phrase plus the context.
const MAX_FRAMES: usize = 8 * 16 + CONTEXT_FRAMES;

/// The composer the Pi plays: the model read at start-up, or cadences.
pub type PiComposer = kantor_core::player::BoardComposer<'static, Vec<u8>, Vec<u8>, MAX_FRAMES>;

/// Loads the blob at `path` for phrases of `phrase_bars` bars.
pub fn load(path: &Path, phrase_bars: usize, budget: Budget) -> anyhow::Result<PiComposer> {
    let blob = std::fs::read(path).with_context(|| format!("cannot read the model {} (give --model, or --cadences)", path.display()))?;
    let frames = phrase_bars * 16 + CONTEXT_FRAMES;
    ensure!(frames <= MAX_FRAMES, "phrases of {phrase_bars} bars are too long");
    let arena = {
        let model = kantor_core::engine::Model::load(&blob).map_err(|e| anyhow::anyhow!("{} is not a usable model: {e}", path.display()))?;
        kantor_core::engine::Plan::new(&model, frames).map_err(|e| anyhow::anyhow!("the model cannot run at {frames} frames: {e}"))?.arena_bytes
    };
    let net = Int8ScoreNet::new(blob, vec![0u8; arena], frames).map_err(|e| anyhow::anyhow!("cannot load the model: {e}"))?;
    let buffer = Box::leak(vec![0f32; kantor_core::sampler::Workspace::floats_needed(frames)].into_boxed_slice());
    let composer = LangevinComposer::phrases(net, phrase_bars, budget, buffer);
    eprintln!("model {}: {} network evaluations per phrase", path.display(), composer.settings().evaluations());
    Ok(PiComposer::Model(composer))
}
