//! Putting parsed events on the 16th-note grid: one token per voice per frame, and the
//! frame metadata (bar position, fermata, key).

use super::musicxml::{Event, EventKind, Measure, RawPart};
use super::warnings::{Bent, Warnings};
use kantor_core::{FrameMeta, KeySignature, Mode, TimeSignature, Token};

/// Frames per quarter note.
const FPQ: f64 = kantor_core::meter::FRAMES_PER_QUARTER as f64;

/// A time in quarters as a frame index on the 16th grid (rounded to the nearest).
fn frame_of(quarters: f64) -> usize {
    (quarters * FPQ).round().max(0.0) as usize
}

/// One part on the grid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartTokens {
    /// The part's `id` in the score.
    pub id: String,
    /// The part's name (`<part-name>`), possibly empty.
    pub name: String,
    /// One token per frame; as long as the score (see [`ParsedScore::meta`]).
    pub tokens: Vec<Token>,
    /// What of the part did not fit the grid as written and was bent to fit, in order.
    pub bent: Vec<Bent>,
}

/// A score read onto the 16th grid: every part as tokens, and shared frame metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedScore {
    /// The parts in score order (top to bottom), all as long as `meta`.
    pub parts: Vec<PartTokens>,
    /// Metadata per frame: bar position from the measures (pickups start late in the
    /// bar), fermatas from any part, the key signature in force.
    pub meta: Vec<FrameMeta>,
    /// The first time signature the score states (`None` if it never does).
    pub time: Option<TimeSignature>,
    /// The score changes time signature somewhere.
    pub time_changes: bool,
    /// What was simplified while reading.
    pub warnings: Warnings,
}

impl ParsedScore {
    /// Number of frames.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// True for a score without a single frame.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }
}

/// Quantises parsed parts into a [`ParsedScore`].
pub fn quantise(raw: Vec<RawPart>, mut warnings: Warnings) -> ParsedScore {
    let len = raw.iter().map(part_end).max().unwrap_or(0);
    let mut fermata = vec![false; len];
    let parts = raw
        .iter()
        .map(|p| PartTokens {
            id: p.id.clone(),
            name: p.name.clone(),
            tokens: part_tokens(&p.events, len, &mut fermata, &mut warnings),
            bent: p
                .bent
                .iter()
                .map(|&(onset, what, rest)| Bent { frame: (onset * FPQ + 1e-6).floor().max(0.0) as usize, what, rest })
                .collect(),
        })
        .collect();
    let measures = raw.first().map(|p| p.measures.as_slice()).unwrap_or(&[]);
    let time = measures.iter().find_map(|m| m.time);
    let time_changes = measures
        .iter()
        .filter_map(|m| m.time)
        .any(|t| Some(t) != time);
    let mut meta = bar_positions(measures, len);
    for (m, f) in meta.iter_mut().zip(fermata) {
        m.fermata = f;
    }
    ParsedScore {
        parts,
        meta,
        time,
        time_changes,
        warnings,
    }
}

/// Frame just past the last thing in the part.
fn part_end(p: &RawPart) -> usize {
    let events = p
        .events
        .iter()
        .map(|e| frame_of(e.onset + e.duration))
        .max()
        .unwrap_or(0);
    let measures = p
        .measures
        .last()
        .map(|m| frame_of(m.start + m.length))
        .unwrap_or(0);
    events.max(measures)
}

/// One voice's tokens: Pitch at an onset, Rest at a rest's onset, Hold while either goes
/// on (and across ties). Stretches no event covers are silence. Marks fermata frames.
fn part_tokens(
    events: &[Event],
    len: usize,
    fermata: &mut [bool],
    warnings: &mut Warnings,
) -> Vec<Token> {
    let mut slots: Vec<Option<Token>> = vec![None; len];
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| a.onset.total_cmp(&b.onset));
    for e in sorted {
        let (start, end) = (frame_of(e.onset), frame_of(e.onset + e.duration).min(len));
        if end <= start {
            if matches!(e.kind, EventKind::Note(_)) {
                warnings.collapsed_notes += 1;
            }
            continue;
        }
        slots[start] = Some(match e.kind {
            EventKind::Note(p) => Token::Pitch(p),
            EventKind::Rest => Token::Rest,
            EventKind::Tied => Token::Hold,
        });
        for s in &mut slots[start + 1..end] {
            *s = Some(Token::Hold);
        }
        if e.fermata {
            for f in &mut fermata[start..end] {
                *f = true;
            }
        }
    }
    // Silence where nothing was written; a voice never begins by holding.
    let mut tokens = Vec::with_capacity(len);
    let mut in_gap = false;
    for (i, s) in slots.into_iter().enumerate() {
        let t = match s {
            Some(Token::Hold) if i == 0 => Token::Rest,
            Some(t) => t,
            None if in_gap => Token::Hold,
            None => Token::Rest,
        };
        in_gap = s.is_none();
        tokens.push(t);
    }
    tokens
}

/// Bar positions and key per frame from the measures. A short first measure is a pickup
/// (it ends on a barline, so it starts `bar - length` into the bar); a short measure that
/// completes the previous short one continues its bar; any other measure starts on a
/// downbeat.
fn bar_positions(measures: &[Measure], len: usize) -> Vec<FrameMeta> {
    let mut meta = vec![FrameMeta::default(); len];
    let mut prev_short: Option<usize> = None;
    let mut filled = 0;
    let mut last = (16usize, 0usize, 0usize, KeySignature::default());
    for (i, m) in measures.iter().enumerate() {
        let bar = m.time.and_then(|t| t.frames_per_bar()).unwrap_or(16) as usize;
        let start = frame_of(m.start).min(len);
        let end = frame_of(m.start + m.length).min(len);
        let frames = end - start;
        let offset = if frames >= bar {
            prev_short = None;
            0
        } else if i == 0 {
            prev_short = Some(frames);
            bar - frames
        } else if let Some(p) = prev_short.filter(|p| p + frames == bar) {
            prev_short = None;
            p
        } else {
            prev_short = Some(frames);
            0
        };
        for (k, f) in meta[start..end].iter_mut().enumerate() {
            *f = FrameMeta {
                position_in_bar: ((offset + k) % bar) as u8,
                fermata: false,
                key: m.key,
                mode: Mode::Major,
            };
        }
        filled = filled.max(end);
        last = (bar, offset, start, m.key);
    }
    // Past the last measure (notes overhanging it): carry on counting.
    let (bar, offset, start, key) = last;
    for (k, f) in meta.iter_mut().enumerate().skip(filled) {
        *f = FrameMeta {
            position_in_bar: ((offset + k - start) % bar) as u8,
            fermata: false,
            key,
            mode: Mode::Major,
        };
    }
    meta
}
