//! The composer boards play: annealed Langevin dynamics over a score network, phrase by
//! phrase, each phrase continuing the last by inpainting.
//!
//! A phrase is sampled together with the `context` frames before it (the end of the
//! previous phrase), which are clamped to what was played, so the join is smooth. Only
//! the new frames are handed back.

use super::compose::Composer;
use crate::engine::ModelExt;
use crate::frame::{Frame, FrameMeta};
use crate::key::Key;
use crate::meter::TimeSignature;
use crate::sampler::{clamp_continuation, clamp_home, sample, Clamp, PiecePlan, PiecePlanError, SampleError, SamplerSettings, Workspace, FREE};
use crate::score::ScoreNet;
use crate::token::Token;
use crate::voice::VOICES;

/// Why a phrase could not be composed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LangevinError<E> {
    /// The sampler (or the network under it) failed.
    Sample(SampleError<E>),
    /// The phrase outline is invalid.
    Plan(PiecePlanError),
    /// Context plus phrase exceed the composer's `MAX` frames or the workspace.
    TooLong { frames: usize, capacity: usize },
}

impl<E: core::fmt::Display> core::fmt::Display for LangevinError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LangevinError::Sample(e) => write!(f, "sampling the phrase failed: {e}"),
            LangevinError::Plan(e) => write!(f, "the phrase outline is invalid: {e}"),
            LangevinError::TooLong { frames, capacity } => {
                write!(f, "context and phrase need {frames} frames but the composer holds {capacity}")
            }
        }
    }
}

#[cfg(feature = "std")]
impl<E: core::fmt::Debug + core::fmt::Display> std::error::Error for LangevinError<E> {}

/// A [`Composer`] over the sampler, for phrases of up to `MAX` frames including the
/// context. The workspace buffer is the caller's (a static array on a device).
pub struct LangevinComposer<'w, N, const MAX: usize> {
    net: N,
    settings: SamplerSettings,
    phrase: PiecePlan,
    /// Each piece's key is drawn from its first phrase's seed ([`Key::drawn`]) instead of
    /// the outline's.
    draws_key: bool,
    /// The next phrase ends the piece ([`Composer::ends_piece`]).
    ends_piece: bool,
    buffer: &'w mut [f32],
    metas: [FrameMeta; MAX],
    clamps: [Clamp; MAX],
    tokens: [[Token; VOICES]; MAX],
}

impl<'w, N: ScoreNet, const MAX: usize> LangevinComposer<'w, N, MAX> {
    /// Floats of workspace a composer of `MAX` frames needs.
    pub const WORKSPACE_FLOATS: usize = Workspace::floats_needed(MAX);

    /// Phrases outlined by `phrase` (bars, metre, key; a fermata ends each), sampled with
    /// `settings` by `net`, in `buffer` (at least [`Self::WORKSPACE_FLOATS`] long).
    pub fn new(net: N, settings: SamplerSettings, phrase: PiecePlan, buffer: &'w mut [f32]) -> Self {
        LangevinComposer {
            net,
            settings,
            phrase,
            draws_key: false,
            ends_piece: false,
            buffer,
            metas: [FrameMeta::default(); MAX],
            clamps: [FREE; MAX],
            tokens: [[Token::Rest; VOICES]; MAX],
        }
    }

    /// Draws each piece's key and mode from the seed of its first phrase, as Bach's
    /// chorales are distributed ([`Key::drawn`]); later phrases keep the piece's key.
    pub fn drawing_keys(mut self) -> Self {
        self.draws_key = true;
        self
    }

    /// The network (e.g. to ask a board's engine for its arena use).
    pub fn net(&mut self) -> &mut N {
        &mut self.net
    }

    /// The sampler settings.
    pub fn settings(&self) -> &SamplerSettings {
        &self.settings
    }
}

impl<N: ScoreNet, const MAX: usize> Composer for LangevinComposer<'_, N, MAX> {
    type Error = LangevinError<N::Error>;

    fn time(&self) -> TimeSignature {
        self.phrase.time
    }

    fn ends_piece(&mut self, last: bool) {
        self.ends_piece = last;
    }

    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error> {
        let length = self.phrase.frames().map_err(LangevinError::Plan)?.min(out.len());
        let ctx = context.len();
        let frames = ctx + length;
        let capacity = MAX.min(self.buffer.len() / Workspace::floats_needed(1));
        if frames > capacity {
            return Err(LangevinError::TooLong { frames, capacity });
        }
        // A piece begins: its key comes from its seed. Later phrases run on in the key of
        // the context.
        if self.draws_key {
            self.phrase.key = match context.last() {
                None => Key::drawn(seed),
                Some(f) => f.meta.home(),
            };
        }
        // The context keeps its own metadata; the new frames follow the phrase outline
        // (context and phrases are whole bars, so the bar grid runs on).
        for (i, f) in context.iter().enumerate() {
            self.metas[i] = f.meta;
            self.tokens[i] = f.tokens;
        }
        for i in 0..length {
            self.metas[ctx + i] = self.phrase.meta(i).map_err(LangevinError::Plan)?;
        }
        self.clamps[..frames].fill(FREE);
        // Only the phrase that opens a piece has to open at home, and only the one that
        // ends it has to close there, on the tonic in the bass.
        let mut settings = self.settings;
        settings.refine.home_ending &= self.ends_piece;
        settings.refine.home_opening &= ctx == 0;
        let mut clamped = clamp_continuation(&mut self.clamps[..frames], &self.tokens[..ctx], ctx);
        clamped += clamp_home(&mut self.clamps[..frames], &self.metas[..frames], &settings.refine, true, true);
        let clamps = if clamped == 0 { &[][..] } else { &self.clamps[..frames] };
        let mut ws = Workspace::split(self.buffer, frames).ok_or(LangevinError::TooLong { frames, capacity })?;
        sample(&mut self.net, &settings, seed, &self.metas[..frames], clamps, &mut ws, &mut self.tokens[..frames])
            .map_err(LangevinError::Sample)?;
        for (i, slot) in out[..length].iter_mut().enumerate() {
            *slot = Frame { tokens: self.tokens[ctx + i], meta: self.metas[ctx + i] };
        }
        Ok(length)
    }
}

