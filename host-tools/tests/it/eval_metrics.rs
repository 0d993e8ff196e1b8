//! The metrics of `kantor eval` on small hand-made chorales with known answers.

use kantor_core::Voice;
use kantor_core::{Frame, FrameMeta, KeySignature, TimeSignature, Token};
use kantor_host::eval::copying::{TrainingIndex, WINDOW};
use kantor_host::eval::harmony::{harmony, identify, Cadence, Chord, Quality};
use kantor_host::eval::key::{find_key, key_of_weights, Key, Mode, MINOR_PROFILE};
use kantor_host::eval::notes::voice_notes;
use kantor_host::eval::statistics::{tvd, Histograms};
use kantor_host::eval::structure::{phrase_lengths, structure};
use kantor_host::eval::part_writing::tally_piece;
use kantor_host::eval::voice_leading::voice_leading;
use kantor_host::eval::{measure, Piece};

/// Frames from block chords: each chord is (S, A, T, B) pitches (0 = rest) held for
/// `len` frames; chords marked `true` carry a fermata.
fn chords(list: &[([u8; 4], usize, bool)]) -> Vec<Frame> {
    let mut frames = Vec::new();
    for &(pitches, len, fermata) in list {
        for k in 0..len {
            let tokens = pitches.map(|p| match (k, p) {
                (0, 0) => Token::Rest,
                (0, p) => Token::Pitch(p),
                _ => Token::Hold,
            });
            let position_in_bar = (frames.len() % 16) as u8;
            frames.push(Frame {
                tokens,
                meta: FrameMeta {
                    position_in_bar,
                    fermata,
                    key: KeySignature::default(),
                    ..FrameMeta::default()
                },
            });
        }
    }
    frames
}

const C_MAJOR: [u8; 4] = [72, 67, 64, 48];
const F_MAJOR: [u8; 4] = [72, 69, 65, 53];
const G_MAJOR: [u8; 4] = [71, 67, 62, 43];
const G_SEVENTH: [u8; 4] = [71, 65, 62, 43];

#[test]
fn textbook_parallel_fifth() {
    // C major (E C G C) to D minor (A F A D): tenor and bass move up G–A over C–D.
    let f = chords(&[([64, 60, 55, 48], 4, false), ([69, 65, 57, 50], 4, false)]);
    let t = tally_piece(&f, None);
    assert_eq!((t.parallel_fifths, t.parallel_octaves), (1, 0));
    let vl = voice_leading(&f, &t);
    assert_eq!(vl.parallel_fifths_per_100, Some(12.5));
    assert_eq!(vl.parallel_octaves_per_100, Some(0.0));
    // One change of sonority, and it has the fifth.
    assert_eq!(vl.parallel_fifths_per_100_changes, Some(100.0));
}

#[test]
fn compound_fifths_and_octaves_count_contrary_motion_apart() {
    // Tenor–bass a twelfth (19) moving up to a twelfth: a compound parallel fifth.
    let f = chords(&[([64, 60, 55, 36], 4, false), ([69, 65, 57, 38], 4, false)]);
    assert_eq!(tally_piece(&f, None).parallel_fifths, 1);
    // Soprano and bass two octaves apart moving up together: parallel octaves.
    let f = chords(&[([72, 64, 55, 48], 4, false), ([74, 65, 57, 50], 4, false)]);
    assert_eq!(tally_piece(&f, None).parallel_octaves, 1);
    // Fifth to twelfth by contrary motion: not a parallel, a consecutive fifth by
    // contrary motion, reported per 100 frames with the other part-writing rules.
    let f = chords(&[([72, 64, 55, 48], 4, false), ([72, 64, 62, 43], 4, false)]);
    let t = tally_piece(&f, None);
    assert_eq!((t.parallel_fifths, t.parallel_octaves, t.contrary_fifths), (0, 0, 1));
    let m = measure(&piece("contrary", f), None);
    assert_eq!(m.voice_leading.parallel_fifths_per_100, Some(0.0));
    assert_eq!(m.part_writing.contrary_fifths_per_100, Some(12.5));
    assert_eq!(m.part_writing.consecutive_fifths_per_100, Some(12.5));
    // The same fifth held (no motion) is not a parallel.
    let f = chords(&[([72, 64, 55, 48], 4, false), ([74, 65, 55, 48], 4, false)]);
    assert_eq!(tally_piece(&f, None).consecutive_fifths(), 0);
}

