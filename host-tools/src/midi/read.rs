//! Reading a melody or a chorale from a Standard MIDI File.
//!
//! A voice is the notes of one channel in one track, so four voices may come as four
//! tracks (format 1) or as four channels of one track (format 0); percussion (channel 10)
//! is ignored. Voices are ordered by average pitch, highest (the soprano) first. Times
//! are quantised to 16ths with the file's ticks per quarter. Within a voice a note that
//! starts ends the one before, and of notes starting on the same 16th the highest is kept.
//! Silence is a [`Token::Rest`] on its first frame and [`Token::Hold`]s after it.
//!
//! Frame metadata: bar positions follow the file's time signatures (a signature change is
//! a bar line; 4/4 if there is none), keys follow its key signatures (C if none), and
//! fermatas come from the markers Kantor writes (see [`super`]).

use std::path::Path;

use anyhow::{bail, Context, Result};
use kantor_core::meter::FRAMES_PER_QUARTER;
use kantor_core::{Frame, FrameMeta, KeySignature, Mode, TimeSignature, Token, Voice};
use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};

use super::{FERMATA_END_MARKER, FERMATA_MARKER};
use crate::corpus::{Bent, BentKind};

/// Longest piece the reader accepts, in 16ths (more than an hour at any chorale tempo).
const MAX_FRAMES: u64 = 100_000;
/// The General MIDI percussion channel (channel 10, 0-based 9).
const PERCUSSION: u8 = 9;

/// What a MIDI file holds, on the 16th-note grid.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadMidi {
    /// One to four voices, highest average pitch first, all as long as `meta`.
    pub voices: Vec<Vec<Token>>,
    /// The time signature in force for most of the piece, if the file states one.
    pub time: Option<TimeSignature>,
    /// The key signature at the start, if the file states one.
    pub key: Option<KeySignature>,
    /// Per frame: bar position, fermata and key.
    pub meta: Vec<FrameMeta>,
    /// Per voice (in the order of `voices`): what did not fit the 16th grid as played and
    /// was bent to fit (chord notes, tuplets, notes shorter than a 16th, off-grid onsets).
    pub bent: Vec<Vec<Bent>>,
}

impl ReadMidi {
    /// Number of 16th-note frames.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// The piece as chorale frames: voices from the soprano down; voices the file does
    /// not have (e.g. all but the soprano for a melody) are silent.
    pub fn frames(&self) -> Vec<Frame> {
        (0..self.len())
            .map(|i| {
                let mut tokens = [Token::Hold; 4];
                for (v, token) in tokens.iter_mut().enumerate() {
                    *token = match self.voices.get(v) {
                        Some(voice) => voice[i],
                        None if i == 0 => Token::Rest,
                        None => Token::Hold,
                    };
                }
                Frame { tokens, meta: self.meta[i] }
            })
            .collect()
    }

    /// The tokens of `voice` (`None` if the file has fewer voices).
    pub fn voice(&self, voice: Voice) -> Option<&[Token]> {
        self.voices.get(voice.index()).map(Vec::as_slice)
    }
}

/// Reads the MIDI file at `path`.
pub fn read_smf(path: &Path) -> Result<ReadMidi> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    read_smf_bytes(&bytes).with_context(|| format!("cannot read MIDI file {}", path.display()))
}

/// A note in file ticks.
#[derive(Clone, Copy, Debug)]
struct Note {
    start: u64,
    end: u64,
    key: u8,
}

/// The notes of one (track, channel), and where that track ends.
struct Group {
    track: usize,
    channel: u8,
    notes: Vec<Note>,
    /// Notes started and not yet ended: (start, key), oldest first.
    open: Vec<(u64, u8)>,
}

/// Everything the reader takes from the file, in absolute ticks.
#[derive(Default)]
struct Collected {
    groups: Vec<Group>,
    track_ends: Vec<u64>,
    times: Vec<(u64, TimeSignature)>,
    keys: Vec<(u64, (KeySignature, Mode))>,
    fermata_marks: Vec<(u64, bool)>,
}

/// Why a file timed in SMPTE frames is refused.
const SMPTE_TIMING: &str = "the file is timed in SMPTE frames, not in beats; only metrical (ticks per quarter) files can be read";

