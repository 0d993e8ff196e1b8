//! Things an import got around rather than refused, counted so the report can say so.

use std::fmt;

/// Counts of constructs that were simplified while reading a score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    /// Chord notes dropped (the top note of each chord is kept).
    pub chords: usize,
    /// Notes shorter than a 16th that vanished on the grid.
    pub collapsed_notes: usize,
    /// Grace notes skipped.
    pub grace_notes: usize,
    /// Notes in a second voice of a part (only the first voice is read).
    pub other_voice_notes: usize,
    /// Repeat barlines (repeats are not expanded).
    pub repeats: usize,
}

impl Warnings {
    /// Adds another score's counts to these.
    pub fn add(&mut self, other: &Warnings) {
        self.chords += other.chords;
        self.collapsed_notes += other.collapsed_notes;
        self.grace_notes += other.grace_notes;
        self.other_voice_notes += other.other_voice_notes;
        self.repeats += other.repeats;
    }

    /// True when nothing was simplified.
    pub fn is_empty(&self) -> bool {
        *self == Warnings::default()
    }
}

impl fmt::Display for Warnings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = [
            (self.chords, "chord notes dropped (top note kept)"),
            (self.collapsed_notes, "notes shorter than a 16th dropped"),
            (self.grace_notes, "grace notes skipped"),
            (
                self.other_voice_notes,
                "notes of a second voice in a part skipped",
            ),
            (self.repeats, "repeat barlines ignored (not expanded)"),
        ];
        let parts: Vec<String> = items
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}