#[test]
fn crossing_and_spacing() {
    // Second chord: alto above soprano. Third: soprano–alto a tenth apart.
    let f = chords(&[
        (C_MAJOR, 4, false),
        ([67, 72, 64, 48], 4, false),
        ([76, 60, 55, 48], 4, false),
        ([72, 67, 64, 36], 4, false),
    ]);
    let vl = voice_leading(&f, &tally_piece(&f, None));
    assert_eq!(vl.crossing_pct, Some(25.0));
    assert_eq!(vl.spacing_upper_pct, Some(25.0));
    // Last chord: tenor E3 over bass C2 is 28 semitones, beyond a twelfth.
    assert_eq!(vl.spacing_bass_pct, Some(25.0));
}

#[test]
fn ranges_leaps_and_leading_tones() {
    // Soprano C5 – B4 over G (the leading tone of V falls to A4) – B4 over G – C5
    // (resolves); bass leaps two octaves once; the alto sings one note below its range.
    let f = chords(&[
        ([72, 67, 64, 48], 4, false),
        ([71, 67, 62, 55], 4, false),
        ([69, 65, 60, 53], 4, false),
        ([71, 50, 62, 55], 4, false),
        ([72, 67, 64, 36], 4, false),
    ]);
    let key = Some(Key {
        tonic: 0,
        mode: Mode::Major,
    });
    let vl = voice_leading(&f, &tally_piece(&f, key));
    assert_eq!(vl.unresolved_leading_tones_pct, Some(50.0));
    // Without a key no leading tone is judged.
    assert_eq!(voice_leading(&f, &tally_piece(&f, None)).unresolved_leading_tones_pct, None);
    assert_eq!(vl.out_of_range_pct, Some(5.0)); // 1 of 20 notes
                                                // 16 melodic intervals; beyond an octave: alto F4 → D3 (15) and back up to G4 (17),
                                                // bass G3 → C2 (19).
    assert_eq!(vl.large_leaps_pct, Some(300.0 / 16.0));
}

#[test]
fn chords_are_recognised() {
    let set = |pcs: &[u8]| pcs.iter().fold(0u16, |s, p| s | 1 << p);
    assert_eq!(
        identify(set(&[0, 4, 7]), Some(48)),
        Some(Chord {
            root: 0,
            quality: Quality::Major
        })
    );
    assert_eq!(
        identify(set(&[9, 0, 4]), Some(45)),
        Some(Chord {
            root: 9,
            quality: Quality::Minor
        })
    );
    assert_eq!(
        identify(set(&[7, 11, 2, 5]), Some(43)),
        Some(Chord {
            root: 7,
            quality: Quality::DominantSeventh
        })
    );
    // Dominant seventh without its fifth.
    assert_eq!(
        identify(set(&[7, 11, 5]), Some(43)),
        Some(Chord {
            root: 7,
            quality: Quality::DominantSeventh
        })
    );
    // Diminished seventh: the bass names the root.
    assert_eq!(
        identify(set(&[11, 2, 5, 8]), Some(47)).map(|c| c.root),
        Some(11)
    );
    assert_eq!(
        identify(set(&[11, 2, 5, 8]), Some(50)).map(|c| c.root),
        Some(2)
    );
    // A cluster and a bare fifth are not chords.
    assert_eq!(identify(set(&[0, 2, 4]), Some(48)), None);
    assert_eq!(identify(set(&[0, 7]), Some(48)), None);
}