/// How much of the model's own sampling schedule a device runs: fewer noise levels
/// (geometric between the same σ_max and σ_min, and no refinement rounds) and fewer
/// Langevin steps per level trade quality for time. `None` keeps the model's own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Budget {
    pub levels: Option<usize>,
    pub steps_per_level: Option<usize>,
}

/// Sampler settings for a quantised model, as `kantor generate` chooses them on the host:
/// its own schedule with the step size and steps per level it was published with
/// (`kantor.epsilon`, `kantor.steps_per_level`, NCSN's defaults where the blob does not
/// say), then the recommended sampler it carries (`kantor.sampler`) over those, if any; then
/// cut down to `budget`.
pub fn model_settings(model: &crate::engine::Model<'_>, budget: Budget) -> SamplerSettings {
    let mut s = SamplerSettings::ncsn(model.schedule());
    if let Some(eps) = model.prop("kantor.epsilon").and_then(|v| v.trim().parse::<f32>().ok()) {
        if eps > 0.0 {
            s.epsilon = eps;
        }
    }
    if let Some(t) = model.prop("kantor.steps_per_level").and_then(|v| v.trim().parse::<usize>().ok()) {
        if t <= crate::sampler::settings::MAX_STEPS {
            s.steps_per_level = t.max(1);
        }
    }
    if let Some(text) = model.prop("kantor.sampler") {
        let mut recommended = s;
        // A blob whose sampler line does not parse, or asks for endless work, keeps its
        // schedule's own settings.
        if recommended.apply_text(text).is_ok() && recommended.is_valid() && recommended.is_bounded() {
            s = recommended;
        }
    }
    if let Some(t) = budget.steps_per_level {
        s.steps_per_level = t.max(1);
    }
    if let Some(l) = budget.levels {
        s.schedule = crate::noise::NoiseSchedule::new(s.schedule.sigma_max, s.schedule.sigma_min, l.max(1));
        // Fewer levels is a time budget: the refinement rounds after the chain would spend
        // more than the levels saved.
        s.refine.rounds = 0;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chorale::in_range;
    use crate::noise::NoiseSchedule;
    use crate::onehot::{voice_offset, VOICE_CHANNELS};
    use crate::voice::Voice;

    /// A score that pulls every voice towards one chord: s = (target − x)/σ².
    struct Chord;
    impl ScoreNet for Chord {
        type Error = core::convert::Infallible;
        fn score(&mut self, x: &[f32], _meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), Self::Error> {
            for c in 0..VOICE_CHANNELS {
                for t in 0..frames {
                    let target = [72u8, 67, 64, 48]
                        .iter()
                        .zip(Voice::ALL)
                        .any(|(&p, v)| c == voice_offset(v) + Token::Pitch(p).class(v).unwrap())
                        as u8 as f32;
                    // Every frame sounds the chord; it is struck on the beat and tied over.
                    let hold = Voice::ALL.iter().any(|&v| c == voice_offset(v)) && t % 4 != 0;
                    let target = if hold { 1.0 } else { target };
                    score[c * frames + t] = (target - x[c * frames + t]) / (sigma * sigma);
                }
            }
            Ok(())
        }
    }

    fn settings() -> SamplerSettings {
        SamplerSettings { steps_per_level: 3, ..SamplerSettings::ncsn(NoiseSchedule::new(2.0, 0.05, 6)) }
    }

    #[test]
    fn phrases_continue_their_context() {
        const MAX: usize = 48;
        let mut buffer = [0.0f32; Workspace::floats_needed(MAX)];
        let mut c: LangevinComposer<'_, _, MAX> = LangevinComposer::new(Chord, settings(), PiecePlan::new(2), &mut buffer);
        let mut first = [Frame::held(FrameMeta::default()); 32];
        assert_eq!(c.compose(1, &[], &mut first), Ok(32));
        assert!(in_range(&first));
        // The analytic score makes quarter-note C major chords, fermata at the end.
        assert_eq!(first[0].tokens, [72, 67, 64, 48].map(Token::Pitch));
        assert_eq!(first[1].tokens, [Token::Hold; 4]);
        assert!(first[31].meta.fermata && !first[27].meta.fermata);
        let mut next = [Frame::held(FrameMeta::default()); 32];
        assert_eq!(c.compose(2, &first[16..], &mut next), Ok(32));
        assert_eq!(next[0].meta.position_in_bar, 0);
        // Too long for the buffers.
        assert!(matches!(c.compose(3, &first, &mut next), Err(LangevinError::TooLong { frames: 64, capacity: 48 })));
    }

    #[test]
    fn same_seed_same_phrase() {
        const MAX: usize = 32;
        let mut buffer = [0.0f32; Workspace::floats_needed(MAX)];
        let noisy = SamplerSettings { temperature: 1.0, ..settings() };
        let mut c: LangevinComposer<'_, _, MAX> = LangevinComposer::new(Chord, noisy, PiecePlan::new(1), &mut buffer);
        let mut a = [Frame::held(FrameMeta::default()); 16];
        let mut b = a;
        c.compose(9, &[], &mut a).unwrap();
        c.compose(9, &[], &mut b).unwrap();
        assert_eq!(a, b);
    }
}
