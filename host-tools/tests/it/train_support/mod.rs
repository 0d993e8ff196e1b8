//! Made-up chorales for training tests.

use kantor_core::{Frame, FrameMeta, KeySignature, TimeSignature, Token};
use kantor_host::dataset::{Dataset, DatasetChorale, Split};

/// A chorale-like piece: the soprano walks in quarter notes, alto, tenor and bass follow
/// at fixed intervals below in half notes, a fermata every two bars.
pub fn made_up_chorale(seed: u64, bars: usize) -> Vec<Frame> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as i32
    };
    let key = KeySignature { fifths: (seed % 5) as i8 - 2 };
    let mut soprano = 67;
    (0..bars * 16)
        .map(|t| {
            let meta = FrameMeta { position_in_bar: (t % 16) as u8, fermata: t % 32 >= 28, key, ..FrameMeta::default() };
            let mut tokens = [Token::Hold; 4];
            if t % 4 == 0 {
                soprano = (soprano + next() % 5 - 2).clamp(62, 76);
                tokens[0] = Token::Pitch(soprano as u8);
            }
            if t % 8 == 0 {
                tokens[1] = Token::Pitch((soprano - 5) as u8);
                tokens[2] = Token::Pitch((soprano - 12) as u8);
                tokens[3] = Token::Pitch((soprano - 19) as u8);
            }
            Frame { tokens, meta }
        })
        .collect()
}

pub fn made_up_dataset() -> Dataset {
    let chorales = (0..24)
        .map(|i| DatasetChorale {
            source: format!("made-up-{i}"),
            split: if i % 6 == 5 { Split::Valid } else { Split::Train },
            time: TimeSignature::COMMON,
            frames: made_up_chorale(i, 6 + (i as usize % 4)),
        })
        .collect();
    Dataset { chorales }
}

