//! Running the device core's sampler on the host, with buffers on the heap.

use anyhow::{anyhow, Result};
use kantor_core::sampler::{clamp_home, sample, Clamp, SamplerSettings, Workspace, FREE};
use kantor_core::voice::VOICES;
use kantor_core::{Frame, FrameMeta, ScoreNet, Token};
use std::time::Instant;

/// A composed chorale and what it cost.
#[derive(Clone, Debug)]
pub struct Composed {
    pub frames: Vec<Frame>,
    /// Network evaluations.
    pub evaluations: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Samples one chorale with the given metadata and clamps (empty = none) from `seed`.
pub fn compose_frames<N: ScoreNet>(
    net: &mut N,
    settings: &SamplerSettings,
    seed: u64,
    metas: &[FrameMeta],
    clamps: &[Clamp],
) -> Result<Composed>
where
    N::Error: std::fmt::Debug,
{
    let start = Instant::now();
    let frames = metas.len();
    let mut buffer = vec![0.0f32; Workspace::floats_needed(frames)];
    let mut ws = Workspace::split(&mut buffer, frames).ok_or_else(|| anyhow!("workspace too small"))?;
    let mut tokens = vec![[Token::Rest; VOICES]; frames];
    // A piece that must open and close at home strikes the tonic in the bass at its first
    // frame and holds it at its last fermata.
    let mut home = if clamps.is_empty() { vec![FREE; frames] } else { clamps.to_vec() };
    let clamps = if clamp_home(&mut home, metas, &settings.refine, true, true) > 0 { &home[..] } else { clamps };
    let report = sample(net, settings, seed, metas, clamps, &mut ws, &mut tokens).map_err(|e| anyhow!("{e}"))?;
    let frames = tokens.into_iter().zip(metas).map(|(tokens, meta)| Frame { tokens, meta: *meta }).collect();
    Ok(Composed { frames, evaluations: report.evaluations, seconds: start.elapsed().as_secs_f64() })
}
