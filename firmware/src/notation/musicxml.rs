//! Writing a chorale as a MusicXML `score-partwise` text: four parts (soprano, alto,
//! tenor, bass), one 16th = one division, notes split at bar lines and tied, rests,
//! fermatas, time and key signatures. MuseScore, OpenSheetMusicDisplay and the host's
//! corpus reader open it. No heap: the text goes to any [`core::fmt::Write`] (a `String`
//! on the host, a static buffer in the WebAssembly module), so both write the same score.
//!
//! What a notation program needs besides the notes: every part names its instrument
//! (`<score-instrument>` and `<midi-instrument>`, with the MIDI file's channel and
//! program); the first measure carries the tempo (a metronome mark and `<sound tempo>`),
//! and the tempo slows under fermatas as in the MIDI file (from the note the fermata
//! starts in) through a `<sound tempo>` in a direction marked `print-object="no"` (its
//! words too), so that it plays without printing a tempo mark at every fermata (MuseScore
//! prints a `<sound tempo>` that stands alone as a tempo mark); every part ends with a
//! final barline. Pitches are spelt from the key and the harmony ([`super::spelling`]). Rests
//! are merged and written in beat-sized pieces, a whole silent bar as a measure rest.

#![forbid(unsafe_code)]

use core::fmt::{self, Write};

use super::spelling::{step_alter_octave, Fifths, Speller};
use crate::frame::Frame;
use crate::meter::TimeSignature;
use crate::midi::Performance;
use crate::token::Token;
use crate::voice::Voice;

/// The opening of a direction that changes the tempo without printing a mark.
const HIDDEN_TEMPO_OPEN: &str = "<direction print-object=\"no\"><direction-type><words print-object=\"no\"> </words></direction-type>";

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

impl Span {
    fn end(&self) -> usize {
        self.start + self.len
    }
}

/// The span of `voice` that starts at frame `start`: a note runs on over holds; a rest
/// (or a hold at the very start) over holds and rests, so rests in a row are one rest.
fn span_at(frames: &[Frame], voice: Voice, start: usize, lof: Fifths) -> Span {
    let v = voice.index();
    let pitch = frames[start].tokens[v].pitch();
    let continues = |t: &Token| match pitch {
        Some(_) => *t == Token::Hold,
        None => matches!(t, Token::Hold | Token::Rest),
    };
    let len = 1 + frames[start + 1..].iter().take_while(|f| continues(&f.tokens[v])).count();
    Span { start, len, pitch, lof: if pitch.is_some() { lof } else { 0 } }
}

/// The first frame of the measure after the one starting at `start` (or the end).
fn measure_end(frames: &[Frame], start: usize) -> usize {
    (start + 1..frames.len()).find(|&t| frames[t].meta.position_in_bar == 0).unwrap_or(frames.len())
}

/// The longest writable duration up to `len`.
fn writable_piece(len: usize) -> usize {
    WRITABLE.iter().map(|w| w.0).find(|&d| d <= len).unwrap_or(1)
}

/// The next rest of a rest of `len` 16ths that starts `position` 16ths into the bar,
/// keeping to the beat: a rest of a quarter or more starts on a beat, an eighth on an
/// eighth, so a rest never hides where the beat falls.
fn rest_piece(position: usize, len: usize) -> usize {
    let fits = |d: usize| d <= len && position.is_multiple_of(d.next_power_of_two().min(4)) && (d < 4 || position.is_multiple_of(4));
    WRITABLE.iter().map(|w| w.0).find(|&d| fits(d)).unwrap_or(1)
}

/// Text with XML's special characters escaped.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

fn clef(voice: Voice) -> &'static str {
    match voice {
        Voice::Soprano | Voice::Alto => "<clef><sign>G</sign><line>2</line></clef>",
        Voice::Tenor => "<clef><sign>G</sign><line>2</line><clef-octave-change>-1</clef-octave-change></clef>",
        Voice::Bass => "<clef><sign>F</sign><line>4</line></clef>",
    }
}