/// Reads a MIDI file from memory.
pub fn read_smf_bytes(bytes: &[u8]) -> Result<ReadMidi> {
    if bytes.is_empty() {
        bail!("the file is empty");
    }
    check_chunks(bytes)?;
    let smf = Smf::parse(bytes).map_err(|e| anyhow::anyhow!("not a Standard MIDI File ({e})"))?;
    let tpq = match smf.header.timing {
        Timing::Metrical(t) if t.as_int() > 0 => t.as_int() as u64,
        Timing::Metrical(_) => bail!("the file states zero ticks per quarter note"),
        Timing::Timecode(..) => bail!(SMPTE_TIMING),
    };
    let c = collect(&smf);
    let mut groups: Vec<Group> = c.groups.into_iter().filter(|g| !g.notes.is_empty()).collect();
    match groups.len() {
        0 => bail!("the file has no notes (zero voices)"),
        n if n > 4 => bail!(
            "the file has {n} voices (tracks or channels with notes); a chorale has at most four"
        ),
        _ => {}
    }
    let frame_of = |tick: u64| (tick * FRAMES_PER_QUARTER as u64 + tpq / 2) / tpq;
    let last_note = groups.iter().flat_map(|g| g.notes.iter()).map(|n| frame_of(n.end).max(frame_of(n.start) + 1));
    let last_track = groups.iter().map(|g| frame_of(c.track_ends[g.track]));
    let frames = last_note.chain(last_track).max().unwrap_or(0);
    if frames > MAX_FRAMES {
        bail!("the music lasts {frames} 16ths; at most {MAX_FRAMES} can be read");
    }
    let frames = frames as usize;

    groups.sort_by(|a, b| average_key(b).total_cmp(&average_key(a)));
    let voices = groups.iter().map(|g| tokens(&g.notes, frames, &frame_of)).collect();
    let bent = groups.iter().map(|g| bent_notes(&g.notes, tpq)).collect();

    let times: Vec<(usize, TimeSignature)> = c.times.iter().map(|&(t, s)| (frame_of(t) as usize, s)).collect();
    let keys: Vec<(usize, (KeySignature, Mode))> = c.keys.iter().map(|&(t, k)| (frame_of(t) as usize, k)).collect();
    let marks: Vec<(usize, bool)> = c.fermata_marks.iter().map(|&(t, on)| (frame_of(t) as usize, on)).collect();
    let time = main_time(&times, frames);
    let mut meta = frame_meta(frames, &times, &keys, &marks);
    if let Some(time) = time {
        mark_upbeat(&mut meta, &times, time);
    }
    Ok(ReadMidi { voices, time, key: keys.first().filter(|(f, _)| *f == 0).map(|&(_, (k, _))| k), meta, bent })
}

/// Checks the file's chunk layout before parsing: a header, then as many complete track
/// chunks as it announces, so that a cut-off file is called truncated rather than read as
/// a shorter piece.
fn check_chunks(bytes: &[u8]) -> Result<()> {
    if bytes.len() < 14 || &bytes[..4] != b"MThd" {
        if b"MThd".starts_with(&bytes[..bytes.len().min(4)]) {
            bail!("the file is truncated or corrupt: it ends inside the MIDI header ({} bytes)", bytes.len());
        }
        bail!("not a Standard MIDI File (it does not start with a MIDI header)");
    }
    let header = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let announced = u16::from_be_bytes([bytes[10], bytes[11]]) as usize;
    // Said before the MIDI parser sees it: a frame rate byte of −128 overflows its
    // negation there (a panic where overflow is checked).
    if bytes[12] & 0x80 != 0 {
        bail!(SMPTE_TIMING);
    }
    let mut at = 8usize.saturating_add(header);
    let mut tracks = 0;
    while at < bytes.len() {
        if bytes.len() - at < 8 {
            bail!("the file is truncated or corrupt: it ends inside the header of chunk {} (byte {at})", tracks + 1);
        }
        let len = u32::from_be_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let is_track = &bytes[at..at + 4] == b"MTrk";
        let end = at + 8 + len;
        if end > bytes.len() {
            bail!(
                "the file is truncated or corrupt: {} {} announces {len} bytes but only {} remain",
                if is_track { "track" } else { "chunk" },
                tracks + 1,
                bytes.len() - at - 8
            );
        }
        tracks += usize::from(is_track);
        at = end;
    }
    if tracks < announced {
        bail!("the file is truncated or corrupt: its header announces {announced} tracks but it holds {tracks}");
    }
    Ok(())
}

