//! The Pi's composer: the sampler over the int8 engine with a blob read at start-up
//! (the same code the microcontrollers run), or cadences.

use std::path::Path;

use anyhow::{ensure, Context};
use kantor_core::engine::{EngineError, Int8ScoreNet};
use kantor_core::frame::Frame;
use kantor_core::meter::TimeSignature;
use kantor_core::player::{model_settings, Budget, Cadences, Composer, LangevinComposer, LangevinError};
use kantor_core::sampler::{PiecePlan, Workspace};

/// Frames of the previous phrase each phrase continues (one bar of 4/4), as on the boards.
pub const CONTEXT_FRAMES: usize = 16;
/// Longest stretch sampled at once: eight bars of phrase plus the context.
const MAX_FRAMES: usize = 8 * 16 + CONTEXT_FRAMES;

type Net = Int8ScoreNet<Vec<u8>, Vec<u8>>;

pub enum PiComposer {
    Model(LangevinComposer<'static, Net, MAX_FRAMES>),
    Cadences(Cadences),
}

impl PiComposer {
    /// Loads the blob at `path` for phrases of `phrase_bars` bars.
    pub fn load(path: &Path, phrase_bars: usize, budget: Budget) -> anyhow::Result<Self> {
        let blob = std::fs::read(path).with_context(|| format!("cannot read the model {} (give --model, or --cadences)", path.display()))?;
        let frames = phrase_bars * 16 + CONTEXT_FRAMES;
        ensure!(frames <= MAX_FRAMES, "phrases of {phrase_bars} bars are too long");
        let arena = {
            let model = kantor_core::engine::Model::load(&blob).map_err(|e| anyhow::anyhow!("{} is not a usable model: {e:?}", path.display()))?;
            kantor_core::engine::Plan::new(&model, frames).map_err(|e| anyhow::anyhow!("the model cannot run at {frames} frames: {e:?}"))?.arena_bytes
        };
        let net = Int8ScoreNet::new(blob, vec![0u8; arena], frames).map_err(|e| anyhow::anyhow!("cannot load the model: {e:?}"))?;
        let settings = model_settings(&net.model(), budget);
        let plan = PiecePlan { bars: phrase_bars, fermata_every: phrase_bars, ..PiecePlan::new(phrase_bars) };
        let buffer = Box::leak(vec![0f32; Workspace::floats_needed(frames)].into_boxed_slice());
        eprintln!("model {}: {} network evaluations per phrase", path.display(), settings.evaluations());
        Ok(PiComposer::Model(LangevinComposer::new(net, settings, plan, buffer)))
    }
}

impl Composer for PiComposer {
    type Error = LangevinError<EngineError>;

    fn time(&self) -> TimeSignature {
        match self {
            PiComposer::Model(c) => c.time(),
            PiComposer::Cadences(c) => c.time(),
        }
    }

    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error> {
        match self {
            PiComposer::Model(c) => c.compose(seed, context, out),
            PiComposer::Cadences(c) => Ok(c.compose(seed, context, out).unwrap_or_else(|e| match e {})),
        }
    }
}