/// A voice's name with a capital: "Soprano".
fn title_case(voice: Voice) -> &'static str {
    match voice {
        Voice::Soprano => "Soprano",
        Voice::Alto => "Alto",
        Voice::Tenor => "Tenor",
        Voice::Bass => "Bass",
    }
}

/// Whether a run of fermata frames starts at `t`.
fn fermata_starts_at(frames: &[Frame], t: usize) -> bool {
    frames[t].meta.fermata && (t == 0 || !frames[t - 1].meta.fermata)
}

/// A tempo in quarters per minute, as MusicXML writes it (at most two decimals).
struct Tempo(f64);

impl fmt::Display for Tempo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text: heapless::String<48> = heapless::String::new();
        write!(text, "{:.2}", self.0)?;
        f.write_str(text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// What the part being written needs to know about the piece.
struct PartContext<'a> {
    frames: &'a [Frame],
    time: TimeSignature,
    performance: &'a Performance,
}

/// One voice's spellings, frame after frame.
struct Spelling<'a> {
    frames: &'a [Frame],
    speller: Speller,
    next: usize,
    last: [Fifths; 4],
}

impl Spelling<'_> {
    /// The spelling of frame `t` (frames asked for in order).
    fn at(&mut self, t: usize) -> [Fifths; 4] {
        while self.next <= t {
            self.last = self.speller.step(self.frames, self.next);
            self.next += 1;
        }
        self.last
    }
}