/// Walks every track once, pairing note-ons with note-offs per (track, channel).
fn collect(smf: &Smf) -> Collected {
    let mut c = Collected::default();
    for (track, events) in smf.tracks.iter().enumerate() {
        let mut tick = 0u64;
        for e in events {
            tick += e.delta.as_int() as u64;
            match e.kind {
                TrackEventKind::Midi { channel, message } => {
                    let channel = channel.as_int();
                    if channel == PERCUSSION {
                        continue;
                    }
                    let (key, on) = match message {
                        MidiMessage::NoteOn { key, vel } => (key.as_int(), vel.as_int() > 0),
                        MidiMessage::NoteOff { key, .. } => (key.as_int(), false),
                        _ => continue,
                    };
                    let g = match c.groups.iter().position(|g| g.track == track && g.channel == channel) {
                        Some(i) => &mut c.groups[i],
                        None => {
                            c.groups.push(Group { track, channel, notes: Vec::new(), open: Vec::new() });
                            c.groups.last_mut().expect("just pushed")
                        }
                    };
                    if on {
                        g.open.push((tick, key));
                    } else if let Some(i) = g.open.iter().position(|&(_, k)| k == key) {
                        let (start, key) = g.open.remove(i);
                        g.notes.push(Note { start, end: tick, key });
                    }
                }
                TrackEventKind::Meta(MetaMessage::TimeSignature(num, power, ..)) if power <= 4 && num > 0 => {
                    c.times.push((tick, TimeSignature { numerator: num, denominator: 1 << power }));
                }
                TrackEventKind::Meta(MetaMessage::KeySignature(fifths, minor)) if (-7..=7).contains(&fifths) => {
                    c.keys.push((tick, (KeySignature { fifths }, if minor { Mode::Minor } else { Mode::Major })));
                }
                TrackEventKind::Meta(MetaMessage::Marker(text)) => {
                    if text == FERMATA_MARKER.as_bytes() {
                        c.fermata_marks.push((tick, true));
                    } else if text == FERMATA_END_MARKER.as_bytes() {
                        c.fermata_marks.push((tick, false));
                    }
                }
                _ => {}
            }
        }
        // Notes never ended last until the end of their track.
        for g in c.groups.iter_mut().filter(|g| g.track == track) {
            for (start, key) in g.open.drain(..) {
                g.notes.push(Note { start, end: tick, key });
            }
        }
        c.track_ends.push(tick);
    }
    // Several tracks may repeat the same signature at the same tick: keep one.
    c.times.sort_by_key(|t| t.0);
    c.times.dedup_by_key(|t| t.0);
    c.keys.sort_by_key(|k| k.0);
    c.keys.dedup_by_key(|k| k.0);
    c.fermata_marks.sort_by_key(|m| m.0);
    c
}

fn average_key(g: &Group) -> f64 {
    g.notes.iter().map(|n| n.key as f64).sum::<f64>() / g.notes.len().max(1) as f64
}

/// One voice's notes as tokens on the 16th grid.
fn tokens(notes: &[Note], frames: usize, frame_of: &dyn Fn(u64) -> u64) -> Vec<Token> {
    // (start frame, end frame, key), by onset, the highest first among equal onsets.
    let mut q: Vec<(usize, usize, u8)> = notes
        .iter()
        .map(|n| {
            let start = frame_of(n.start) as usize;
            (start, (frame_of(n.end) as usize).max(start + 1), n.key)
        })
        .collect();
    q.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)));
    q.dedup_by_key(|n| n.0);
    let mut out = vec![Token::Hold; frames];
    let mut covered = vec![false; frames];
    for (i, &(start, end, key)) in q.iter().enumerate() {
        let end = q.get(i + 1).map_or(end, |next| end.min(next.0)).min(frames);
        out[start] = Token::Pitch(key);
        covered[start..end].iter_mut().for_each(|c| *c = true);
    }
    for f in 0..frames {
        if !covered[f] && (f == 0 || covered[f - 1]) {
            out[f] = Token::Rest;
        }
    }
    out
}

