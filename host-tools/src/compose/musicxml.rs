//! Writing a chorale as a MusicXML `score-partwise` file: four parts (soprano, alto,
//! tenor, bass), one 16th = one division, notes split at bar lines and tied, rests,
//! fermatas, time and key signatures. MuseScore and the corpus reader open it.
//!
//! What a notation program needs besides the notes: every part names its instrument
//! (`<score-instrument>` and `<midi-instrument>`, with the MIDI file's channel and
//! program); the first measure carries the tempo (a metronome mark and `<sound tempo>`),
//! and the tempo slows under fermatas as in the MIDI file (from the note the fermata
//! starts in); every part ends with a final barline. Pitches are spelt from the key and
//! the harmony ([`super::spelling`]). Rests are merged and written in beat-sized pieces,
//! a whole silent bar as a measure rest.

use super::spelling::{spell, step_alter_octave, Fifths};
use anyhow::{Context, Result};
use kantor_core::midi::Performance;
use kantor_core::{Frame, TimeSignature, Token, Voice};
use std::fmt::Write as _;
use std::path::Path;

/// Durations (in 16ths) that one written note can have, with their type and dot.
const WRITABLE: [(usize, &str, bool); 9] = [
    (24, "whole", true),
    (16, "whole", false),
    (12, "half", true),
    (8, "half", false),
    (6, "quarter", true),
    (4, "quarter", false),
    (3, "eighth", true),
    (2, "eighth", false),
    (1, "16th", false),
];

/// One voice's note or rest: `pitch` (None = rest) from frame `start` for `len` frames,
/// spelt as `lof` (see [`super::spelling`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    len: usize,
    pitch: Option<u8>,
    lof: Fifths,
}

/// A voice's tokens as notes and rests. A hold at the very start counts as a rest, and
/// rests in a row are one rest.
fn spans(frames: &[Frame], spelling: &[[Fifths; 4]], voice: Voice) -> Vec<Span> {
    let v = voice.index();
    let mut out: Vec<Span> = Vec::new();
    for (t, f) in frames.iter().enumerate() {
        match (f.tokens[v], out.last_mut()) {
            (Token::Hold, Some(last)) => last.len += 1,
            (Token::Rest, Some(last)) if last.pitch.is_none() => last.len += 1,
            (Token::Hold, None) | (Token::Rest, _) => out.push(Span { start: t, len: 1, pitch: None, lof: 0 }),
            (Token::Pitch(p), _) => out.push(Span { start: t, len: 1, pitch: Some(p), lof: spelling[t][v] }),
        }
    }
    out
}

/// Frame indices where a new measure starts (always including 0).
fn measure_starts(frames: &[Frame]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend((1..frames.len()).filter(|&t| frames[t].meta.position_in_bar == 0));
    starts
}

/// Splits `len` 16ths into writable durations, longest first.
fn writable_pieces(mut len: usize) -> Vec<usize> {
    let mut pieces = Vec::new();
    while len > 0 {
        let (d, _, _) = WRITABLE.iter().find(|(d, _, _)| *d <= len).copied().unwrap_or(WRITABLE[8]);
        pieces.push(d);
        len -= d;
    }
    pieces
}

/// Splits a rest of `len` 16ths that starts `position` 16ths into the bar into writable
/// rests that keep to the beat: a rest of a quarter or more starts on a beat, an eighth on
/// an eighth, so a rest never hides where the beat falls.
fn rest_pieces(mut position: usize, mut len: usize) -> Vec<usize> {
    let mut pieces = Vec::new();
    while len > 0 {
        let fits = |d: usize| d <= len && position.is_multiple_of(d.next_power_of_two().min(4)) && (d < 4 || position.is_multiple_of(4));
        let d = WRITABLE.iter().map(|w| w.0).find(|&d| fits(d)).unwrap_or(1);
        pieces.push(d);
        position += d;
        len -= d;
    }
    pieces
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn clef(voice: Voice) -> &'static str {
    match voice {
        Voice::Soprano | Voice::Alto => "<clef><sign>G</sign><line>2</line></clef>",
        Voice::Tenor => "<clef><sign>G</sign><line>2</line><clef-octave-change>-1</clef-octave-change></clef>",
        Voice::Bass => "<clef><sign>F</sign><line>4</line></clef>",
    }
}

/// A voice's name with a capital: "Soprano".
fn title_case(voice: Voice) -> String {
    let name = voice.name();
    name[..1].to_uppercase() + &name[1..]
}