/// Writes one part's measures. The soprano part also carries the tempo.
fn write_part<W: Write>(xml: &mut W, cx: &PartContext, voice: Voice) -> fmt::Result {
    let frames = cx.frames;
    if frames.is_empty() {
        return Ok(());
    }
    let mut spelling = Spelling { frames, speller: Speller::new(), next: 0, last: [0; 4] };
    let pickup = frames[0].meta.position_in_bar != 0;
    let bar = cx.time.frames_per_bar().unwrap_or(16) as usize;
    let tempo = cx.performance.tempo_bpm.max(1) as f64;
    let fermata_tempo = tempo * 100.0 / cx.performance.fermata_percent.max(1) as f64;
    let with_tempo = voice == Voice::Soprano;
    let mut slowed = false;
    let mut key = None;
    let mut span = span_at(frames, voice, 0, spelling.at(0)[voice.index()]);
    let (mut m, mut m_start) = (0, 0);
    while m_start < frames.len() {
        let m_end = measure_end(frames, m_start);
        let number = if pickup { m } else { m + 1 };
        let implicit = if pickup && m == 0 { " implicit=\"yes\"" } else { "" };
        write!(xml, "<measure number=\"{number}\"{implicit}>")?;
        let k = frames[m_start].meta.key;
        if m == 0 || key != Some(k) {
            xml.write_str("<attributes>")?;
            if m == 0 {
                xml.write_str("<divisions>4</divisions>")?;
            }
            write!(xml, "<key><fifths>{}</fifths><mode>{}</mode></key>", k.fifths, frames[m_start].meta.mode.name())?;
            if m == 0 {
                write!(xml, "<time><beats>{}</beats><beat-type>{}</beat-type></time>", cx.time.numerator, cx.time.denominator)?;
                xml.write_str(clef(voice))?;
            }
            xml.write_str("</attributes>")?;
            key = Some(k);
        }
        if m == 0 && with_tempo {
            let t = Tempo(tempo);
            write!(
                xml,
                "<direction placement=\"above\"><direction-type><metronome parentheses=\"no\"><beat-unit>quarter</beat-unit>\
                 <per-minute>{t}</per-minute></metronome></direction-type><sound tempo=\"{t}\"/></direction>"
            )?;
        }
        // The spans that lie in this measure, each cut to it.
        while span.start < m_end {
            let from = span.start.max(m_start);
            let to = span.end().min(m_end);
            let whole_bar_rest = span.pitch.is_none() && from == m_start && to == m_end && to - from == bar;
            let mut at = from;
            while at < to {
                let d = match span.pitch {
                    Some(_) => writable_piece(to - at),
                    None if whole_bar_rest => bar,
                    None => rest_piece(frames[at].meta.position_in_bar as usize, to - at),
                };
                let fermata = (at..at + d).any(|f| fermata_starts_at(frames, f));
                if with_tempo {
                    // Slow down from the note a fermata starts in; back to tempo after it.
                    if fermata && !slowed {
                        write!(xml, "{HIDDEN_TEMPO_OPEN}<sound tempo=\"{}\"/></direction>", Tempo(fermata_tempo))?;
                        slowed = true;
                    } else if slowed && !frames[at].meta.fermata {
                        write!(xml, "{HIDDEN_TEMPO_OPEN}<sound tempo=\"{}\"/></direction>", Tempo(tempo))?;
                        slowed = false;
                    }
                }
                let note = Note {
                    pitch: span.pitch.map(|p| (p, span.lof)),
                    duration: d,
                    whole_bar: whole_bar_rest,
                    tie_start: span.pitch.is_some() && at + d < span.end(),
                    tie_stop: span.pitch.is_some() && at > span.start,
                    fermata,
                };
                write_note(xml, &note)?;
                at += d;
            }
            if span.end() > m_end || span.end() >= frames.len() {
                break;
            }
            let next = span.end();
            span = span_at(frames, voice, next, spelling.at(next)[voice.index()]);
        }
        if m_end == frames.len() {
            xml.write_str("<barline location=\"right\"><bar-style>light-heavy</bar-style></barline>")?;
        }
        xml.write_str("</measure>")?;
        m += 1;
        m_start = m_end;
    }
    Ok(())
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
fn write_note<W: Write>(xml: &mut W, n: &Note) -> fmt::Result {
    let d = n.duration;
    let written = WRITABLE.iter().find(|(len, _, _)| *len == d).copied();
    xml.write_str("<note>")?;
    match n.pitch {
        Some((p, lof)) => {
            let (step, alter, octave) = step_alter_octave(p, lof);
            write!(xml, "<pitch><step>{step}</step>")?;
            if alter != 0 {
                write!(xml, "<alter>{alter}</alter>")?;
            }
            write!(xml, "<octave>{octave}</octave></pitch>")?;
        }
        None if n.whole_bar => xml.write_str("<rest measure=\"yes\"/>")?,
        None => xml.write_str("<rest/>")?,
    }
    write!(xml, "<duration>{d}</duration>")?;
    if n.tie_stop {
        xml.write_str("<tie type=\"stop\"/>")?;
    }
    if n.tie_start {
        xml.write_str("<tie type=\"start\"/>")?;
    }
    xml.write_str("<voice>1</voice>")?;
    // A measure rest of a bar no single note fills (e.g. 5/4) has no type.
    if let Some((_, kind, dot)) = written.filter(|_| !n.whole_bar || d == 16) {
        write!(xml, "<type>{kind}</type>")?;
        if dot {
            xml.write_str("<dot/>")?;
        }
    }
    if n.tie_start || n.tie_stop || n.fermata {
        xml.write_str("<notations>")?;
        if n.tie_stop {
            xml.write_str("<tied type=\"stop\"/>")?;
        }
        if n.tie_start {
            xml.write_str("<tied type=\"start\"/>")?;
        }
        if n.fermata {
            xml.write_str("<fermata type=\"upright\"/>")?;
        }
        xml.write_str("</notations>")?;
    }
    xml.write_str("</note>")
}

/// Writes the chorale as MusicXML text to `xml`, played as `performance` says (tempo,
/// MIDI channels and programs, how much fermatas slow down).
pub fn write_musicxml<W: Write>(xml: &mut W, frames: &[Frame], time: TimeSignature, title: &str, performance: &Performance) -> fmt::Result {
    xml.write_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
         <!DOCTYPE score-partwise PUBLIC \"-//Recordare//DTD MusicXML 4.0 Partwise//EN\" \
         \"http://www.musicxml.org/dtds/partwise.dtd\">\n<score-partwise version=\"4.0\">",
    )?;
    write!(xml, "<work><work-title>{}</work-title></work>", Escaped(title))?;
    xml.write_str("<identification><encoding><software>Kantor</software></encoding></identification><part-list>")?;
    for v in Voice::ALL {
        let (id, i) = (v.index() + 1, v.index());
        write!(
            xml,
            "<score-part id=\"P{id}\"><part-name>{name}</part-name>\
             <score-instrument id=\"P{id}-I1\"><instrument-name>{name}</instrument-name></score-instrument>\
             <midi-instrument id=\"P{id}-I1\"><midi-channel>{channel}</midi-channel><midi-program>{program}</midi-program>\
             <volume>{volume:.0}</volume></midi-instrument></score-part>",
            name = title_case(v),
            channel = performance.channels[i] % 16 + 1,
            program = performance.programs[i] % 128 + 1,
            volume = performance.velocities[i].min(127) as f64 * 100.0 / 127.0,
        )?;
    }
    xml.write_str("</part-list>\n")?;
    let cx = PartContext { frames, time, performance };
    for v in Voice::ALL {
        write!(xml, "<part id=\"P{}\">", v.index() + 1)?;
        write_part(xml, &cx, v)?;
        xml.write_str("</part>\n")?;
    }
    xml.write_str("</score-partwise>\n")
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::frame::FrameMeta;
    use crate::meter::KeySignature;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn durations_and_rests() {
        let pieces = |mut len: usize| {
            let mut out = Vec::new();
            while len > 0 {
                let d = writable_piece(len);
                out.push(d);
                len -= d;
            }
            out
        };
        assert_eq!(pieces(5), [4, 1]);
        assert_eq!(pieces(14), [12, 2]);
        assert_eq!(pieces(16), [16]);
        let rests = |mut position: usize, mut len: usize| {
            let mut out = Vec::new();
            while len > 0 {
                let d = rest_piece(position, len);
                out.push(d);
                position += d;
                len -= d;
            }
            out
        };
        assert_eq!(rests(0, 16), [16]);
        assert_eq!(rests(1, 7), [1, 2, 4]);
        assert_eq!(rests(2, 6), [2, 4]);
        assert_eq!(rests(4, 12), [12]);
        assert_eq!(rests(3, 3), [1, 2]);
        for (bpm, text) in [(80.0, "80"), (40.0, "40"), (26.666666, "26.67"), (37.5, "37.5"), (0.5, "0.5"), (0.125, "0.12")] {
            assert_eq!(std::format!("{}", Tempo(bpm)), text);
        }
    }

    #[test]
    fn fermatas_slow_down_without_printing_a_tempo_mark() {
        use Token::{Hold as H, Pitch as P};
        let key = KeySignature { fifths: 0 };
        let mut frames: Vec<Frame> = (0..32).map(|i| Frame { tokens: [H; 4], meta: FrameMeta::on_grid(TimeSignature::COMMON, key, crate::key::Mode::Major, 0, i) }).collect();
        for i in (0..32).step_by(4) {
            frames[i].tokens = [P(72), P(67), P(64), P(48)];
        }
        for i in (12..16).chain(28..32) {
            frames[i].meta.fermata = true;
        }
        let mut xml = String::new();
        write_musicxml(&mut xml, &frames, TimeSignature::COMMON, "a & b", &Performance::default()).unwrap();
        // One metronome mark, at the start; the fermatas' tempo changes are directions
        // that print nothing.
        assert_eq!(xml.matches("<metronome").count(), 1);
        assert_eq!(xml.matches("<direction print-object=\"no\">").count(), 3);
        assert_eq!(xml.matches("<direction ").count() + xml.matches("<direction>").count(), 4);
        assert_eq!(xml.matches("<sound tempo=\"40\"/>").count(), 2);
        assert_eq!(xml.matches("<sound tempo=\"80\"/>").count(), 2, "back to tempo after the first fermata, and the opening mark");
        assert!(xml.contains("<work-title>a &amp; b</work-title>"));
        assert_eq!(xml.matches("<fermata").count(), 8);
    }
}
