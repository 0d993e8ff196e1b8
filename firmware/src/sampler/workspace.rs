//! The buffers one chain needs, supplied by the caller (static arrays on a device).

use crate::onehot::{META_CHANNELS, VOICE_CHANNELS};

/// Scratch space for sampling `frames` frames: the voice state, the score, the metadata
/// and one value per frame for judging.
#[derive(Debug)]
pub struct Workspace<'a> {
    /// Voice state x (`VOICE_CHANNELS × frames`, channel-major).
    pub x: &'a mut [f32],
    /// Score s(x, σ) (`VOICE_CHANNELS × frames`).
    pub score: &'a mut [f32],
    /// Encoded metadata (`META_CHANNELS × frames`).
    pub meta: &'a mut [f32],
    /// One value per frame (`frames`).
    pub per_frame: &'a mut [f32],
}

impl<'a> Workspace<'a> {
    /// How many `f32` a workspace for `frames` frames needs in all.
    pub const fn floats_needed(frames: usize) -> usize {
        (2 * VOICE_CHANNELS + META_CHANNELS + 1) * frames
    }

    /// Splits one buffer of at least [`Workspace::floats_needed`] values into a
    /// workspace; `None` if it is too small.
    pub fn split(buffer: &'a mut [f32], frames: usize) -> Option<Self> {
        if buffer.len() < Self::floats_needed(frames) {
            return None;
        }
        let (x, rest) = buffer.split_at_mut(VOICE_CHANNELS * frames);
        let (score, rest) = rest.split_at_mut(VOICE_CHANNELS * frames);
        let (meta, rest) = rest.split_at_mut(META_CHANNELS * frames);
        let per_frame = &mut rest[..frames];
        Some(Workspace { x, score, meta, per_frame })
    }

    /// The largest frame count these buffers can sample.
    pub fn capacity(&self) -> usize {
        (self.x.len() / VOICE_CHANNELS)
            .min(self.score.len() / VOICE_CHANNELS)
            .min(self.meta.len() / META_CHANNELS)
            .min(self.per_frame.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sizes() {
        let mut buf = [0.0f32; Workspace::floats_needed(4) + 3];
        let ws = Workspace::split(&mut buf, 4).unwrap();
        assert_eq!(ws.x.len(), VOICE_CHANNELS * 4);
        assert_eq!(ws.meta.len(), META_CHANNELS * 4);
        assert_eq!(ws.capacity(), 4);
        assert!(Workspace::split(&mut buf[..Workspace::floats_needed(4) - 1], 4).is_none());
    }
}