/// The first frame of every run of fermata frames.
fn fermata_starts(frames: &[Frame]) -> Vec<usize> {
    (0..frames.len()).filter(|&t| frames[t].meta.fermata && (t == 0 || !frames[t - 1].meta.fermata)).collect()
}

/// A tempo in quarters per minute, as MusicXML writes it (at most two decimals).
fn tempo_text(bpm: f64) -> String {
    let text = format!("{bpm:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// What the part being written needs to know about the piece.
struct PartContext<'a> {
    frames: &'a [Frame],
    spelling: &'a [[Fifths; 4]],
    time: TimeSignature,
    performance: &'a Performance,
}

/// Writes one part's measures. The soprano part also carries the tempo.
fn write_part(xml: &mut String, cx: &PartContext, voice: Voice) {
    let frames = cx.frames;
    let starts = measure_starts(frames);
    let fermatas = fermata_starts(frames);
    let spans = spans(frames, cx.spelling, voice);
    let pickup = frames.first().is_some_and(|f| f.meta.position_in_bar != 0);
    let bar = cx.time.frames_per_bar().unwrap_or(16) as usize;
    let tempo = cx.performance.tempo_bpm.max(1) as f64;
    let fermata_tempo = tempo * 100.0 / cx.performance.fermata_percent.max(1) as f64;
    let with_tempo = voice == Voice::Soprano;
    let mut slowed = false;
    let mut key = None;
    for (m, &m_start) in starts.iter().enumerate() {
        let m_end = starts.get(m + 1).copied().unwrap_or(frames.len());
        let number = if pickup { m } else { m + 1 };
        let implicit = if pickup && m == 0 { " implicit=\"yes\"" } else { "" };
        let _ = write!(xml, "<measure number=\"{number}\"{implicit}>");
        let k = frames[m_start].meta.key;
        if m == 0 || key != Some(k) {
            xml.push_str("<attributes>");
            if m == 0 {
                xml.push_str("<divisions>4</divisions>");
            }
            let _ = write!(xml, "<key><fifths>{}</fifths><mode>{}</mode></key>", k.fifths, frames[m_start].meta.mode.name());
            if m == 0 {
                let _ = write!(xml, "<time><beats>{}</beats><beat-type>{}</beat-type></time>", cx.time.numerator, cx.time.denominator);
                xml.push_str(clef(voice));
            }
            xml.push_str("</attributes>");
            key = Some(k);
        }
        if m == 0 && with_tempo {
            let t = tempo_text(tempo);
            let _ = write!(
                xml,
                "<direction placement=\"above\"><direction-type><metronome parentheses=\"no\"><beat-unit>quarter</beat-unit>\
                 <per-minute>{t}</per-minute></metronome></direction-type><sound tempo=\"{t}\"/></direction>"
            );
        }
        for span in spans.iter().filter(|s| s.start < m_end && s.start + s.len > m_start) {
            let from = span.start.max(m_start);
            let to = (span.start + span.len).min(m_end);
            let mut at = from;
            let pieces = match span.pitch {
                Some(_) => writable_pieces(to - from),
                None if from == m_start && to == m_end && to - from == bar => vec![bar],
                None => rest_pieces(frames[from].meta.position_in_bar as usize, to - from),
            };
            for d in pieces {
                let fermata = fermatas.iter().any(|&f| f >= at && f < at + d);
                if with_tempo {
                    // Slow down from the note a fermata starts in; back to tempo after it.
                    if fermata && !slowed {
                        let _ = write!(xml, "<sound tempo=\"{}\"/>", tempo_text(fermata_tempo));
                        slowed = true;
                    } else if slowed && !frames[at].meta.fermata {
                        let _ = write!(xml, "<sound tempo=\"{}\"/>", tempo_text(tempo));
                        slowed = false;
                    }
                }
                let note = Note {
                    pitch: span.pitch.map(|p| (p, span.lof)),
                    duration: d,
                    whole_bar: span.pitch.is_none() && d == bar && to - from == bar,
                    tie_start: span.pitch.is_some() && at + d < span.start + span.len,
                    tie_stop: span.pitch.is_some() && at > span.start,
                    fermata,
                };
                write_note(xml, &note);
                at += d;
            }
        }
        if m + 1 == starts.len() {
            xml.push_str("<barline location=\"right\"><bar-style>light-heavy</bar-style></barline>");
        }
        xml.push_str("</measure>");
    }
}

/// One written note or rest.
struct Note {
    /// Pitch and spelling; `None` for a rest.
    pitch: Option<(u8, Fifths)>,
    /// In 16ths.
    duration: usize,
    /// A rest filling the whole bar (written as a measure rest).
    whole_bar: bool,
    tie_start: bool,
    tie_stop: bool,
    fermata: bool,
}

/// Writes one `<note>` (or rest).
fn write_note(xml: &mut String, n: &Note) {
    let d = n.duration;
    let written = WRITABLE.iter().find(|(len, _, _)| *len == d).copied();
    xml.push_str("<note>");
    match n.pitch {
        Some((p, lof)) => {
            let (step, alter, octave) = step_alter_octave(p, lof);
            let _ = write!(xml, "<pitch><step>{step}</step>");
            if alter != 0 {
                let _ = write!(xml, "<alter>{alter}</alter>");
            }
            let _ = write!(xml, "<octave>{octave}</octave></pitch>");
        }
        None if n.whole_bar => xml.push_str("<rest measure=\"yes\"/>"),
        None => xml.push_str("<rest/>"),
    }
    let _ = write!(xml, "<duration>{d}</duration>");
    if n.tie_stop {
        xml.push_str("<tie type=\"stop\"/>");
    }
    if n.tie_start {
        xml.push_str("<tie type=\"start\"/>");
    }
    xml.push_str("<voice>1</voice>");
    // A measure rest of a bar no single note fills (e.g. 5/4) has no type.
    if let Some((_, kind, dot)) = written.filter(|_| !n.whole_bar || d == 16) {
        let _ = write!(xml, "<type>{kind}</type>");
        if dot {
            xml.push_str("<dot/>");
        }
    }
    if n.tie_start || n.tie_stop || n.fermata {
        xml.push_str("<notations>");
        if n.tie_stop {
            xml.push_str("<tied type=\"stop\"/>");
        }
        if n.tie_start {
            xml.push_str("<tied type=\"start\"/>");
        }
        if n.fermata {
            xml.push_str("<fermata type=\"upright\"/>");
        }
        xml.push_str("</notations>");
    }
    xml.push_str("</note>");
}

/// The chorale as MusicXML text, played as `performance` says (tempo, MIDI channels and
/// programs, how much fermatas slow down).
pub fn musicxml_string(frames: &[Frame], time: TimeSignature, title: &str, performance: &Performance) -> String {
    let mut xml = String::with_capacity(frames.len() * 400 + 1024);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
         <!DOCTYPE score-partwise PUBLIC \"-//Recordare//DTD MusicXML 4.0 Partwise//EN\" \
         \"http://www.musicxml.org/dtds/partwise.dtd\">\n<score-partwise version=\"4.0\">",
    );
    let _ = write!(xml, "<work><work-title>{}</work-title></work>", escape(title));
    xml.push_str("<identification><encoding><software>Kantor</software></encoding></identification><part-list>");
    for v in Voice::ALL {
        let (id, i) = (v.index() + 1, v.index());
        let _ = write!(
            xml,
            "<score-part id=\"P{id}\"><part-name>{name}</part-name>\
             <score-instrument id=\"P{id}-I1\"><instrument-name>{name}</instrument-name></score-instrument>\
             <midi-instrument id=\"P{id}-I1\"><midi-channel>{channel}</midi-channel><midi-program>{program}</midi-program>\
             <volume>{volume:.0}</volume></midi-instrument></score-part>",
            name = title_case(v),
            channel = performance.channels[i] % 16 + 1,
            program = performance.programs[i] % 128 + 1,
            volume = performance.velocities[i].min(127) as f64 * 100.0 / 127.0,
        );
    }
    xml.push_str("</part-list>\n");
    let cx = PartContext { frames, spelling: &spell(frames), time, performance };
    for v in Voice::ALL {
        let _ = write!(xml, "<part id=\"P{}\">", v.index() + 1);
        write_part(&mut xml, &cx, v);
        xml.push_str("</part>\n");
    }
    xml.push_str("</score-partwise>\n");
    xml
}

