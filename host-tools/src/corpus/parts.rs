//! Choosing the soprano, alto, tenor and bass parts of a score and zipping them into
//! four-voice frames.
//!
//! A score with exactly four parts is read top to bottom as S, A, T, B. A score with more
//! parts (Bach's chorales with instruments doubling the choir: horns, trumpets,
//! timpani, continuo) is kept when exactly one part is named for each voice — its name
//! starts with "Soprano", "Alto", "Tenor" or "Bass" — and those four are used; anything
//! else (e.g. two soprano parts) is skipped as not four-part.

use super::grid::ParsedScore;
use kantor_core::voice::VOICES;
use kantor_core::{Frame, Voice};

/// Indices into `score.parts` of soprano, alto, tenor and bass, or a reason why not.
pub fn choose_satb(score: &ParsedScore) -> Result<[usize; VOICES], String> {
    let n = score.parts.len();
    if n == VOICES {
        return Ok([0, 1, 2, 3]);
    }
    let mut chosen = [None; VOICES];
    for (i, part) in score.parts.iter().enumerate() {
        if let Some(v) = voice_named(&part.name) {
            if chosen[v.index()].replace(i).is_some() {
                return Err(format!("{n} parts, more than one named {}", v.name()));
            }
        }
    }
    match chosen {
        [Some(s), Some(a), Some(t), Some(b)] => Ok([s, a, t, b]),
        _ => {
            let names: Vec<&str> = score.parts.iter().map(|p| p.name.as_str()).collect();
            Err(format!(
                "{n} part{} ({}), not one named for each of S, A, T, B",
                if n == 1 { "" } else { "s" },
                names.join(", ")
            ))
        }
    }
}

/// The voice a part's name declares: its first word is a voice name (any case).
fn voice_named(name: &str) -> Option<Voice> {
    let first = name
        .split(|c: char| !c.is_alphabetic())
        .next()?
        .to_ascii_lowercase();
    Voice::ALL.into_iter().find(|v| v.name() == first)
}

/// Four-voice frames from the chosen parts, with the score's metadata.
pub fn satb_frames(score: &ParsedScore, satb: [usize; VOICES]) -> Vec<Frame> {
    score
        .meta
        .iter()
        .enumerate()
        .map(|(i, meta)| Frame {
            tokens: satb.map(|p| score.parts[p].tokens[i]),
            meta: *meta,
        })
        .collect()
}
