//! One chain of annealed Langevin dynamics, from noise to tokens.

use super::clamp::{self, Clamp};
use super::evaluation::{evaluate, SampleError, SampleReport, Shaping};
use super::gauss::Gaussian;
use super::refine;
use super::{cadence, counterpoint};
use super::settings::{Init, Judge, Method, SamplerSettings};
use super::workspace::Workspace;
use crate::frame::FrameMeta;
use crate::onehot::{decode_voices, encode_meta, VOICE_CHANNELS};
use crate::score::ScoreNet;
use crate::token::Token;
use crate::voice::{Voice, VOICES};

/// What stays fixed while annealing: the caller's clamps and, while refining, the frames
/// that are not re-sampled (their tokens; `ws.per_frame` marks the re-sampled ones).
#[derive(Clone, Copy)]
struct Held<'a> {
    clamps: &'a [Clamp],
    kept: Option<&'a [[Token; VOICES]]>,
}

impl Held<'_> {
    /// Sets every held entry of `ws.x` to its one-hot plus noise at `sigma`.
    fn renoise(&self, ws: &mut Workspace<'_>, frames: usize, sigma: f32, noise: &mut Gaussian) {
        clamp::renoise(ws.x, frames, self.clamps, sigma, noise);
        if let Some(tokens) = self.kept {
            refine::renoise_kept(ws.x, ws.per_frame, tokens, frames, sigma, noise);
        }
    }
}

/// Noise scale β·σ' of a consistent annealing step of size `alpha` from `sigma` to `next`.
fn consistent_kick(alpha: f32, sigma: f32, next: f32) -> f32 {
    if next <= 0.0 {
        return 0.0;
    }
    let keep = (1.0 - alpha / (sigma * sigma)) * sigma / next;
    libm::sqrtf((1.0 - keep * keep).max(0.0)) * next
}

/// Anneals `ws.x` from level `from` down to the last level, then takes the final
/// denoising step if asked to.
#[allow(clippy::too_many_arguments)]
fn anneal<N: ScoreNet>(
    net: &mut N,
    settings: &SamplerSettings,
    from: usize,
    ws: &mut Workspace<'_>,
    frames: usize,
    held: Held<'_>,
    noise: &mut Gaussian,
    report: &mut SampleReport,
) -> Result<(), SampleError<N::Error>> {
    let s = &settings.schedule;
    let n = VOICE_CHANNELS * frames;
    let shaping = Shaping { constraint: settings.constraint, repeat_guidance: settings.repeat_guidance };
    let tau = settings.temperature;
    for level in from..s.levels {
        let sigma = s.sigma(level);
        if settings.predictor && level > from {
            // Reverse-diffusion predictor from the previous level down to this one.
            let previous = s.sigma(level - 1);
            let drop = previous * previous - sigma * sigma;
            let kick = tau * libm::sqrtf(drop.max(0.0));
            held.renoise(ws, frames, previous, noise);
            evaluate(net, ws, frames, previous, shaping, report)?;
            for (x, g) in ws.x[..n].iter_mut().zip(ws.score[..n].iter()) {
                *x += drop * g + kick * noise.next();
            }
        }
        let alpha = settings.step_size(level);
        for step in 0..settings.steps_per_level {
            let kick = tau
                * match settings.method {
                    Method::Langevin => libm::sqrtf(2.0 * alpha),
                    Method::Consistent => {
                        let next = if step + 1 < settings.steps_per_level {
                            sigma
                        } else if level + 1 < s.levels {
                            s.sigma(level + 1)
                        } else {
                            0.0
                        };
                        consistent_kick(alpha, sigma, next)
                    }
                };
            held.renoise(ws, frames, sigma, noise);
            evaluate(net, ws, frames, sigma, shaping, report)?;
            for (x, g) in ws.x[..n].iter_mut().zip(ws.score[..n].iter()) {
                *x += alpha * g + kick * noise.next();
            }
        }
    }
    if settings.final_denoise {
        let sigma = s.sigma(s.levels - 1);
        held.renoise(ws, frames, sigma, noise);
        evaluate(net, ws, frames, sigma, shaping, report)?;
        let step = sigma * sigma;
        for (x, g) in ws.x[..n].iter_mut().zip(ws.score[..n].iter()) {
            *x += step * g;
        }
    }
    held.renoise(ws, frames, 0.0, noise);
    Ok(())
}