/// Writes the chorale to `path` as MusicXML.
pub fn write_musicxml(path: &Path, frames: &[Frame], time: TimeSignature, title: &str, performance: &Performance) -> Result<()> {
    std::fs::write(path, musicxml_string(frames, time, title, performance))
        .with_context(|| format!("cannot write MusicXML to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kantor_core::{FrameMeta, KeySignature};

    fn frames(tokens: &[[Token; 4]], time: TimeSignature, pickup_offset: usize) -> Vec<Frame> {
        let key = KeySignature { fifths: -2 };
        tokens
            .iter()
            .enumerate()
            .map(|(i, t)| Frame { tokens: *t, meta: FrameMeta::on_grid(time, key, kantor_core::Mode::Major, pickup_offset, i) })
            .collect()
    }

    #[test]
    fn durations_split_into_writable_notes() {
        assert_eq!(writable_pieces(5), vec![4, 1]);
        assert_eq!(writable_pieces(14), vec![12, 2]);
        assert_eq!(writable_pieces(16), vec![16]);
        assert_eq!(writable_pieces(7), vec![6, 1]);
    }

    #[test]
    fn rests_keep_to_the_beat() {
        assert_eq!(rest_pieces(0, 16), vec![16]);
        assert_eq!(rest_pieces(1, 7), vec![1, 2, 4]);
        assert_eq!(rest_pieces(2, 6), vec![2, 4]);
        assert_eq!(rest_pieces(4, 12), vec![12]);
        assert_eq!(rest_pieces(3, 3), vec![1, 2]);
    }

    /// The notes of part `id` as (step, alter, duration, is rest), in order.
    fn notes_of(doc: &roxmltree::Document, id: &str) -> Vec<(String, i32, usize, bool)> {
        let part = doc.descendants().find(|n| n.has_tag_name("part") && n.attribute("id") == Some(id)).unwrap();
        let text = |n: roxmltree::Node, tag: &str| n.descendants().find(|c| c.has_tag_name(tag)).and_then(|c| c.text()).map(str::to_owned);
        part.descendants()
            .filter(|n| n.has_tag_name("note"))
            .map(|n| {
                (
                    text(n, "step").unwrap_or_default(),
                    text(n, "alter").map_or(0, |a| a.parse().unwrap()),
                    text(n, "duration").unwrap().parse().unwrap(),
                    n.children().any(|c| c.has_tag_name("rest")),
                )
            })
            .collect()
    }

    /// Frames in `fifths` from one token row per 16th.
    fn piece(fifths: i8, rows: &[[Token; 4]]) -> Vec<Frame> {
        let key = KeySignature { fifths };
        rows.iter().enumerate().map(|(i, t)| Frame { tokens: *t, meta: FrameMeta::on_grid(TimeSignature::COMMON, key, kantor_core::Mode::Major, 0, i) }).collect()
    }

    /// `token` then `len - 1` holds, for each voice.
    fn rows(chords: &[([Token; 4], usize)]) -> Vec<[Token; 4]> {
        chords.iter().flat_map(|&(c, len)| std::iter::once(c).chain(std::iter::repeat_n([Token::Hold; 4], len - 1))).collect()
    }

    #[test]
    fn what_musescore_needs_besides_the_notes() {
        use Token::{Pitch as P, Rest as R};
        // C major: C7 (B♭ in the soprano) to F; the tenor rests for eight 16ths written as
        // eight Rest tokens; a fermata on the last chord.
        let mut fr = piece(0, &rows(&[([P(70), P(64), P(55), P(48)], 8), ([P(69), P(65), P(60), P(41)], 8)]));
        for f in &mut fr[8..] {
            f.tokens[2] = R;
        }
        for f in &mut fr[12..] {
            f.meta.fermata = true;
        }
        let perf = Performance { tempo_bpm: 72, ..Performance::default() };
        let xml = musicxml_string(&fr, TimeSignature::COMMON, "t", &perf);
        let doc = roxmltree::Document::parse_with_options(&xml, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() }).unwrap();
        // An instrument for every part, with the MIDI file's channel and program.
        for v in Voice::ALL {
            let id = format!("P{}", v.index() + 1);
            let sp = doc.descendants().find(|n| n.has_tag_name("score-part") && n.attribute("id") == Some(&id)).unwrap();
            let inst = sp.children().find(|n| n.has_tag_name("score-instrument")).expect("score-instrument");
            let midi = sp.children().find(|n| n.has_tag_name("midi-instrument")).expect("midi-instrument");
            assert_eq!(inst.attribute("id"), midi.attribute("id"));
            let child = |tag: &str| midi.children().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).unwrap().to_owned();
            assert_eq!(child("midi-program"), (perf.programs[v.index()] + 1).to_string());
            assert_eq!(child("midi-channel"), (perf.channels[v.index()] + 1).to_string());
            // A final barline ends every part.
            let part = doc.descendants().find(|n| n.has_tag_name("part") && n.attribute("id") == Some(&id)).unwrap();
            let last = part.children().rfind(|n| n.has_tag_name("measure")).unwrap();
            let barline = last.children().find(|n| n.has_tag_name("barline")).expect("final barline");
            assert_eq!(barline.attribute("location"), Some("right"));
            assert_eq!(barline.descendants().find(|n| n.has_tag_name("bar-style")).and_then(|n| n.text()), Some("light-heavy"));
        }
        // The tempo: a metronome mark and a sound, once, in the first measure of the top part.
        let per_minute: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("per-minute")).filter_map(|n| n.text()).collect();
        assert_eq!(per_minute, ["72"]);
        let tempi: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("sound")).filter_map(|n| n.attribute("tempo")).collect();
        assert_eq!(tempi, ["72", "36"], "the tempo, then half of it under the fermata");
        // B♭, not A♯, over C7 in C major.
        assert_eq!(notes_of(&doc, "P1")[0], ("B".to_string(), -1, 8, false));
        // Eight Rest tokens are one half rest.
        let tenor = notes_of(&doc, "P3");
        assert_eq!(tenor[1], (String::new(), 0, 8, true));
        assert_eq!(tenor.len(), 2);
        // The reader still reads the same music.
        let parsed = crate::corpus::parse_musicxml(&xml).unwrap();
        assert!(parsed.parts[2].tokens[8..].iter().all(|t| *t != Token::Pitch(55) && t.pitch().is_none()));
    }

    #[test]
    fn leading_tone_of_a_minor_key_is_raised() {
        use Token::Pitch as P;
        // F♯ minor (three sharps): C♯ major with E♯ in the soprano, then F♯ minor.
        let fr = piece(3, &rows(&[([P(77), P(68), P(61), P(49)], 8), ([P(78), P(69), P(61), P(54)], 8)]));
        let xml = musicxml_string(&fr, TimeSignature::COMMON, "t", &Performance::default());
        let doc = roxmltree::Document::parse_with_options(&xml, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() }).unwrap();
        let soprano = notes_of(&doc, "P1");
        assert_eq!((soprano[0].0.as_str(), soprano[0].1), ("E", 1));
        assert_eq!((soprano[1].0.as_str(), soprano[1].1), ("F", 1));
        // A whole silent bar is one measure rest.
        let silent = piece(0, &rows(&[([P(72), Token::Rest, P(60), P(48)], 16)]));
        let xml = musicxml_string(&silent, TimeSignature::COMMON, "t", &Performance::default());
        assert_eq!(xml.matches("<rest measure=\"yes\"/>").count(), 1);
    }

    #[test]
    fn round_trip_through_the_corpus_reader() {
        use Token::{Hold as H, Pitch as P, Rest as R};
        // A 3/4 piece with a one-quarter pickup: notes tied over bar lines, a rest, a
        // dotted rhythm, a fermata on the last beat.
        let time = TimeSignature::THREE_FOUR;
        let mut toks = Vec::new();
        let soprano = [P(70), H, H, H, P(72), H, H, H, H, H, H, H, H, H, P(74), H, R, H, H, H, P(70), H, H, H, H, H, H, H];
        for (i, s) in soprano.iter().enumerate() {
            let lower = if i % 4 == 0 { [P(62), P(58), P(46)] } else { [H, H, H] };
            toks.push([*s, lower[0], lower[1], lower[2]]);
        }
        let mut fr = frames(&toks, time, 8);
        let n = fr.len();
        for f in &mut fr[n - 4..] {
            f.meta.fermata = true;
        }
        let xml = musicxml_string(&fr, time, "Test & <check>", &Performance::default());
        let parsed = crate::corpus::parse_musicxml(&xml).unwrap();
        assert_eq!(parsed.parts.len(), 4);
        assert_eq!(parsed.time, Some(time));
        assert_eq!(parsed.len(), fr.len());
        for v in Voice::ALL {
            let want: Vec<Token> = fr.iter().map(|f| f.tokens[v.index()]).collect();
            assert_eq!(parsed.parts[v.index()].tokens, want, "{}", v.name());
        }
        for (a, b) in parsed.meta.iter().zip(&fr) {
            assert_eq!(a.position_in_bar, b.meta.position_in_bar);
            assert_eq!(a.key, b.meta.key);
        }
        assert!(parsed.meta[n - 1].fermata && !parsed.meta[0].fermata);
        assert!(xml.contains("implicit=\"yes\"") && xml.contains("<tie type=\"start\"/>"));
    }
}
