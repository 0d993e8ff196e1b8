//! Writing a chorale as a MusicXML file: the device core's writer
//! ([`kantor_core::notation::musicxml`]), so the host's files and the score the
//! WebAssembly page draws are one definition.

use anyhow::Result;
use kantor_core::midi::Performance;
use kantor_core::{Frame, TimeSignature};
use std::path::Path;

/// The chorale as MusicXML text, played as `performance` says (tempo, MIDI channels and
/// programs, how much fermatas slow down).
pub fn musicxml_string(frames: &[Frame], time: TimeSignature, title: &str, performance: &Performance) -> String {
    let mut xml = String::with_capacity(frames.len() * 400 + 1024);
    // Writing into a String cannot fail.
    let _ = kantor_core::notation::write_musicxml(&mut xml, frames, time, title, performance);
    xml
}

/// Writes the chorale to `path` as MusicXML.
pub fn write_musicxml(path: &Path, frames: &[Frame], time: TimeSignature, title: &str, performance: &Performance) -> Result<()> {
    crate::outfile::write(path, musicxml_string(frames, time, title, performance).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kantor_core::{FrameMeta, KeySignature, Token, Voice};

    fn frames(tokens: &[[Token; 4]], time: TimeSignature, pickup_offset: usize) -> Vec<Frame> {
        let key = KeySignature { fifths: -2 };
        tokens
            .iter()
            .enumerate()
            .map(|(i, t)| Frame { tokens: *t, meta: FrameMeta::on_grid(time, key, kantor_core::Mode::Major, pickup_offset, i) })
            .collect()
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
