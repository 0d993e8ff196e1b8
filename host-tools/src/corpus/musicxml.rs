//! Parsing `score-partwise` MusicXML into timed events per part.
//!
//! Times are kept in quarter notes (`f64`, exact for every `divisions` a score uses in
//! practice) and only put on the 16th grid later, in [`super::grid`].

use super::warnings::{BentKind, Warnings};
use anyhow::{bail, Context, Result};
use kantor_core::{KeySignature, TimeSignature};
use roxmltree::Node;

/// Longest part accepted, in quarter notes (about 16 000 bars of 4/4), so that a broken
/// `<duration>` cannot ask for an absurd number of frames.
pub const MAX_SCORE_QUARTERS: f64 = 65_536.0;

/// What sounds in one voice over a span of time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EventKind {
    /// A new note (MIDI number).
    Note(u8),
    /// A rest.
    Rest,
    /// The previous note goes on (the stop end of a tie).
    Tied,
}

/// One note or rest of the chosen voice of a part.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// Onset in quarter notes from the start of the score.
    pub onset: f64,
    /// Length in quarter notes.
    pub duration: f64,
    pub kind: EventKind,
    /// A fermata is written on this note.
    pub fermata: bool,
}

/// One measure as a part writes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    /// Start in quarter notes from the start of the score.
    pub start: f64,
    /// How long the measure really is (the furthest point its notes reach), in quarters.
    pub length: f64,
    /// Time signature in force (`None` until a score states one).
    pub time: Option<TimeSignature>,
    pub key: KeySignature,
}

/// One part of the score, before quantisation.
#[derive(Clone, Debug, PartialEq)]
pub struct RawPart {
    /// The `id` of the `<part>`.
    pub id: String,
    /// `<part-name>` from the part list (may be empty).
    pub name: String,
    pub events: Vec<Event>,
    pub measures: Vec<Measure>,
    /// What of the part's first voice does not fit the 16th grid as written: onset in
    /// quarters, what it is, and whether it is a rest.
    pub bent: Vec<(f64, BentKind, bool)>,
}

