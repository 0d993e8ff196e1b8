//! The int8 engine as the device core uses it. The engine itself is its own crate,
//! `kantor-engine` (`engine/` at the top of the repository): the blob format, arena
//! planning, the kernel sets and [`Int8Net`], knowing nothing of music. Here the music
//! meets it:
//!
//! - [`check`]: what the core asks of a blob beyond the engine's own checks (this build's
//!   chorale encoding, channel layout and voice ranges, a usable noise schedule with no
//!   more levels than the sampler takes, a known [`Head`]); [`load`] is
//!   [`Model::load`] with it, and every board and the host load their blobs through it;
//! - [`Int8ScoreNet`]: an [`Int8Net`] whose blob passed [`check`], with its head turning
//!   the last layer into the score: the [`ScoreNet`] the sampler drives;
//! - [`ModelExt`]: a model's noise schedule and head as the core's types;
//! - [`golden`]: the golden vectors, run on a board.
//!
//! The engine's modules and types are re-exported, so `kantor_core::engine::format` and
//! the like name the same items as `kantor_engine::format`.
//!
//! # Loading a blob and running one evaluation
//!
//! [`load`] checks a blob once; [`Plan::new`] says how much working memory a frame count
//! needs; [`Int8ScoreNet`] runs the network on a noisy chorale at one noise level. On the
//! host both buffers can be `Vec<u8>`. Here the blob is the small test network of the
//! golden vectors, which uses every op:
//!
//! ```
//! use kantor_core::engine::{self, Aligned, Int8ScoreNet, ModelExt, Plan};
//! use kantor_core::onehot::{META_CHANNELS, VOICE_CHANNELS};
//! use kantor_core::ScoreNet;
//!
//! static BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/synthetic.kq8")));
//!
//! # fn main() -> Result<(), kantor_core::engine::EngineError> {
//! let frames = 16; // one bar of 16th notes
//! let model = engine::load(&BLOB.0)?; // the engine's checks and the music's, once
//! let arena = vec![0u8; Plan::new(&model, frames)?.arena_bytes];
//! let mut net = Int8ScoreNet::new(&BLOB.0, arena, frames)?;
//!
//! // The score of a (here: uniformly) noisy chorale at the smallest noise level.
//! let x = vec![1.0 / 32.0; VOICE_CHANNELS * frames];
//! let meta = vec![0.0; META_CHANNELS * frames];
//! let mut score = vec![0.0; VOICE_CHANNELS * frames];
//! net.score(&x, &meta, frames, model.schedule().sigma_min, &mut score)?;
//! assert!(score.iter().all(|s| s.is_finite()));
//! # Ok(())
//! # }
//! ```

pub mod golden;

pub use kantor_engine::{arena, conv, fixed, format, kernels, model, net, quant, record, scalar};
pub use kantor_engine::{Aligned, ArenaPlanError, BlobError, Check, EngineError, Header, Int8Net, Kernels, Model, Plan, ScalarOp};

use crate::head::Head;
use crate::noise::NoiseSchedule;
use crate::onehot::{ENCODING_VERSION, META_CHANNELS, VOICE_CHANNELS};
use crate::sampler::settings::MAX_LEVELS;
use crate::score::ScoreNet;
use crate::voice::VOICE_RANGES;
use format::HeaderRecord;

/// The core's [`Check`]: the network was trained for this build's chorale encoding
/// (version, channel layout, voice ranges), its noise schedule is positive and
/// decreasing with no more levels than the sampler takes, and its head is known.
pub fn check(h: &HeaderRecord) -> Result<(), BlobError> {
    if h.encoding_version != ENCODING_VERSION {
        return Err(BlobError::EncodingVersion { found: h.encoding_version, expected: ENCODING_VERSION });
    }
    if h.voice_channels as usize != VOICE_CHANNELS || h.meta_channels as usize != META_CHANNELS {
        return Err(BlobError::ForeignLayout);
    }
    for (v, r) in VOICE_RANGES.iter().enumerate() {
        if h.voice_ranges[2 * v] != r.lowest || h.voice_ranges[2 * v + 1] != r.highest {
            return Err(BlobError::ForeignLayout);
        }
    }
    let (sigma_max, sigma_min, levels) = (h.sigma_max, h.sigma_min, h.levels as usize);
    if !(sigma_max.is_finite() && sigma_min.is_finite() && sigma_min > 0.0 && sigma_max >= sigma_min) {
        return Err(BlobError::Malformed { op: usize::MAX, reason: "noise schedule is not positive and decreasing" });
    }
    if levels > MAX_LEVELS {
        return Err(BlobError::TooLarge { what: "noise levels", count: levels, max: MAX_LEVELS });
    }
    head_of(h.head).map(|_| ())
}

