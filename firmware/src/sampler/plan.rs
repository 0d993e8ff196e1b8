//! What to compose: length, metre, key (tonic and mode) and phrase endings, turned into per-frame metadata.

use crate::frame::FrameMeta;
use crate::key::Key;
use crate::meter::TimeSignature;

/// The outline of a chorale to compose. The piece has `pickup` frames before the first
/// downbeat and then `bars` whole bars. A phrase ends with a fermata on the last beat of
/// every `fermata_every`-th bar (counted from the first downbeat) and of the final bar;
/// the fermata covers every frame of that beat, as in the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PiecePlan {
    pub bars: usize,
    pub time: TimeSignature,
    /// Tonic and mode; written with the key's own signature.
    pub key: Key,
    /// Frames before the first downbeat (0 = none); less than a bar.
    pub pickup: usize,
    /// Bars per phrase; 0 puts a fermata only at the end.
    pub fermata_every: usize,
}

/// Why a plan cannot be laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PiecePlanError {
    /// The time signature has no whole number of 16ths per bar, or the bar is longer
    /// than six quarters.
    UnsupportedTime,
    /// The pickup is a bar or longer.
    PickupTooLong,
    /// The piece has no bars.
    NoBars,
}

impl core::fmt::Display for PiecePlanError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PiecePlanError::UnsupportedTime => "the time signature has no whole number of 16ths per bar or a bar longer than six quarters",
            PiecePlanError::PickupTooLong => "the pickup must be shorter than a bar",
            PiecePlanError::NoBars => "the piece needs at least one bar",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PiecePlanError {}

impl PiecePlan {
    /// `bars` bars of 4/4 in C major, no pickup, a phrase every two bars.
    pub const fn new(bars: usize) -> Self {
        PiecePlan { bars, time: TimeSignature::COMMON, key: Key::C_MAJOR, pickup: 0, fermata_every: 2 }
    }

    /// Frames per bar, if the plan is valid.
    pub fn frames_per_bar(&self) -> Result<usize, PiecePlanError> {
        let bar = self.time.frames_per_bar().ok_or(PiecePlanError::UnsupportedTime)? as usize;
        if self.pickup >= bar {
            return Err(PiecePlanError::PickupTooLong);
        }
        if self.bars == 0 {
            return Err(PiecePlanError::NoBars);
        }
        Ok(bar)
    }

    /// Total frames of the piece.
    pub fn frames(&self) -> Result<usize, PiecePlanError> {
        Ok(self.pickup + self.bars * self.frames_per_bar()?)
    }

    /// Frames in one beat: a quarter, or a half in x/2 time.
    fn beat_frames(&self) -> usize {
        match self.time.denominator {
            2 => 8,
            8 => 6,
            _ => 4,
        }
    }

    /// Metadata of frame `index`.
    pub fn meta(&self, index: usize) -> Result<FrameMeta, PiecePlanError> {
        let bar = self.frames_per_bar()?;
        let mut m = FrameMeta::on_grid(self.time, self.key.signature(), self.key.mode, (bar - self.pickup) % bar, index);
        if index >= self.pickup {
            let full_bar = (index - self.pickup) / bar;
            let in_bar = (index - self.pickup) % bar;
            let phrase_end = (self.fermata_every > 0 && (full_bar + 1) % self.fermata_every == 0)
                || full_bar + 1 == self.bars;
            m.fermata = phrase_end && in_bar >= bar - self.beat_frames().min(bar);
        }
        Ok(m)
    }

    /// Writes the metadata of every frame into `out` (at least [`PiecePlan::frames`]
    /// long) and returns the frame count.
    pub fn fill(&self, out: &mut [FrameMeta]) -> Result<usize, PiecePlanError> {
        let n = self.frames()?;
        for (i, slot) in out.iter_mut().take(n).enumerate() {
            *slot = self.meta(i)?;
        }
        Ok(n.min(out.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_four_phrases_every_two_bars() {
        let plan = PiecePlan::new(4);
        assert_eq!(plan.frames(), Ok(64));
        let fermatas: heapless::Vec<usize, 64> = (0..64).filter(|&i| plan.meta(i).unwrap().fermata).collect();
        // Beat 4 of bar 2 (frames 28..32) and of bar 4 (60..64).
        let want: heapless::Vec<usize, 64> = (28..32).chain(60..64).collect();
        assert_eq!(fermatas, want);
        assert_eq!(plan.meta(17).unwrap().position_in_bar, 1);
    }

    #[test]
    fn pickup_shifts_the_grid_and_final_bar_gets_a_fermata() {
        let plan = PiecePlan { bars: 3, time: TimeSignature::THREE_FOUR, pickup: 4, fermata_every: 0, ..PiecePlan::new(3) };
        assert_eq!(plan.frames(), Ok(4 + 36));
        assert_eq!(plan.meta(0).unwrap().position_in_bar, 8);
        assert_eq!(plan.meta(4).unwrap().position_in_bar, 0);
        let n = (0..40).filter(|&i| plan.meta(i).unwrap().fermata).count();
        assert_eq!(n, 4);
        assert!(plan.meta(39).unwrap().fermata && !plan.meta(35).unwrap().fermata);
    }

    #[test]
    fn three_two_fermata_is_a_half_note() {
        let plan = PiecePlan { time: TimeSignature::THREE_TWO, fermata_every: 1, ..PiecePlan::new(2) };
        let n = (0..48).filter(|&i| plan.meta(i).unwrap().fermata).count();
        assert_eq!(n, 16);
    }

    #[test]
    fn bad_plans() {
        assert_eq!(PiecePlan { pickup: 16, ..PiecePlan::new(2) }.frames(), Err(PiecePlanError::PickupTooLong));
        assert_eq!(PiecePlan::new(0).frames(), Err(PiecePlanError::NoBars));
        let odd = TimeSignature { numerator: 7, denominator: 4 };
        assert_eq!(PiecePlan { time: odd, ..PiecePlan::new(2) }.frames(), Err(PiecePlanError::UnsupportedTime));
    }
}
