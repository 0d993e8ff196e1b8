//! One chain of annealed Langevin dynamics, from noise to tokens.

use super::clamp::{self, Clamp, OutOfRange};
use super::constrain::{constrain_score, Constraint};
use super::gauss::Gaussian;
use super::settings::{Init, SamplerSettings};
use super::workspace::Workspace;
use crate::frame::FrameMeta;
use crate::onehot::{decode_voices, encode_meta, META_CHANNELS, VOICE_CHANNELS};
use crate::score::ScoreNet;
use crate::token::Token;
use crate::voice::VOICES;

/// What one chain did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SampleReport {
    /// Network evaluations made.
    pub evaluations: usize,
}

/// Why sampling failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SampleError<E> {
    /// The network failed.
    Network(E),
    /// The workspace or the token buffer holds fewer frames than asked for.
    BufferTooSmall { frames: usize, capacity: usize },
    /// There is nothing to sample.
    NoFrames,
    /// A clamped pitch lies outside its voice's range.
    ClampOutOfRange(OutOfRange),
    /// A setting makes no sense (no levels, non-positive σ or ε).
    BadSettings,
}

#[cfg(feature = "std")]
impl<E: core::fmt::Debug> core::fmt::Display for SampleError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SampleError::Network(e) => write!(f, "the score network failed: {e:?}"),
            SampleError::BufferTooSmall { frames, capacity } => {
                write!(f, "buffers hold {capacity} frames but {frames} were asked for")
            }
            SampleError::NoFrames => write!(f, "nothing to sample: zero frames"),
            SampleError::ClampOutOfRange(o) => write!(
                f,
                "fixed pitch {} at frame {} lies outside the {} range {}–{}",
                o.pitch,
                o.frame,
                o.voice.name(),
                o.voice.range().lowest,
                o.voice.range().highest
            ),
            SampleError::BadSettings => write!(f, "sampler settings need ≥ 1 level and positive σ and ε"),
        }
    }
}

#[cfg(feature = "std")]
impl<E: core::fmt::Debug> std::error::Error for SampleError<E> {}

/// One network evaluation at `sigma`: state from `ws.x`, score into `ws.score`, with the
/// denoised estimate constrained as `constraint` says.
fn evaluate<N: ScoreNet>(
    net: &mut N,
    ws: &mut Workspace<'_>,
    frames: usize,
    sigma: f32,
    constraint: Constraint,
    report: &mut SampleReport,
) -> Result<(), SampleError<N::Error>> {
    let n = VOICE_CHANNELS * frames;
    report.evaluations += 1;
    net.score(&ws.x[..n], &ws.meta[..META_CHANNELS * frames], frames, sigma, &mut ws.score[..n])
        .map_err(SampleError::Network)?;
    constrain_score(constraint, &ws.x[..n], &mut ws.score[..n], frames, sigma);
    Ok(())
}

/// Composes one chorale: `metas.len()` frames with the given metadata, any clamped entries
/// held to their tokens, drawn by annealed Langevin dynamics from the stream of `seed`.
/// Writes the tokens to `out` and returns how many network evaluations it took.
///
/// `clamps` is empty (nothing fixed) or holds one [`Clamp`] per frame. Clamped tokens come
/// out exactly as given.
pub fn sample<N: ScoreNet>(
    net: &mut N,
    settings: &SamplerSettings,
    seed: u64,
    metas: &[FrameMeta],
    clamps: &[Clamp],
    ws: &mut Workspace<'_>,
    out: &mut [[Token; VOICES]],
) -> Result<SampleReport, SampleError<N::Error>> {
    let frames = metas.len();
    if frames == 0 {
        return Err(SampleError::NoFrames);
    }
    let capacity = ws.capacity().min(out.len());
    if capacity < frames {
        return Err(SampleError::BufferTooSmall { frames, capacity });
    }
    let s = &settings.schedule;
    if s.levels == 0 || !(s.sigma_min > 0.0) || !(s.sigma_max >= s.sigma_min) || !(settings.epsilon > 0.0) {
        return Err(SampleError::BadSettings);
    }
    let clamps = &clamps[..clamps.len().min(frames)];
    clamp::check(clamps).map_err(SampleError::ClampOutOfRange)?;

    let mut noise = Gaussian::new(seed);
    let mut report = SampleReport::default();
    let n = VOICE_CHANNELS * frames;
    encode_meta(metas.iter().copied(), ws.meta);

    let sigma_max = s.sigma(0);
    for v in ws.x[..n].iter_mut() {
        *v = match settings.init {
            Init::Uniform => noise.uniform(),
            Init::Gaussian => sigma_max * noise.next(),
        };
    }

    let constraint = settings.constraint;
    for level in 0..s.levels {
        let sigma = s.sigma(level);
        if settings.predictor && level > 0 {
            // Reverse-diffusion predictor from the previous level down to this one.
            let previous = s.sigma(level - 1);
            let drop = previous * previous - sigma * sigma;
            let kick = settings.temperature * libm::sqrtf(drop.max(0.0));
            clamp::renoise(ws.x, frames, clamps, previous, &mut noise);
            evaluate(net, ws, frames, previous, constraint, &mut report)?;
            for (x, g) in ws.x[..n].iter_mut().zip(ws.score[..n].iter()) {
                *x += drop * g + kick * noise.next();
            }
        }
        let alpha = settings.step_size(level);
        let kick = settings.temperature * libm::sqrtf(2.0 * alpha);
        for _ in 0..settings.steps_per_level {
            clamp::renoise(ws.x, frames, clamps, sigma, &mut noise);
            evaluate(net, ws, frames, sigma, constraint, &mut report)?;
            for (x, g) in ws.x[..n].iter_mut().zip(ws.score[..n].iter()) {
                *x += alpha * g + kick * noise.next();
            }
        }
    }

    if settings.final_denoise {
        let sigma = s.sigma(s.levels - 1);
        clamp::renoise(ws.x, frames, clamps, sigma, &mut noise);
        evaluate(net, ws, frames, sigma, constraint, &mut report)?;
        let step = sigma * sigma;
        for (x, g) in ws.x[..n].iter_mut().zip(ws.score[..n].iter()) {
            *x += step * g;
        }
    }

    clamp::renoise(ws.x, frames, clamps, 0.0, &mut noise);
    decode_voices(&ws.x[..n], frames, &mut out[..frames]);
    for (tokens, c) in out.iter_mut().zip(clamps) {
        for (tok, fixed) in tokens.iter_mut().zip(c) {
            if let Some(f) = fixed {
                *tok = *f;
            }
        }
    }
    Ok(report)
}
