//! All metrics of one piece, and the list of named metrics the table, JSON and report
//! show.

use super::copying::{Copying, TrainingIndex};
use super::harmony::{harmony, Cadence, Harmony};
use super::key::{home_key, Key};
use super::part_writing::{tally_piece, PartWriting};
use super::statistics::{Distances, Histograms};
use super::structure::{structure, Structure};
use super::voice_leading::{voice_leading, VoiceLeading};
use super::whole_piece::{whole_piece, WholePiece};
use kantor_core::{Frame, TimeSignature};
use serde::Serialize;

/// A chorale to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    /// File name, dataset source or "generated 3".
    pub name: String,
    pub time: TimeSignature,
    pub frames: Vec<Frame>,
    /// What it cost to compose, when the sampler made it here.
    pub cost: Option<Cost>,
}

impl Piece {
    /// 16ths per bar (16 when the time signature is not one the encoding knows).
    pub fn bar_frames(&self) -> usize {
        self.time.frames_per_bar().unwrap_or(16) as usize
    }
}

/// What composing one piece cost.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Cost {
    /// Score network evaluations.
    pub evaluations: u64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Everything measured on one piece.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PieceMetrics {
    pub name: String,
    pub frames: usize,
    pub key: Option<Key>,
    /// The key the piece is judged in: asked when known, else found.
    pub home_key: Option<Key>,
    pub voice_leading: VoiceLeading,
    pub part_writing: PartWriting,
    pub harmony: Harmony,
    pub structure: Structure,
    pub whole_piece: WholePiece,
    /// Distances from the reference set's histograms (filled by [`PieceMetrics::compare`]).
    pub distances: Option<Distances>,
    /// Copying of the training set (when one was given).
    pub copying: Option<Copying>,
    /// Name of the training chorale the longest copied run comes from.
    pub copied_from: Option<String>,
    pub cost: Option<Cost>,
    #[serde(skip)]
    pub histograms: Histograms,
}

/// Measures a piece; `training` enables copy detection. Histogram distances need the
/// whole reference set and are filled in afterwards by [`PieceMetrics::compare`].
pub fn measure(piece: &Piece, training: Option<&TrainingIndex>) -> PieceMetrics {
    let harmony = harmony(&piece.frames);
    let key = harmony.key;
    let home = home_key(&piece.frames, key);
    let tally = tally_piece(&piece.frames, home);
    let copying = training.map(|t| t.copying(&piece.frames, 2 * piece.bar_frames()));
    let copied_from = training
        .zip(copying.and_then(|c| c.longest_run_source))
        .and_then(|(t, i)| t.name(i))
        .map(str::to_string);
    PieceMetrics {
        name: piece.name.clone(),
        frames: piece.frames.len(),
        key,
        home_key: home,
        voice_leading: voice_leading(&piece.frames, &tally),
        part_writing: PartWriting::of(&tally, home.is_some()),
        structure: structure(&piece.frames, piece.bar_frames()),
        whole_piece: whole_piece(&piece.frames, piece.bar_frames(), key, home),
        harmony,
        distances: None,
        copying,
        copied_from,
        cost: piece.cost,
        histograms: Histograms::of(&piece.frames, key),
    }
}

impl PieceMetrics {
    /// Fills in the distances from the reference set's summed histograms.
    pub fn compare(&mut self, reference: &Histograms) {
        self.distances = Some(self.histograms.distance(reference));
    }
}

/// The summed histograms of a set of pieces.
pub fn pooled_histograms<'a>(metrics: impl IntoIterator<Item = &'a PieceMetrics>) -> Histograms {
    let mut h = Histograms::default();
    for m in metrics {
        h.add(&m.histograms);
    }
    h
}

/// Which group a metric belongs to (the table's sections).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Group {
    VoiceLeading,
    PartWriting,
    Harmony,
    WholePiece,
    Statistics,
    Structure,
    Copying,
    Cost,
}

impl Group {
    pub const fn title(self) -> &'static str {
        match self {
            Group::VoiceLeading => "voice leading",
            Group::PartWriting => "part writing as a teacher marks it, per 100 frames",
            Group::Harmony => "harmony",
            Group::WholePiece => "the whole piece",
            Group::Statistics => "statistics (distance from reference)",
            Group::Structure => "structure",
            Group::Copying => "copying of the training set",
            Group::Cost => "cost",
        }
    }
}

