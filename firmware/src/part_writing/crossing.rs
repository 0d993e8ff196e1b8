//! Crossed and overlapping voices.
//!
//! - *Crossing*: some voice sounds strictly below the voice under it (soprano below alto,
//!   alto below tenor, tenor below bass), both sounding.
//! - *Overlapping*: from one sonority to the next, of two neighbouring voices that sound in
//!   both, the lower moves above the pitch the upper sang before, or the upper moves below
//!   the pitch the lower sang before, without the two crossing (a move that crosses is a
//!   crossing). Moving to the other voice's previous pitch is not an overlap.

use super::sonority::Sounding;
use crate::voice::VOICES;

/// Whether some voice sounds below the voice under it.
pub fn crossed(s: &Sounding) -> bool {
    (0..VOICES - 1).any(|v| matches!((s[v], s[v + 1]), (Some(hi), Some(lo)) if hi < lo))
}

/// How many pairs of neighbouring voices overlap from sonority `a` to `b`.
pub fn overlaps(a: &Sounding, b: &Sounding) -> usize {
    (0..VOICES - 1)
        .filter(|&upper| {
            let lower = upper + 1;
            let (Some(u1), Some(l1), Some(u2), Some(l2)) = (a[upper], a[lower], b[upper], b[lower]) else {
                return false;
            };
            l2 <= u2 && ((l2 != l1 && l2 > u1) || (u2 != u1 && u2 < l1))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::part_writing::test_frames::sounding;

    #[test]
    fn crossing_needs_both_voices_sounding() {
        assert!(crossed(&sounding([67, 72, 64, 48])));
        assert!(crossed(&sounding([72, 67, 55, 57])));
        assert!(!crossed(&sounding([72, 67, 64, 48])));
        // Unison is not a crossing; a silent alto crosses nothing.
        assert!(!crossed(&sounding([67, 67, 64, 48])));
        assert!(!crossed(&sounding([67, 0, 70, 48])));
    }

    #[test]
    fn overlapping_voices() {
        // The tenor rises from G3 to E4, above the alto's D4 before, while the alto moves
        // up to G4: an overlap.
        assert_eq!(overlaps(&sounding([71, 62, 55, 43]), &sounding([72, 67, 64, 48])), 1);
        // The soprano falls from G4 to B3, below the alto's C4 before, while the alto
        // falls to G3.
        assert_eq!(overlaps(&sounding([67, 60, 55, 48]), &sounding([59, 55, 52, 48])), 1);
        // Moving to the pitch the other voice sang is not an overlap.
        assert_eq!(overlaps(&sounding([71, 62, 55, 43]), &sounding([72, 67, 62, 48])), 0);
        // The tenor rises above where the alto is and stays: a crossing, not an overlap.
        assert_eq!(overlaps(&sounding([71, 62, 55, 43]), &sounding([71, 62, 64, 43])), 0);
        // Voices moving within their own space.
        assert_eq!(overlaps(&sounding([72, 64, 55, 48]), &sounding([74, 65, 57, 50])), 0);
    }
}
