//! The engine's golden vectors, run on a board: a case file of `firmware/tests/golden`
//! holds a frame count, σ, the input (`x`, then the metadata) and the host reference's
//! scores, all little-endian; a board runs the case's network with a kernel set and counts
//! the scores that differ from the reference's bit for bit. The emulated Cortex-M boards
//! and the WebAssembly module run it; no heap (the caller lends the buffers).

#![forbid(unsafe_code)]

use super::{load, Int8ScoreNet, Kernels, Plan};
use crate::onehot::{META_CHANNELS, VOICE_CHANNELS};

fn f32_at(b: &[u8], i: usize) -> f32 {
    f32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

/// The buffers a case needs, for `frames` frames at most.
pub struct Buffers<'a> {
    pub arena: &'a mut [u8],
    pub x: &'a mut [f32],
    pub meta: &'a mut [f32],
    pub score: &'a mut [f32],
}

/// Runs `blob` on `case` with `kernels`: (scores that differ from the reference's, scores).
/// A case that does not fit the buffers, or a network that cannot run, counts every score.
pub fn check(blob: &[u8], case: &[u8], kernels: Kernels, b: &mut Buffers) -> (usize, usize) {
    let frames = u32::from_le_bytes([case[0], case[1], case[2], case[3]]) as usize;
    let sigma = f32_at(case, 1);
    let values = &case[8..];
    let (nx, nm) = (VOICE_CHANNELS * frames, META_CHANNELS * frames);
    if values.len() != 4 * (2 * nx + nm) || b.x.len() < nx || b.meta.len() < nm || b.score.len() < nx {
        return (nx, nx);
    }
    (0..nx).for_each(|i| b.x[i] = f32_at(values, i));
    (0..nm).for_each(|i| b.meta[i] = f32_at(values, nx + i));
    let needed = load(blob).ok().and_then(|m| Plan::new(&m, frames).ok()).map(|p| p.arena_bytes);
    let differ = match needed {
        Some(n) if n <= b.arena.len() => match Int8ScoreNet::with_kernels(blob, &mut b.arena[..], frames, kernels) {
            Ok(mut net) => match net.run(&b.x[..nx], &b.meta[..nm], frames, sigma, &mut b.score[..nx]) {
                Ok(()) => (0..nx).filter(|&i| b.score[i].to_bits() != f32_at(values, nx + nm + i).to_bits()).count(),
                Err(_) => nx,
            },
            Err(_) => nx,
        },
        _ => nx,
    };
    (differ, nx)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[test]
    fn every_set_matches_the_golden_vectors_and_a_changed_score_is_seen() {
        let blob = super::super::Aligned(*include_bytes!("../../tests/golden/synthetic.kq8"));
        let mut case = include_bytes!("../../tests/golden/synthetic.case").to_vec();
        let (mut arena, mut x, mut meta, mut score) = (vec![0u8; 64 * 1024], vec![0f32; 4096], vec![0f32; 4096], vec![0f32; 4096]);
        let mut b = Buffers { arena: &mut arena, x: &mut x, meta: &mut meta, score: &mut score };
        for k in Kernels::available() {
            let (differ, n) = check(&blob.0, &case, k, &mut b);
            assert!(differ == 0 && n > 100, "{k:?}: {differ} of {n}");
        }
        let last = case.len() - 4;
        case[last] ^= 1;
        assert_eq!(check(&blob.0, &case, Kernels::REFERENCE, &mut b).0, 1);
    }
}