#[test]
fn key_finding() {
    let mut a_minor = [0.0; 12];
    for pc in 0..12 {
        a_minor[(pc + 9) % 12] = MINOR_PROFILE[pc];
    }
    assert_eq!(
        key_of_weights(&a_minor),
        Some(Key {
            tonic: 9,
            mode: Mode::Minor
        })
    );
    let f = chords(&[
        (C_MAJOR, 8, false),
        (F_MAJOR, 4, false),
        (G_SEVENTH, 4, false),
        (C_MAJOR, 8, true),
    ]);
    assert_eq!(
        find_key(&f),
        Some(Key {
            tonic: 0,
            mode: Mode::Major
        })
    );
    assert_eq!(find_key(&chords(&[([0, 0, 0, 0], 4, false)])), None);
}

#[test]
fn cadences_at_fermatas() {
    // I IV V7 I(fermata) I IV I V(fermata) I IV(…) I(fermata)
    let f = chords(&[
        (C_MAJOR, 4, false),
        (F_MAJOR, 4, false),
        (G_SEVENTH, 4, false),
        (C_MAJOR, 8, true),
        ([76, 72, 67, 48], 4, false),
        (F_MAJOR, 4, false),
        (C_MAJOR, 4, false),
        (G_MAJOR, 8, true),
        (C_MAJOR, 4, false),
        (F_MAJOR, 4, false),
        ([72, 67, 64, 36], 8, true),
    ]);
    let h = harmony(&f);
    assert_eq!(
        h.key,
        Some(Key {
            tonic: 0,
            mode: Mode::Major
        })
    );
    assert_eq!(
        h.cadences,
        vec![Cadence::Authentic, Cadence::Half, Cadence::Plagal]
    );
    assert_eq!(h.chordal_pct, Some(100.0));
    assert_eq!(h.in_key_pct, Some(100.0));
    assert_eq!(h.cadence_pct(&[Cadence::Authentic]), Some(100.0 / 3.0));
}

#[test]
fn a_long_dominant_and_a_passing_tone_before_the_final_chord() {
    // I, then V held for a whole bar, then I with a fermata: still authentic.
    let f = chords(&[
        (C_MAJOR, 4, false),
        (G_MAJOR, 16, false),
        (C_MAJOR, 8, true),
    ]);
    assert_eq!(harmony(&f).cadences, vec![Cadence::Authentic]);
    // V7, a passing sonority (no chord), then I: the V7 is found behind it.
    let f = chords(&[
        (C_MAJOR, 4, false),
        (G_SEVENTH, 4, false),
        ([72, 65, 62, 43], 2, false),
        (C_MAJOR, 8, true),
    ]);
    assert_eq!(harmony(&f).cadences, vec![Cadence::Authentic]);
    // The chord before lies more than two quarters back (a long non-chord in between).
    let f = chords(&[
        (G_MAJOR, 4, false),
        ([74, 65, 60, 55], 12, false),
        (C_MAJOR, 8, true),
    ]);
    assert_eq!(harmony(&f).cadences, vec![Cadence::Other]);
}

#[test]
fn non_chords_and_chromatic_notes_are_counted() {
    // C major, a cluster C D E G, C E F# (no chord), C major: 2 of 4 sonorities are
    // chords; one F# among 16 notes.
    let f = chords(&[
        (C_MAJOR, 4, false),
        ([74, 64, 60, 43], 4, false),
        ([72, 66, 64, 48], 4, false),
        (C_MAJOR, 8, false),
    ]);
    let h = harmony(&f);
    assert_eq!(h.chordal_pct, Some(50.0));
    let notes: usize = Voice::ALL.iter().map(|&v| voice_notes(&f, v).len()).sum();
    assert_eq!(notes, 16);
    assert_eq!(h.in_key_pct, Some(100.0 * 15.0 / 16.0));
}

#[test]
fn phrases_and_density() {
    let f = chords(&[
        (C_MAJOR, 16, false),
        (G_MAJOR, 16, true),
        (C_MAJOR, 8, false),
        ([0, 0, 0, 0], 8, true),
    ]);
    // Phrases run from fermata to fermata: 16 frames, then 24.
    assert_eq!(phrase_lengths(&f), vec![16, 24]);
    let s = structure(&f, 16);
    assert_eq!(s.fermatas, 2);
    assert_eq!(s.phrase_quarters, Some(5.0));
    assert_eq!(s.notes_per_bar, Some(4.0)); // 12 notes over 3 bars
    assert_eq!(s.rest_pct, Some(100.0 / 6.0));
}