/// Parses MusicXML text into its parts. Errors on anything that is not a
/// `score-partwise` document with at least one part.
pub fn parse_parts(xml: &str, warnings: &mut Warnings) -> Result<Vec<RawPart>> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(xml, options).context("malformed XML")?;
    let root = doc.root_element();
    match root.tag_name().name() {
        "score-partwise" => {}
        "score-timewise" => {
            bail!("score-timewise MusicXML is not supported (convert it to score-partwise)")
        }
        other => bail!("not a MusicXML score (root element <{other}>)"),
    }
    let names: Vec<(String, String)> = root
        .children()
        .find(|n| n.has_tag_name("part-list"))
        .map(|list| {
            list.children()
                .filter(|n| n.has_tag_name("score-part"))
                .map(|sp| {
                    (
                        sp.attribute("id").unwrap_or("").to_owned(),
                        child_text(sp, "part-name").unwrap_or("").trim().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let parts: Vec<RawPart> = root
        .children()
        .filter(|n| n.has_tag_name("part"))
        .enumerate()
        .map(|(i, part)| {
            let id = part.attribute("id").unwrap_or("").to_owned();
            let name = names
                .iter()
                .find(|(pid, _)| *pid == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            parse_part(part, id, name, warnings).with_context(|| format!("part {}", i + 1))
        })
        .collect::<Result<_>>()?;
    if parts.is_empty() {
        bail!("the score has no parts");
    }
    Ok(parts)
}

/// Running state while walking one part's measures.
struct PartState {
    divisions: f64,
    time: Option<TimeSignature>,
    key: KeySignature,
    /// The voice this part is read from (the first one seen).
    voice: Option<String>,
    /// Pitch of the last recorded note, to keep the top of a chord.
    last_note: Option<usize>,
}

fn parse_part(part: Node, id: String, name: String, warnings: &mut Warnings) -> Result<RawPart> {
    let mut st = PartState {
        divisions: 1.0,
        time: None,
        key: KeySignature::default(),
        voice: None,
        last_note: None,
    };
    let mut events = Vec::new();
    let mut measures = Vec::new();
    let mut bent = Vec::new();
    let mut start = 0.0f64;
    for (m_index, measure) in part
        .children()
        .filter(|n| n.has_tag_name("measure"))
        .enumerate()
    {
        let label = measure
            .attribute("number")
            .map(str::to_owned)
            .unwrap_or_else(|| (m_index + 1).to_string());
        let mut cursor = 0.0f64; // quarters since the measure's start
        let mut reach = 0.0f64;
        let mut last_onset = 0.0f64;
        for el in measure.children().filter(Node::is_element) {
            match el.tag_name().name() {
                "attributes" => {
                    read_attributes(el, &mut st).with_context(|| format!("measure {label}"))?
                }
                "backup" => {
                    cursor = (cursor
                        - duration(el, &st).with_context(|| format!("measure {label}"))?)
                    .max(0.0)
                }
                "forward" => {
                    cursor += duration(el, &st).with_context(|| format!("measure {label}"))?;
                    reach = reach.max(cursor);
                }
                "barline" if el.children().any(|n| n.has_tag_name("repeat")) => {
                    warnings.repeats += 1
                }
                "note" => {
                    let is_chord = el.children().any(|n| n.has_tag_name("chord"));
                    if el.children().any(|n| n.has_tag_name("grace")) {
                        warnings.grace_notes += 1;
                        if st.voice.as_deref().is_none_or(|v| v == child_text(el, "voice").unwrap_or("1").trim()) {
                            bent.push((start + cursor, BentKind::Grace, false));
                        }
                        continue;
                    }
                    let dur =
                        duration(el, &st).with_context(|| format!("measure {label}: note"))?;
                    let onset = if is_chord { last_onset } else { cursor };
                    if !is_chord {
                        last_onset = cursor;
                        cursor += dur;
                        reach = reach.max(cursor);
                    }
                    let voice = child_text(el, "voice").unwrap_or("1").trim().to_owned();
                    let chosen = st.voice.get_or_insert_with(|| voice.clone());
                    if *chosen != voice {
                        warnings.other_voice_notes += 1;
                        continue;
                    }
                    if el.children().any(|n| n.has_tag_name("cue")) {
                        continue;
                    }
                    if start + onset + dur > MAX_SCORE_QUARTERS {
                        bail!(
                            "measure {label}: a note ends past {MAX_SCORE_QUARTERS} quarter notes"
                        );
                    }
                    let event = read_note(el, start + onset, dur)
                        .with_context(|| format!("measure {label}: note"))?;
                    if let Some(kind) = bent_kind(el, &event, is_chord) {
                        bent.push((event.onset, kind, event.kind == EventKind::Rest));
                    }
                    if is_chord {
                        warnings.chords += 1;
                        keep_top_of_chord(&mut events, &mut st, event);
                    } else {
                        st.last_note = Some(events.len());
                        events.push(event);
                    }
                }
                _ => {}
            }
        }
        measures.push(Measure {
            start,
            length: reach,
            time: st.time,
            key: st.key,
        });
        start += reach;
        if start > MAX_SCORE_QUARTERS {
            bail!("the part is longer than {MAX_SCORE_QUARTERS} quarter notes");
        }
    }
    Ok(RawPart {
        id,
        name,
        events,
        measures,
        bent,
    })
}

/// Whether a note (already read as `event`) does not fit the 16th grid, and how.
fn bent_kind(el: Node, event: &Event, is_chord: bool) -> Option<BentKind> {
    let on_grid = |q: f64| ((q * 4.0) - (q * 4.0).round()).abs() < 1e-6;
    if is_chord {
        Some(BentKind::Chord)
    } else if el.children().any(|n| n.has_tag_name("time-modification")) {
        Some(BentKind::Tuplet)
    } else if event.duration < 0.25 - 1e-6 {
        Some(BentKind::Short)
    } else if !on_grid(event.onset) || !on_grid(event.onset + event.duration) {
        Some(BentKind::OffGrid)
    } else {
        None
    }
}

/// A chord note replaces the note it sounds with when it is higher.
fn keep_top_of_chord(events: &mut [Event], st: &mut PartState, event: Event) {
    let Some(i) = st.last_note else { return };
    if let (EventKind::Note(new), EventKind::Note(old)) = (event.kind, events[i].kind) {
        if new > old {
            events[i].kind = event.kind;
        }
    }
    events[i].fermata |= event.fermata;
}

fn read_attributes(el: Node, st: &mut PartState) -> Result<()> {
    if let Some(d) = child_text(el, "divisions") {
        let d: f64 = d
            .trim()
            .parse()
            .with_context(|| format!("bad <divisions> {d:?}"))?;
        if !(d.is_finite() && d > 0.0) {
            bail!("bad <divisions> {d}");
        }
        st.divisions = d;
    }
    if let Some(key) = el.children().find(|n| n.has_tag_name("key")) {
        if let Some(f) = child_text(key, "fifths") {
            let f: i8 = f
                .trim()
                .parse()
                .with_context(|| format!("bad <fifths> {f:?}"))?;
            if !(-7..=7).contains(&f) {
                bail!("bad <fifths> {f}");
            }
            st.key = KeySignature { fifths: f };
        }
    }
    if let Some(time) = el.children().find(|n| n.has_tag_name("time")) {
        if let (Some(b), Some(t)) = (child_text(time, "beats"), child_text(time, "beat-type")) {
            // Compound beats such as "3+2" are summed.
            let beats: Option<u32> = b.split('+').map(|x| x.trim().parse::<u32>().ok()).sum();
            let beat_type: Option<u32> = t.trim().parse().ok();
            match (beats, beat_type) {
                (Some(n), Some(d)) if n <= 255 && d <= 255 => {
                    st.time = Some(TimeSignature {
                        numerator: n as u8,
                        denominator: d as u8,
                    })
                }
                _ => bail!("bad time signature {b}/{t}"),
            }
        }
    }
    Ok(())
}

fn read_note(el: Node, onset: f64, duration: f64) -> Result<Event> {
    let tied = el
        .children()
        .any(|n| n.has_tag_name("tie") && n.attribute("type") == Some("stop"));
    let fermata = el
        .children()
        .filter(|n| n.has_tag_name("notations"))
        .any(|n| n.children().any(|c| c.has_tag_name("fermata")));
    let kind = if el.children().any(|n| n.has_tag_name("rest")) {
        EventKind::Rest
    } else if let Some(p) = el.children().find(|n| n.has_tag_name("pitch")) {
        if tied {
            EventKind::Tied
        } else {
            EventKind::Note(midi_pitch(p)?)
        }
    } else if el.children().any(|n| n.has_tag_name("unpitched")) {
        EventKind::Rest
    } else {
        bail!("a note with neither <pitch> nor <rest>");
    };
    Ok(Event {
        onset,
        duration,
        kind,
        fermata,
    })
}

/// MIDI number of a `<pitch>` (step, alter, octave; C4 = 60).
fn midi_pitch(p: Node) -> Result<u8> {
    let step = child_text(p, "step")
        .context("<pitch> without <step>")?
        .trim();
    let pc = match step {
        "C" => 0,
        "D" => 2,
        "E" => 4,
        "F" => 5,
        "G" => 7,
        "A" => 9,
        "B" => 11,
        _ => bail!("bad <step> {step:?}"),
    };
    let alter = match child_text(p, "alter") {
        Some(a) => a
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|a| a.is_finite() && a.abs() <= 4.0)
            .with_context(|| format!("bad <alter> {a:?}"))?
            .round() as i32,
        None => 0,
    };
    let octave: i32 = child_text(p, "octave")
        .context("<pitch> without <octave>")?
        .trim()
        .parse()
        .context("bad <octave>")?;
    let midi = (octave + 1) * 12 + pc + alter;
    u8::try_from(midi)
        .ok()
        .filter(|m| *m <= 127)
        .with_context(|| format!("pitch {step}{octave} is outside MIDI"))
}

/// `<duration>` of an element in quarter notes.
fn duration(el: Node, st: &PartState) -> Result<f64> {
    let text = child_text(el, "duration").context("missing <duration>")?;
    let d: f64 = text
        .trim()
        .parse()
        .with_context(|| format!("bad <duration> {text:?}"))?;
    if !(0.0..1e7).contains(&d) {
        bail!("bad <duration> {d}");
    }
    Ok(d / st.divisions)
}

fn child_text<'a>(node: Node<'a, '_>, tag: &str) -> Option<&'a str> {
    node.children()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.text())
}
