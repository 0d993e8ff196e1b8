//! Spacing: upper voices more than an octave apart, tenor and bass more than a twelfth.
//!
//! - *Upper spacing*: soprano–alto or alto–tenor more than [`UPPER_SPACING`] semitones
//!   apart, both sounding.
//! - *Bass spacing*: tenor–bass more than [`BASS_SPACING`] semitones apart.

use super::sonority::Sounding;
use crate::voice::Voice;

/// Widest interval (semitones) between soprano and alto, and alto and tenor: an octave.
pub const UPPER_SPACING: u8 = 12;
/// Widest interval (semitones) between tenor and bass: a twelfth.
pub const BASS_SPACING: u8 = 19;

fn gap(s: &Sounding, upper: Voice, lower: Voice) -> Option<i32> {
    Some(s[upper.index()]? as i32 - s[lower.index()]? as i32)
}

/// Soprano–alto or alto–tenor wider than an octave.
pub fn upper_too_wide(s: &Sounding) -> bool {
    [(Voice::Soprano, Voice::Alto), (Voice::Alto, Voice::Tenor)]
        .iter()
        .any(|&(u, l)| gap(s, u, l).is_some_and(|g| g > UPPER_SPACING as i32))
}

/// Tenor–bass wider than a twelfth.
pub fn bass_too_wide(s: &Sounding) -> bool {
    gap(s, Voice::Tenor, Voice::Bass).is_some_and(|g| g > BASS_SPACING as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::part_writing::test_frames::sounding;

    #[test]
    fn upper_voices_an_octave_apart_at_most() {
        assert!(!upper_too_wide(&sounding([72, 60, 55, 48])));
        assert!(upper_too_wide(&sounding([76, 60, 55, 48])));
        assert!(upper_too_wide(&sounding([72, 67, 53, 48])));
        // Tenor and bass may stand wider; a silent alto leaves nothing to measure.
        assert!(!upper_too_wide(&sounding([72, 67, 64, 36])));
        assert!(!upper_too_wide(&sounding([79, 0, 55, 48])));
        assert!(bass_too_wide(&sounding([72, 67, 64, 36])));
        assert!(!bass_too_wide(&sounding([72, 67, 55, 36])));
    }
}