/// Decodes `ws.x` into `out` and writes the clamped tokens over it.
fn decode(ws: &Workspace<'_>, frames: usize, clamps: &[Clamp], out: &mut [[Token; VOICES]]) {
    decode_voices(&ws.x[..VOICE_CHANNELS * frames], frames, &mut out[..frames]);
    for (tokens, c) in out.iter_mut().zip(clamps) {
        for (tok, fixed) in tokens.iter_mut().zip(c) {
            if let Some(f) = fixed {
                *tok = *f;
            }
        }
    }
}

/// Composes one chorale: `metas.len()` frames with the given metadata, any clamped entries
/// held to their tokens, drawn by annealed Langevin dynamics from the stream of `seed`.
/// Writes the tokens to `out` and returns how many network evaluations it took.
///
/// `clamps` is empty (nothing fixed) or holds one [`Clamp`] per frame. Clamped tokens come
/// out exactly as given. With [`SamplerSettings::refine`] on, the decoded chorale is then
/// judged and its worst frames composed again ([`super::refine`]).
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
    if !settings.is_valid() {
        return Err(SampleError::BadSettings);
    }
    let clamps = &clamps[..clamps.len().min(frames)];
    clamp::check(clamps).map_err(SampleError::ClampOutOfRange)?;

    let mut noise = Gaussian::new(seed);
    let mut report = SampleReport::default();
    let n = VOICE_CHANNELS * frames;
    encode_meta(metas.iter().copied(), ws.meta);

    let sigma_max = settings.schedule.sigma(0);
    for v in ws.x[..n].iter_mut() {
        *v = match settings.init {
            Init::Uniform => noise.uniform(),
            Init::Gaussian => sigma_max * noise.next(),
        };
    }
    anneal(net, settings, 0, ws, frames, Held { clamps, kept: None }, &mut noise, &mut report)?;
    decode(ws, frames, clamps, out);

    let r = &settings.refine;
    let from = settings.first_level_below(r.sigma);
    let refining = settings.refining();
    for _ in 0..r.rounds {
        match r.judge {
            Judge::Network => {
                refine::judge(net, ws, &out[..frames], r.judge_sigma, &mut noise, &mut report)?;
                refine::select_worst(&mut ws.per_frame[..frames], r.fraction);
            }
            Judge::Counterpoint | Judge::Rules => {
                let mut faults = counterpoint::mark_parallels(&out[..frames], &mut ws.per_frame[..frames], r.contrary);
                if r.judge == Judge::Rules {
                    faults += counterpoint::mark_crossings(&out[..frames], &mut ws.per_frame[..frames]);
                    faults += cadence::mark_missing_cadences(&out[..frames], metas, r.home_ending, &mut ws.per_frame[..frames]);
                    // The opening of a melody given to harmonise is the melody's.
                    if r.home_opening && clamps.first().is_none_or(|c| c[Voice::Soprano.index()].is_none()) {
                        faults += cadence::mark_foreign_opening(&out[..frames], metas, &mut ws.per_frame[..frames]);
                    }
                }
                if faults == 0 {
                    break;
                }
                refine::select_marked(&mut ws.per_frame[..frames]);
            }
        }
        refine::restart(ws.x, ws.per_frame, &out[..frames], settings.schedule.sigma(from), &mut noise);
        anneal(net, &refining, from, ws, frames, Held { clamps, kept: Some(&out[..frames]) }, &mut noise, &mut report)?;
        decode(ws, frames, clamps, out);
    }
    Ok(report)
}