/// The notes of one voice that the 16th grid bends, by onset: an onset between 16ths is a note shorter than a 16th when it falls
/// on a 32nd, a tuplet when it falls on a triplet grid, else off the grid; a second note
/// starting on the same 16th as another is a chord; a note on the grid but sounding for less than three quarters of a 16th is shorter than a 16th (a
/// 16th played short, as in staccato, still counts as a 16th). Onsets within an eighth of
/// a 16th of a grid line count as on it, so a played (humanised) melody keeps its rhythm.
fn bent_notes(notes: &[Note], tpq: u64) -> Vec<Bent> {
    let mut sorted: Vec<&Note> = notes.iter().collect();
    sorted.sort_by_key(|n| (n.start, std::cmp::Reverse(n.key)));
    let near = |ticks: u64, per_quarter: u64| {
        let unit = tpq as f64 / per_quarter as f64;
        let off = (ticks as f64 / unit - (ticks as f64 / unit).round()).abs() * unit;
        off * 32.0 <= tpq as f64
    };
    let mut out = Vec::new();
    for (i, n) in sorted.iter().enumerate() {
        let frame_of = |tick: u64| ((tick * FRAMES_PER_QUARTER as u64 + tpq / 2) / tpq) as usize;
        let frame = frame_of(n.start);
        let what = if !near(n.start, 4) {
            if near(n.start, 8) {
                BentKind::Short
            } else if near(n.start, 12) {
                BentKind::Tuplet
            } else {
                BentKind::OffGrid
            }
        } else if i > 0 && frame_of(sorted[i - 1].start) == frame {
            BentKind::Chord
        } else if (n.end - n.start) * 16 < 3 * tpq {
            BentKind::Short
        } else {
            continue;
        };
        out.push(Bent { frame, what, rest: false });
    }
    out
}

/// The signature in force over the most frames.
fn main_time(times: &[(usize, TimeSignature)], frames: usize) -> Option<TimeSignature> {
    let mut best: Option<(usize, TimeSignature)> = None;
    for (i, &(start, sig)) in times.iter().enumerate() {
        let end = times.get(i + 1).map_or(frames, |n| n.0).max(start);
        if best.is_none_or(|(len, _)| end - start > len) {
            best = Some((end - start, sig));
        }
    }
    best.map(|(_, s)| s)
}

/// Bar position, fermata and key of every frame.
fn frame_meta(frames: usize, times: &[(usize, TimeSignature)], keys: &[(usize, (KeySignature, Mode))], marks: &[(usize, bool)]) -> Vec<FrameMeta> {
    let mut out = Vec::with_capacity(frames);
    let (mut t, mut k, mut m) = (0, 0, 0);
    let mut bar = TimeSignature::COMMON.frames_per_bar().unwrap_or(16);
    let mut position = 0u8;
    let (mut key, mut mode) = (KeySignature::default(), Mode::Major);
    let mut fermata = false;
    for f in 0..frames {
        while t < times.len() && times[t].0 <= f {
            // A new signature starts a bar.
            bar = times[t].1.frames_per_bar().unwrap_or(16);
            position = 0;
            t += 1;
        }
        while k < keys.len() && keys[k].0 <= f {
            (key, mode) = keys[k].1;
            k += 1;
        }
        while m < marks.len() && marks[m].0 <= f {
            fermata = marks[m].1;
            m += 1;
        }
        if position >= bar {
            position = 0;
        }
        out.push(FrameMeta { position_in_bar: position, fermata, key, mode });
        position += 1;
    }
    out
}

/// An upbeat: a first bar in a signature of its own (from the start), shorter than a
/// bar of the piece's main signature `time`, sits at the end of such a bar.
fn mark_upbeat(meta: &mut [FrameMeta], times: &[(usize, TimeSignature)], time: TimeSignature) {
    let [(0, first), (len, _), ..] = *times else { return };
    let (Some(first_bar), Some(bar)) = (first.frames_per_bar(), time.frames_per_bar()) else { return };
    if first == time || len != first_bar as usize || len >= bar as usize {
        return;
    }
    for (i, m) in meta.iter_mut().take(len).enumerate() {
        m.position_in_bar = (bar as usize - len + i) as u8;
    }
}
