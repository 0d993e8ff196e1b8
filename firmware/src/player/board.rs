//! What every board composes with: the sampler over its int8 model, phrase by phrase, or
//! seeded cadences when it was built without a model. The microcontrollers, the Pi and the
//! host's replay of a board all build their composer here, so they cannot drift apart.

use super::compose::{Cadences, Composer};
use super::phrases::{model_settings, Budget, LangevinComposer, LangevinError};
use crate::engine::{EngineError, Int8ScoreNet};
use crate::frame::Frame;
use crate::meter::TimeSignature;
use crate::sampler::PiecePlan;

impl<'w, B: AsRef<[u8]>, A: AsMut<[u8]>, const MAX: usize> LangevinComposer<'w, Int8ScoreNet<B, A>, MAX> {
    /// Phrases of `phrase_bars` bars of 4/4, each ending on a fermata, sampled by `net` with
    /// the model's own settings cut to `budget` (see [`model_settings`]), in `buffer`; each
    /// piece in a key and mode drawn from its seed as Bach's chorales are distributed.
    pub fn phrases(net: Int8ScoreNet<B, A>, phrase_bars: usize, budget: Budget, buffer: &'w mut [f32]) -> Self {
        Self::phrases_through(net, phrase_bars, budget, buffer, |net| net)
    }
}

impl<'w, N: crate::score::ScoreNet, const MAX: usize> LangevinComposer<'w, N, MAX> {
    /// [`LangevinComposer::phrases`] with the network seen through `wrap` (e.g. one that
    /// stops the sampler when the user asks).
    pub fn phrases_through<B: AsRef<[u8]>, A: AsMut<[u8]>>(
        net: Int8ScoreNet<B, A>,
        phrase_bars: usize,
        budget: Budget,
        buffer: &'w mut [f32],
        wrap: impl FnOnce(Int8ScoreNet<B, A>) -> N,
    ) -> Self {
        let settings = model_settings(&net.model(), budget);
        let plan = PiecePlan { bars: phrase_bars, fermata_every: phrase_bars, ..PiecePlan::new(phrase_bars) };
        LangevinComposer::new(wrap(net), settings, plan, buffer).drawing_keys()
    }
}

/// The composer a board plays: the model when it was built with one, else cadences.
pub enum BoardComposer<'w, B, A, const MAX: usize> {
    Model(LangevinComposer<'w, Int8ScoreNet<B, A>, MAX>),
    Cadences(Cadences),
}

impl<B: AsRef<[u8]>, A: AsMut<[u8]>, const MAX: usize> BoardComposer<'_, B, A, MAX> {
    /// Network evaluations per phrase at the model's own settings (0 for cadences).
    pub fn model_evaluations_per_phrase(&mut self) -> usize {
        match self {
            BoardComposer::Model(c) => model_settings(&c.net().model(), Budget::default()).evaluations(),
            BoardComposer::Cadences(_) => 0,
        }
    }

    /// Network evaluations per phrase (0 for cadences).
    pub fn evaluations_per_phrase(&self) -> usize {
        match self {
            BoardComposer::Model(c) => c.settings().evaluations(),
            BoardComposer::Cadences(_) => 0,
        }
    }
}

impl<B: AsRef<[u8]>, A: AsMut<[u8]>, const MAX: usize> Composer for BoardComposer<'_, B, A, MAX> {
    type Error = LangevinError<EngineError>;

    fn time(&self) -> TimeSignature {
        match self {
            BoardComposer::Model(c) => c.time(),
            BoardComposer::Cadences(c) => c.time(),
        }
    }

    fn ends_piece(&mut self, last: bool) {
        if let BoardComposer::Model(c) = self {
            c.ends_piece(last);
        }
    }

    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error> {
        match self {
            BoardComposer::Model(c) => c.compose(seed, context, out),
            BoardComposer::Cadences(c) => Ok(c.compose(seed, context, out).unwrap_or_else(|e| match e {})),
        }
    }
}

#[cfg(feature = "std")]
impl<const MAX: usize> BoardComposer<'static, std::vec::Vec<u8>, std::vec::Vec<u8>, MAX> {
    /// The model in `blob` composing phrases of `phrase_bars` bars that continue `context`
    /// frames of the phrase before, with its arena and workspace on the heap (kept for the
    /// rest of the program): how the Pi and the host's `kantor play` load their model.
    pub fn from_blob(blob: std::vec::Vec<u8>, phrase_bars: usize, context: usize, budget: Budget) -> Result<Self, std::string::String> {
        blob_composer(blob, phrase_bars, context, budget, |net| net).map(BoardComposer::Model)
    }
}

/// The model in `blob` composing phrases as [`BoardComposer::from_blob`] does, its network
/// seen through `wrap`, with its arena and workspace on the heap.
#[cfg(feature = "std")]
pub fn blob_composer<N: crate::score::ScoreNet, const MAX: usize>(
    blob: std::vec::Vec<u8>,
    phrase_bars: usize,
    context: usize,
    budget: Budget,
    wrap: impl FnOnce(Int8ScoreNet<std::vec::Vec<u8>, std::vec::Vec<u8>>) -> N,
) -> Result<LangevinComposer<'static, N, MAX>, std::string::String> {
    use std::format;
    let frames = phrase_bars * 16 + context;
    if frames > MAX {
        return Err(format!("phrases of {phrase_bars} bars are too long: at most {} frames with the context", MAX));
    }
    let arena = {
        let model = crate::engine::load(&blob).map_err(|e| format!("not a usable model: {e}"))?;
        crate::engine::Plan::new(&model, frames).map_err(|e| format!("the model cannot run at {frames} frames: {e}"))?.arena_bytes
    };
    let net = Int8ScoreNet::new(blob, std::vec![0u8; arena], frames).map_err(|e| format!("cannot load the model: {e}"))?;
    let buffer = std::boxed::Box::leak(std::vec![0f32; crate::sampler::Workspace::floats_needed(frames)].into_boxed_slice());
    Ok(LangevinComposer::phrases_through(net, phrase_bars, budget, buffer, wrap))
}
