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

/// Something in one part that the 16th-note grid cannot hold as written, and that
/// reading it bent: where it starts (the frame it falls in) and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bent {
    /// The 16th-note frame the note (or rest) starts in.
    pub frame: usize,
    pub what: BentKind,
    /// A rest rather than a note.
    pub rest: bool,
}

/// What did not fit the grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BentKind {
    /// A second note sounding with another (only the top note is kept).
    Chord,
    /// A note of a tuplet (e.g. a triplet): moved to the nearest 16ths.
    Tuplet,
    /// Shorter than a 16th: merged into its neighbours.
    Short,
    /// Starting or ending between 16ths: moved to the nearest.
    OffGrid,
    /// A grace note: left out.
    Grace,
}

impl BentKind {
    /// What it is, for a message naming where it is.
    pub fn describe(self, rest: bool) -> &'static str {
        match (self, rest) {
            (BentKind::Chord, _) => "a chord (a melody has one note at a time)",
            (BentKind::Tuplet, false) => "a note of a tuplet",
            (BentKind::Tuplet, true) => "a rest in a tuplet",
            (BentKind::Short, false) => "a note shorter than a 16th",
            (BentKind::Short, true) => "a rest shorter than a 16th",
            (BentKind::OffGrid, false) => "a note off the 16th-note grid",
            (BentKind::OffGrid, true) => "a rest off the 16th-note grid",
            (BentKind::Grace, _) => "a grace note",
        }
    }

    /// What reading does to it, for a count of changes.
    pub fn change(self) -> &'static str {
        match self {
            BentKind::Chord => "chord notes dropped (the top note kept)",
            BentKind::Tuplet => "tuplet notes or rests moved to the nearest 16th",
            BentKind::Short => "notes or rests shorter than a 16th merged into their neighbours",
            BentKind::OffGrid => "notes or rests off the grid moved to the nearest 16th",
            BentKind::Grace => "grace notes left out",
        }
    }
}