/// A named number measured on every piece.
pub struct Metric {
    /// Stable key (JSON).
    pub key: &'static str,
    /// What the table shows.
    pub label: &'static str,
    pub group: Group,
    pub get: fn(&PieceMetrics) -> Option<f64>,
}

const AUTHENTIC: &[Cadence] = &[Cadence::Authentic];
const PLAGAL: &[Cadence] = &[Cadence::Plagal];
const HALF: &[Cadence] = &[Cadence::Half];
const ANY_CADENCE: &[Cadence] = &[Cadence::Authentic, Cadence::Plagal, Cadence::Half];

/// Every metric, in table order.
#[rustfmt::skip]
pub const METRICS: &[Metric] = &[
    Metric { key: "crossing_pct", label: "voice crossing, % frames", group: Group::VoiceLeading, get: |m| m.voice_leading.crossing_pct },
    Metric { key: "parallel_fifths_per_100", label: "parallel fifths / 100 frames", group: Group::VoiceLeading, get: |m| m.voice_leading.parallel_fifths_per_100 },
    Metric { key: "parallel_octaves_per_100", label: "parallel octaves / 100 frames", group: Group::VoiceLeading, get: |m| m.voice_leading.parallel_octaves_per_100 },
    Metric { key: "parallel_fifths_per_100_changes", label: "parallel fifths / 100 chord changes", group: Group::VoiceLeading, get: |m| m.voice_leading.parallel_fifths_per_100_changes },
    Metric { key: "parallel_octaves_per_100_changes", label: "parallel octaves / 100 chord changes", group: Group::VoiceLeading, get: |m| m.voice_leading.parallel_octaves_per_100_changes },
    Metric { key: "spacing_upper_pct", label: "S-A or A-T > octave, % frames", group: Group::VoiceLeading, get: |m| m.voice_leading.spacing_upper_pct },
    Metric { key: "spacing_bass_pct", label: "T-B > twelfth, % frames", group: Group::VoiceLeading, get: |m| m.voice_leading.spacing_bass_pct },
    Metric { key: "out_of_range_pct", label: "notes out of range, %", group: Group::VoiceLeading, get: |m| m.voice_leading.out_of_range_pct },
    Metric { key: "large_leaps_pct", label: "leaps > octave, % intervals", group: Group::VoiceLeading, get: |m| m.voice_leading.large_leaps_pct },
    Metric { key: "unresolved_leading_tones_pct", label: "unresolved leading tones (S/B, V), %", group: Group::VoiceLeading, get: |m| m.voice_leading.unresolved_leading_tones_pct },
    Metric { key: "consecutive_fifths_per_100", label: "consecutive fifths, all motions", group: Group::PartWriting, get: |m| m.part_writing.consecutive_fifths_per_100 },
    Metric { key: "consecutive_octaves_per_100", label: "consecutive octaves, all motions", group: Group::PartWriting, get: |m| m.part_writing.consecutive_octaves_per_100 },
    Metric { key: "contrary_fifths_per_100", label: "  fifths by contrary motion", group: Group::PartWriting, get: |m| m.part_writing.contrary_fifths_per_100 },
    Metric { key: "contrary_octaves_per_100", label: "  octaves by contrary motion", group: Group::PartWriting, get: |m| m.part_writing.contrary_octaves_per_100 },
    Metric { key: "hidden_fifths_per_100", label: "hidden fifths (S-B)", group: Group::PartWriting, get: |m| m.part_writing.hidden_fifths_per_100 },
    Metric { key: "hidden_octaves_per_100", label: "hidden octaves (S-B)", group: Group::PartWriting, get: |m| m.part_writing.hidden_octaves_per_100 },
    Metric { key: "crossings_per_100", label: "crossed voices", group: Group::PartWriting, get: |m| m.part_writing.crossings_per_100 },
    Metric { key: "overlaps_per_100", label: "overlapping voices", group: Group::PartWriting, get: |m| m.part_writing.overlaps_per_100 },
    Metric { key: "wide_spacings_per_100", label: "S-A or A-T beyond an octave", group: Group::PartWriting, get: |m| m.part_writing.wide_spacings_per_100 },
    Metric { key: "doubled_leading_tones_per_100", label: "doubled leading tone", group: Group::PartWriting, get: |m| m.part_writing.doubled_leading_tones_per_100 },
    Metric { key: "unresolved_leading_tones_per_100", label: "unresolved leading tone (S/B)", group: Group::PartWriting, get: |m| m.part_writing.unresolved_leading_tones_per_100 },
    Metric { key: "unresolved_sevenths_per_100", label: "unresolved seventh", group: Group::PartWriting, get: |m| m.part_writing.unresolved_sevenths_per_100 },
    Metric { key: "augmented_seconds_per_100", label: "augmented seconds", group: Group::PartWriting, get: |m| m.part_writing.augmented_seconds_per_100 },
    Metric { key: "tritones_per_100", label: "tritone leaps", group: Group::PartWriting, get: |m| m.part_writing.tritones_per_100 },
    Metric { key: "chordal_pct", label: "triads/sevenths, % sonorities", group: Group::Harmony, get: |m| m.harmony.chordal_pct },
    Metric { key: "in_key_pct", label: "notes in key, %", group: Group::Harmony, get: |m| m.harmony.in_key_pct },
    Metric { key: "key_follows_signature_pct", label: "key found = key asked, % pieces", group: Group::Harmony, get: |m| m.harmony.key_follows_signature_pct },
    Metric { key: "cadence_pct", label: "fermatas with a cadence, %", group: Group::Harmony, get: |m| m.harmony.cadence_pct(ANY_CADENCE) },
    Metric { key: "authentic_cadence_pct", label: "  authentic V-I, % fermatas", group: Group::Harmony, get: |m| m.harmony.cadence_pct(AUTHENTIC) },
    Metric { key: "plagal_cadence_pct", label: "  plagal IV-I, % fermatas", group: Group::Harmony, get: |m| m.harmony.cadence_pct(PLAGAL) },
    Metric { key: "half_cadence_pct", label: "  half cadence, % fermatas", group: Group::Harmony, get: |m| m.harmony.cadence_pct(HALF) },
    Metric { key: "pitch_class_tvd", label: "pitch classes (TVD)", group: Group::Statistics, get: |m| m.distances.and_then(|d| d.pitch_class) },
    Metric { key: "interval_tvd", label: "melodic intervals (TVD)", group: Group::Statistics, get: |m| m.distances.and_then(|d| d.interval) },
    Metric { key: "duration_tvd", label: "note durations (TVD)", group: Group::Statistics, get: |m| m.distances.and_then(|d| d.duration) },
    Metric { key: "voice_range_tvd", label: "voice ranges (TVD)", group: Group::Statistics, get: |m| m.distances.and_then(|d| d.voice_range) },
    Metric { key: "minor_pct", label: "minor (key found), % pieces", group: Group::WholePiece, get: |m| m.whole_piece.minor_pct },
    Metric { key: "ends_home_pct", label: "ends on the home tonic, % pieces", group: Group::WholePiece, get: |m| m.whole_piece.ends_home_pct },
    Metric { key: "begins_i_or_v_pct", label: "begins on I or V, % pieces", group: Group::WholePiece, get: |m| m.whole_piece.begins_i_or_v_pct },
    Metric { key: "final_dissonant_pct", label: "dissonant final chord, % pieces", group: Group::WholePiece, get: |m| m.whole_piece.final_dissonant_pct },
    Metric { key: "notes_per_voice_16_bars", label: "notes per voice per 16 bars", group: Group::WholePiece, get: |m| m.whole_piece.notes_per_voice_16_bars },
    Metric { key: "fermatas", label: "fermatas", group: Group::Structure, get: |m| Some(m.structure.fermatas as f64) },
    Metric { key: "phrase_quarters", label: "phrase length, quarters", group: Group::Structure, get: |m| m.structure.phrase_quarters },
    Metric { key: "notes_per_bar", label: "notes per bar (4 voices)", group: Group::Structure, get: |m| m.structure.notes_per_bar },
    Metric { key: "rest_pct", label: "rests, % voice-frames", group: Group::Structure, get: |m| m.structure.rest_pct },
    Metric { key: "longest_copy_frames", label: "longest copied run, frames", group: Group::Copying, get: |m| m.copying.map(|c| c.longest_run_frames as f64) },
    Metric { key: "copied_2bar_pct", label: "2-bar windows in training, %", group: Group::Copying, get: |m| m.copying.and_then(|c| c.copied_window_pct) },
    Metric { key: "evaluations", label: "network evaluations", group: Group::Cost, get: |m| m.cost.map(|c| c.evaluations as f64) },
    Metric { key: "seconds", label: "wall time, s", group: Group::Cost, get: |m| m.cost.map(|c| c.seconds) },
];
