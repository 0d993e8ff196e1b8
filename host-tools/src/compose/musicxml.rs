//! Writing a chorale as a MusicXML `score-partwise` file: four parts (soprano, alto,
//! tenor, bass), one 16th = one division, notes split at bar lines and tied, rests,
//! fermatas, time and key signatures. MuseScore and the corpus reader open it.

use anyhow::{Context, Result};
use kantor_core::{Frame, KeySignature, TimeSignature, Token, Voice};
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

/// One voice's note or rest: `pitch` (None = rest) from frame `start` for `len` frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    len: usize,
    pitch: Option<u8>,
}

/// A voice's tokens as notes and rests. A hold at the very start counts as a rest.
fn spans(frames: &[Frame], voice: Voice) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for (t, f) in frames.iter().enumerate() {
        match (f.tokens[voice.index()], out.last_mut()) {
            (Token::Hold, Some(last)) => last.len += 1,
            (Token::Hold, None) | (Token::Rest, _) => out.push(Span { start: t, len: 1, pitch: None }),
            (Token::Pitch(p), _) => out.push(Span { start: t, len: 1, pitch: Some(p) }),
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

/// Step, alter and octave of a MIDI pitch, spelt with sharps in sharp keys (and C) and
/// flats in flat keys.
fn spell(pitch: u8, key: KeySignature) -> (char, i8, i32) {
    const SHARPS: [(char, i8); 12] =
        [('C', 0), ('C', 1), ('D', 0), ('D', 1), ('E', 0), ('F', 0), ('F', 1), ('G', 0), ('G', 1), ('A', 0), ('A', 1), ('B', 0)];
    const FLATS: [(char, i8); 12] =
        [('C', 0), ('D', -1), ('D', 0), ('E', -1), ('E', 0), ('F', 0), ('G', -1), ('G', 0), ('A', -1), ('A', 0), ('B', -1), ('B', 0)];
    let table = if key.fifths < 0 { &FLATS } else { &SHARPS };
    let (step, alter) = table[(pitch % 12) as usize];
    (step, alter, pitch as i32 / 12 - 1)
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

/// The first frame of every run of fermata frames.
fn fermata_starts(frames: &[Frame]) -> Vec<usize> {
    (0..frames.len()).filter(|&t| frames[t].meta.fermata && (t == 0 || !frames[t - 1].meta.fermata)).collect()
}

/// Writes one part's measures.
fn write_part(xml: &mut String, frames: &[Frame], voice: Voice, time: TimeSignature) {
    let starts = measure_starts(frames);
    let fermatas = fermata_starts(frames);
    let spans = spans(frames, voice);
    let pickup = frames.first().is_some_and(|f| f.meta.position_in_bar != 0);
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
            let _ = write!(xml, "<key><fifths>{}</fifths></key>", k.fifths);
            if m == 0 {
                let _ = write!(xml, "<time><beats>{}</beats><beat-type>{}</beat-type></time>", time.numerator, time.denominator);
                xml.push_str(clef(voice));
            }
            xml.push_str("</attributes>");
            key = Some(k);
        }
        for span in spans.iter().filter(|s| s.start < m_end && s.start + s.len > m_start) {
            let from = span.start.max(m_start);
            let to = (span.start + span.len).min(m_end);
            let mut at = from;
            for d in writable_pieces(to - from) {
                let tie_start = span.pitch.is_some() && at + d < span.start + span.len;
                let tie_stop = span.pitch.is_some() && at > span.start;
                let fermata = fermatas.iter().any(|&f| f >= at && f < at + d);
                write_note(xml, span.pitch, d, k, tie_start, tie_stop, fermata);
                at += d;
            }
        }
        xml.push_str("</measure>");
    }
}

/// Writes one `<note>` (or rest) of `d` 16ths.
fn write_note(xml: &mut String, pitch: Option<u8>, d: usize, key: KeySignature, tie_start: bool, tie_stop: bool, fermata: bool) {
    let (_, kind, dot) = WRITABLE.iter().find(|(len, _, _)| *len == d).copied().unwrap_or(WRITABLE[8]);
    xml.push_str("<note>");
    match pitch {
        Some(p) => {
            let (step, alter, octave) = spell(p, key);
            let _ = write!(xml, "<pitch><step>{step}</step>");
            if alter != 0 {
                let _ = write!(xml, "<alter>{alter}</alter>");
            }
            let _ = write!(xml, "<octave>{octave}</octave></pitch>");
        }
        None => xml.push_str("<rest/>"),
    }
    let _ = write!(xml, "<duration>{d}</duration>");
    if tie_stop {
        xml.push_str("<tie type=\"stop\"/>");
    }
    if tie_start {
        xml.push_str("<tie type=\"start\"/>");
    }
    xml.push_str("<voice>1</voice>");
    let _ = write!(xml, "<type>{kind}</type>");
    if dot {
        xml.push_str("<dot/>");
    }
    if tie_start || tie_stop || fermata {
        xml.push_str("<notations>");
        if tie_stop {
            xml.push_str("<tied type=\"stop\"/>");
        }
        if tie_start {
            xml.push_str("<tied type=\"start\"/>");
        }
        if fermata {
            xml.push_str("<fermata type=\"upright\"/>");
        }
        xml.push_str("</notations>");
    }
    xml.push_str("</note>");
}

/// The chorale as MusicXML text.
pub fn musicxml_string(frames: &[Frame], time: TimeSignature, title: &str) -> String {
    let mut xml = String::with_capacity(frames.len() * 400 + 1024);
    xml.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
         <!DOCTYPE score-partwise PUBLIC \"-//Recordare//DTD MusicXML 4.0 Partwise//EN\" \
         \"http://www.musicxml.org/dtds/partwise.dtd\">\n<score-partwise version=\"4.0\">",
    );
    let _ = write!(xml, "<work><work-title>{}</work-title></work>", escape(title));
    xml.push_str("<identification><encoding><software>Kantor</software></encoding></identification><part-list>");
    for v in Voice::ALL {
        let name = v.name();
        let cap = name[..1].to_uppercase() + &name[1..];
        let _ = write!(xml, "<score-part id=\"P{}\"><part-name>{cap}</part-name></score-part>", v.index() + 1);
    }
    xml.push_str("</part-list>\n");
    for v in Voice::ALL {
        let _ = write!(xml, "<part id=\"P{}\">", v.index() + 1);
        write_part(&mut xml, frames, v, time);
        xml.push_str("</part>\n");
    }
    xml.push_str("</score-partwise>\n");
    xml
}

/// Writes the chorale to `path` as MusicXML.
pub fn write_musicxml(path: &Path, frames: &[Frame], time: TimeSignature, title: &str) -> Result<()> {
    std::fs::write(path, musicxml_string(frames, time, title))
        .with_context(|| format!("cannot write MusicXML to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kantor_core::FrameMeta;

    fn frames(tokens: &[[Token; 4]], time: TimeSignature, pickup_offset: usize) -> Vec<Frame> {
        let key = KeySignature { fifths: -2 };
        tokens
            .iter()
            .enumerate()
            .map(|(i, t)| Frame { tokens: *t, meta: FrameMeta::on_grid(time, key, pickup_offset, i) })
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
    fn spelling_follows_the_key() {
        assert_eq!(spell(70, KeySignature { fifths: -2 }), ('B', -1, 4));
        assert_eq!(spell(70, KeySignature { fifths: 2 }), ('A', 1, 4));
        assert_eq!(spell(60, KeySignature { fifths: 0 }), ('C', 0, 4));
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
        let xml = musicxml_string(&fr, time, "Test & <check>");
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