#[test]
fn histogram_distances() {
    assert_eq!(tvd(&[1.0, 1.0], &[2.0, 2.0]), Some(0.0));
    assert_eq!(tvd(&[1.0, 0.0], &[0.0, 3.0]), Some(1.0));
    assert_eq!(tvd(&[0.0, 0.0], &[1.0, 0.0]), None);
    let a = chords(&[(C_MAJOR, 4, false), (G_MAJOR, 4, false)]);
    let h = Histograms::of(
        &a,
        Some(Key {
            tonic: 0,
            mode: Mode::Major,
        }),
    );
    assert_eq!(h.pitch_class.iter().sum::<f64>(), 8.0);
    assert_eq!(h.duration[3], 8.0);
    let d = h.distance(&h);
    assert_eq!(d.interval, Some(0.0));
    assert_eq!(d.voice_range, Some(0.0));
}

/// A pseudo-random chorale of quarter-note chords (each voice in range).
fn random_chorale(seed: u64, quarters: usize) -> Vec<Frame> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move |n: u8| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as u8
    };
    let list: Vec<([u8; 4], usize, bool)> = (0..quarters)
        .map(|_| {
            (
                [64 + next(12), 57 + next(12), 50 + next(12), 40 + next(12)],
                4,
                false,
            )
        })
        .collect();
    chords(&list)
}

fn piece(name: &str, frames: Vec<Frame>) -> Piece {
    Piece {
        name: name.into(),
        time: TimeSignature::COMMON,
        frames,
        cost: None,
    }
}

#[test]
fn a_copied_passage_is_caught_in_any_transposition() {
    let training: Vec<Vec<Frame>> = (1..=20).map(|s| random_chorale(s, 48)).collect();
    let index = TrainingIndex::build(training.iter().map(Vec::as_slice));
    assert_eq!(index.chorales(), 20);

    // Twelve quarters of chorale 7, transposed up a tone, between fresh material.
    let mut copied = training[7][40..88].to_vec();
    assert!(kantor_core::chorale::transpose(&mut copied, 2));
    let mut frames = random_chorale(1000, 8);
    frames.extend(copied);
    frames.extend(random_chorale(1001, 8));
    let c = index.copying(&frames, 32);
    assert_eq!(c.longest_run_frames, 48);
    assert_eq!(c.longest_run_source, Some(7));
    // Two-bar windows inside the copy: 48 − 32 + 1 of the 112 − 32 + 1 windows.
    assert_eq!(c.copied_window_pct, Some(100.0 * 17.0 / 81.0));

    // A whole chorale copied a major third up scores its full length.
    let mut whole = training[3].clone();
    assert!(kantor_core::chorale::transpose(&mut whole, 4));
    let c = index.copying(&whole, 32);
    assert_eq!(c.longest_run_frames, whole.len());
    assert_eq!(c.copied_window_pct, Some(100.0));

    // Fresh material shares nothing as long as a window.
    let c = index.copying(&random_chorale(5000, 48), 32);
    assert!(c.longest_run_frames < WINDOW, "{c:?}");
    assert_eq!(c.copied_window_pct, Some(0.0));
}

#[test]
fn measuring_is_deterministic() {
    let training: Vec<Vec<Frame>> = (1..=5).map(|s| random_chorale(s, 32)).collect();
    let index = TrainingIndex::build(training.iter().map(Vec::as_slice));
    let p = piece("random", random_chorale(77, 40));
    let mut a = measure(&p, Some(&index));
    let mut b = measure(&p, Some(&index));
    a.compare(&Histograms::of(&training[0], None));
    b.compare(&Histograms::of(&training[0], None));
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert!(a.distances.unwrap().pitch_class.unwrap() > 0.0);
}

