//! Calibration sets: what the metrics say about music that is clearly not Bach, built
//! from Bach's own chorales so that length, rhythm and metadata stay the same.
//! - [`shuffled_voices`]: soprano of one chorale, alto of the next, tenor and bass of the
//!   two after, aligned frame by frame (cut to the shortest);
//! - [`random_notes`]: each chorale's rhythm kept, every note replaced by a pitch drawn
//!   uniformly from its voice's range.

use super::metrics::Piece;
use kantor_core::{Frame, Token, Voice};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Voice `v` of piece `i + v` (cyclically), for every piece.
pub fn shuffled_voices(pieces: &[Piece]) -> Vec<Piece> {
    let n = pieces.len();
    (0..n)
        .map(|i| {
            let sources: [&Piece; 4] = std::array::from_fn(|v| &pieces[(i + v) % n]);
            let len = sources.iter().map(|p| p.frames.len()).min().unwrap_or(0);
            let frames = (0..len)
                .map(|t| Frame {
                    tokens: std::array::from_fn(|v| sources[v].frames[t].tokens[v]),
                    meta: pieces[i].frames[t].meta,
                })
                .collect();
            let names: Vec<&str> = sources.iter().map(|p| p.name.as_str()).collect();
            Piece { name: format!("shuffled {}", names.join("/")), time: pieces[i].time, frames, cost: None }
        })
        .collect()
}

/// Every piece with each note's pitch drawn uniformly from its voice's range.
pub fn random_notes(pieces: &[Piece], seed: u64) -> Vec<Piece> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    pieces
        .iter()
        .map(|p| {
            let frames = p
                .frames
                .iter()
                .map(|f| {
                    let mut f = *f;
                    for v in Voice::ALL {
                        if let Token::Pitch(_) = f.tokens[v.index()] {
                            let r = v.range();
                            let pick = rng.next_u64() % r.pitches() as u64;
                            f.tokens[v.index()] = Token::Pitch(r.lowest + pick as u8);
                        }
                    }
                    f
                })
                .collect();
            Piece { name: format!("random {}", p.name), time: p.time, frames, cost: None }
        })
        .collect()
}
