//! What the player asks of a composer: the next phrase, given how the music so far ends.

use crate::frame::{Frame, FrameMeta};
use crate::meter::{KeySignature, TimeSignature};
use crate::token::Token;

/// Writes phrases of a chorale. On the device this is the annealed Langevin sampler over
/// the int8 score network; tests use simpler ones.
pub trait Composer {
    /// Why a phrase could not be composed; its `Display` is a sentence (no std needed).
    type Error: core::fmt::Debug + core::fmt::Display;

    /// Time signature of what this composer writes.
    fn time(&self) -> TimeSignature;

    /// Composes the phrase that follows `context` (the last frames already composed; empty
    /// at the start of a piece) into `out`, and returns how many frames it wrote. The same
    /// `seed` and `context` must give the same phrase.
    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error>;

    /// Says whether the next phrase ends the piece (and so should close in its home key);
    /// an endless chorale never ends. Composers that do not judge endings ignore it.
    fn ends_piece(&mut self, _last: bool) {}
}

impl<C: Composer + ?Sized> Composer for &mut C {
    type Error = C::Error;
    fn time(&self) -> TimeSignature {
        (**self).time()
    }
    fn ends_piece(&mut self, last: bool) {
        (**self).ends_piece(last)
    }
    fn compose(&mut self, seed: u64, context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error> {
        (**self).compose(seed, context, out)
    }
}

/// The seed of phrase `index` of the piece seeded `piece_seed` (SplitMix64 of the two), so
/// phrases differ but a piece replays exactly from its seed.
pub const fn phrase_seed(piece_seed: u64, index: u32) -> u64 {
    let mut z = piece_seed.wrapping_add((index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A composer that needs no model: each phrase is one bar of four chords in C major
/// (I–IV–V–I inversions picked by the seed), a half-bar fermata on the last. For testing
/// the player and for boards without a model.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cadences;

impl Cadences {
    /// Soprano, alto, tenor, bass of the four chords, three voicings each.
    const CHORDS: [[[u8; 4]; 4]; 3] = [
        [[72, 67, 64, 48], [72, 69, 65, 53], [71, 67, 62, 55], [72, 67, 64, 48]],
        [[76, 72, 67, 48], [77, 72, 69, 53], [74, 71, 67, 43], [76, 72, 67, 48]],
        [[67, 64, 60, 48], [69, 65, 60, 41], [67, 62, 59, 43], [64, 60, 55, 48]],
    ];
}

impl Composer for Cadences {
    type Error = core::convert::Infallible;

    fn time(&self) -> TimeSignature {
        TimeSignature::COMMON
    }

    fn compose(&mut self, seed: u64, _context: &[Frame], out: &mut [Frame]) -> Result<usize, Self::Error> {
        let voicing = &Self::CHORDS[(seed % 3) as usize];
        let n = out.len().min(16);
        for (t, slot) in out[..n].iter_mut().enumerate() {
            let meta = FrameMeta { position_in_bar: t as u8, fermata: t >= 12, key: KeySignature { fifths: 0 }, mode: crate::key::Mode::Major };
            *slot = if t % 4 == 0 {
                Frame { tokens: voicing[t / 4].map(Token::Pitch), meta }
            } else {
                Frame::held(meta)
            };
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chorale::in_range;

    #[test]
    fn cadences_are_in_range_and_seeded() {
        let mut a = [Frame::held(FrameMeta::default()); 16];
        let mut b = a;
        assert_eq!(Cadences.compose(1, &[], &mut a).unwrap(), 16);
        Cadences.compose(2, &[], &mut b).unwrap();
        assert!(in_range(&a) && in_range(&b));
        assert_ne!(a, b);
        assert!(a[12].meta.fermata && !a[11].meta.fermata);
    }

    #[test]
    fn phrase_seeds_differ() {
        assert_ne!(phrase_seed(7, 0), phrase_seed(7, 1));
        assert_ne!(phrase_seed(7, 0), phrase_seed(8, 0));
        assert_eq!(phrase_seed(7, 3), phrase_seed(7, 3));
    }
}