#[test]
fn separation_is_the_folded_auc() {
    use kantor_host::eval::calibrate::separation;
    assert_eq!(separation(&[1.0, 2.0], &[3.0, 4.0]), Some(1.0));
    assert_eq!(separation(&[3.0, 4.0], &[1.0, 2.0]), Some(1.0));
    assert_eq!(separation(&[1.0, 3.0], &[1.0, 3.0]), Some(0.5));
    assert_eq!(separation(&[1.0, 4.0], &[2.0, 3.0]), Some(0.5));
    assert_eq!(separation(&[1.0, 2.0, 3.0], &[2.5]), Some(2.0 / 3.0));
    assert_eq!(separation(&[], &[1.0]), None);
}

#[test]
fn how_a_piece_begins_and_ends() {
    use kantor_host::eval::whole_piece::whole_piece;
    let c_major = Some(Key { tonic: 0, mode: Mode::Major });
    let a_minor = Some(Key { tonic: 9, mode: Mode::Minor });
    // I – IV – V7 – I in C, one bar: home, begins on I, consonant, 4 notes a voice.
    let cadence = chords(&[(C_MAJOR, 4, false), (F_MAJOR, 4, false), (G_SEVENTH, 4, false), (C_MAJOR, 4, true)]);
    let w = whole_piece(&cadence, 16, c_major, c_major);
    assert_eq!((w.minor_pct, w.ends_home_pct, w.begins_i_or_v_pct, w.final_dissonant_pct), (Some(0.0), Some(100.0), Some(100.0), Some(0.0)));
    assert_eq!(w.notes_per_voice_16_bars, Some(64.0));
    // Ending on V7 after beginning on IV: away from home, dissonant, not begun on I or V.
    let open = chords(&[(F_MAJOR, 4, false), (C_MAJOR, 4, false), (G_SEVENTH, 4, true)]);
    let w = whole_piece(&open, 16, c_major, c_major);
    assert_eq!((w.ends_home_pct, w.begins_i_or_v_pct, w.final_dissonant_pct), (Some(0.0), Some(0.0), Some(100.0)));
    // A minor piece that begins on V and ends on A major (a Picardy third) or on bare A.
    let e_major = [68, 64, 59, 52];
    for last in [[73, 69, 64, 57], [69, 69, 57, 45]] {
        let picardy = chords(&[(e_major, 4, false), ([72, 69, 64, 57], 4, false), (e_major, 4, false), (last, 4, true)]);
        let w = whole_piece(&picardy, 16, a_minor, a_minor);
        assert_eq!((w.minor_pct, w.ends_home_pct, w.begins_i_or_v_pct, w.final_dissonant_pct), (Some(100.0), Some(100.0), Some(100.0), Some(0.0)));
    }
    // Without a key, neither home nor I/V can be said.
    let w = whole_piece(&cadence, 16, None, None);
    assert_eq!((w.minor_pct, w.ends_home_pct, w.begins_i_or_v_pct), (None, None, None));
}

#[test]
fn part_writing_rules_are_reported_per_100_frames() {
    // C → D minor with S–B octaves and T–B fifths in parallel, then D minor → G with
    // tenor and bass in fifths by contrary motion; 12 frames.
    let f = chords(&[([72, 64, 55, 48], 4, false), ([74, 65, 57, 50], 4, false), ([71, 67, 62, 43], 4, false)]);
    let m = measure(&piece("faults", f), None);
    let per_100 = |n: f64| Some(100.0 * n / 12.0);
    assert_eq!(m.voice_leading.parallel_fifths_per_100, per_100(1.0));
    assert_eq!(m.voice_leading.parallel_octaves_per_100, per_100(1.0));
    assert_eq!(m.part_writing.contrary_fifths_per_100, per_100(1.0));
    assert_eq!(m.part_writing.consecutive_fifths_per_100, per_100(2.0));
    assert_eq!(m.part_writing.consecutive_octaves_per_100, per_100(1.0));
    // Every rule has a row in the table.
    for key in ["contrary_fifths_per_100", "hidden_octaves_per_100", "doubled_leading_tones_per_100", "augmented_seconds_per_100", "ends_home_pct", "minor_pct"] {
        assert!(kantor_host::eval::METRICS.iter().any(|x| x.key == key), "{key}");
    }
}
