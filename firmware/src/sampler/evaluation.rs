//! One evaluation of the score network inside the sampler, and what a chain reports or
//! fails with. Annealing (`langevin`) and refinement (`refine`) both evaluate the network
//! the same way, so the step lives here, below both of them, and neither imports the other
//! for it.

use super::clamp::OutOfRange;
use super::constrain::{constrain_score, Constraint};
use super::guidance;
use super::workspace::Workspace;
use crate::onehot::{META_CHANNELS, VOICE_CHANNELS};
use crate::score::ScoreNet;

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
#[non_exhaustive]
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

impl<E: core::fmt::Display> core::fmt::Display for SampleError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SampleError::Network(e) => write!(f, "the score network failed: {e}"),
            SampleError::BufferTooSmall { frames, capacity } => {
                write!(f, "buffers hold {capacity} frames but {frames} were asked for")
            }
            SampleError::NoFrames => write!(f, "nothing to sample: zero frames"),
            SampleError::ClampOutOfRange(o) => write!(f, "{o}"),
            SampleError::BadSettings => write!(f, "sampler settings need ≥ 1 level and positive σ and ε"),
        }
    }
}

#[cfg(feature = "std")]
impl<E: core::fmt::Debug + core::fmt::Display> std::error::Error for SampleError<E> {}

/// What the sampler does to the network's estimate after each evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Shaping {
    /// How the denoised estimate is held to the data's range.
    pub constraint: Constraint,
    /// Weight λ of the tilt against repeated notes ([`guidance`]; 0 = off).
    pub repeat_guidance: f32,
}

impl Shaping {
    /// The network's estimate as it is: refinement judges with this.
    pub const NONE: Shaping = Shaping { constraint: Constraint::None, repeat_guidance: 0.0 };
}

/// One network evaluation at `sigma`: state from `ws.x`, score into `ws.score`, with the
/// estimate shaped as `shaping` says.
pub(super) fn evaluate<N: ScoreNet>(
    net: &mut N,
    ws: &mut Workspace<'_>,
    frames: usize,
    sigma: f32,
    shaping: Shaping,
    report: &mut SampleReport,
) -> Result<(), SampleError<N::Error>> {
    let n = VOICE_CHANNELS * frames;
    report.evaluations += 1;
    net.score(&ws.x[..n], &ws.meta[..META_CHANNELS * frames], frames, sigma, &mut ws.score[..n])
        .map_err(SampleError::Network)?;
    constrain_score(shaping.constraint, &ws.x[..n], &mut ws.score[..n], frames, sigma);
    guidance::discourage_repeats(&ws.x[..n], &mut ws.score[..n], frames, sigma, shaping.repeat_guidance);
    Ok(())
}