fn head_of(code: u32) -> Result<Head, BlobError> {
    Head::from_code(code).ok_or(BlobError::UnknownHead { code })
}

/// Checks `blob` as the engine does and as the music needs ([`check`]).
pub fn load(blob: &[u8]) -> Result<Model<'_>, BlobError> {
    Model::load_checked(blob, check)
}

/// A model's interface fields as the core's types.
pub trait ModelExt {
    /// The noise schedule the network was trained with.
    fn schedule(&self) -> NoiseSchedule;
    /// What the network's output holds (`None` for a code no head has, which [`load`]
    /// refuses).
    fn head(&self) -> Option<Head>;
}

impl ModelExt for Model<'_> {
    fn schedule(&self) -> NoiseSchedule {
        let h = self.header();
        NoiseSchedule::new(h.sigma_max, h.sigma_min, h.levels)
    }

    fn head(&self) -> Option<Head> {
        Head::from_code(self.header().head)
    }
}

/// The int8 score network: an [`Int8Net`] whose blob passed [`check`], with the head that
/// turns its last layer into the score. A blob `B` (e.g. `&'static [u8]` from
/// `include_bytes!`, or a `Vec<u8>` on the host) and an arena `A` of working memory (e.g.
/// a `static mut` array, or a `Vec<u8>`); the [module documentation](self) shows the
/// host's use, `kantor_engine`'s a board's static blob and arena.
// A newtype (the head is read from the checked header when it is needed): the boards
// build it at start-up, where a copy of the engine's plan (1 KB) would show on the stack.
#[repr(transparent)]
pub struct Int8ScoreNet<B, A>(Int8Net<B, A>);

impl<B: AsRef<[u8]>, A: AsMut<[u8]>> Int8ScoreNet<B, A> {
    /// Loads `blob` ([`load`]'s checks) and checks that `arena` is large enough for
    /// `max_frames` frames; runs with the fastest kernel set this CPU has
    /// ([`Kernels::detect`]).
    pub fn new(blob: B, arena: A, max_frames: usize) -> Result<Self, EngineError> {
        Self::with_kernels(blob, arena, max_frames, Kernels::detect())
    }

    /// [`Int8ScoreNet::new`] with the given kernel set (every set computes the same bits).
    pub fn with_kernels(blob: B, arena: A, max_frames: usize, kernels: Kernels) -> Result<Self, EngineError> {
        Int8Net::checked(blob, arena, max_frames, kernels, check).map(Int8ScoreNet)
    }

    /// The kernel set the network runs with.
    pub fn kernels(&self) -> Kernels {
        self.0.kernels()
    }

    /// The validated model.
    pub fn model(&self) -> Model<'_> {
        self.0.model()
    }

    /// The noise schedule stored in the blob.
    pub fn schedule(&self) -> NoiseSchedule {
        self.model().schedule()
    }

    /// Working memory needed for `frames` frames.
    pub fn arena_bytes(&self, frames: usize) -> Result<usize, ArenaPlanError> {
        self.0.arena_bytes(frames)
    }

    /// Runs the network on one chorale: `x` (`VOICE_CHANNELS × frames`), `meta`
    /// (`META_CHANNELS × frames`) channel-major; writes `VOICE_CHANNELS × frames` scores
    /// (through the blob's [`Head`] when the network estimates the clean chorale).
    pub fn run(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), EngineError> {
        self.0.run(x, meta, frames, sigma, score)?;
        // The last op wrote the head's output; the sampler wants the score. The head was
        // checked on load ([`check`]).
        let head = self.model().head().ok_or(EngineError::Blob(BlobError::UnknownHead { code: self.model().header().head }))?;
        head.to_score(x, score, frames, sigma);
        Ok(())
    }

    /// What the network's last layer holds before the head turns it into a score (the same
    /// as [`Int8ScoreNet::run`] for [`Head::Score`]): what quantisation is measured on.
    pub fn run_raw(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), EngineError> {
        self.0.run(x, meta, frames, sigma, score)
    }
}

impl<B: AsRef<[u8]>, A: AsMut<[u8]>> ScoreNet for Int8ScoreNet<B, A> {
    type Error = EngineError;

    fn score(&mut self, x: &[f32], meta: &[f32], frames: usize, sigma: f32, score: &mut [f32]) -> Result<(), EngineError> {
        self.run(x, meta, frames, sigma, score)
    }
}
