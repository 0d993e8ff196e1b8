//! Writing a chorale as a format-1 Standard MIDI File.
//!
//! Track 0 (conductor) holds the time signature(s), key signatures, tempo and fermata
//! markers; tracks 1–4 hold soprano, alto, tenor and bass, each on its own channel, taken
//! from the device core's event stream with [`FermataTiming::Grid`].

use std::path::Path;

use anyhow::{bail, Context, Result};
use kantor_core::midi::{frame_tick, EventStream, FermataTiming, Message, Performance, TICKS_PER_FRAME, TICKS_PER_QUARTER};
use kantor_core::{Frame, TimeSignature, Voice};
use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

use super::{FERMATA_END_MARKER, FERMATA_MARKER};

/// Writes `frames` (in `time`) to the file at `path` as a format-1 MIDI file.
pub fn write_smf(path: &Path, frames: &[Frame], time: TimeSignature, performance: &Performance) -> Result<()> {
    let bytes = smf_bytes(frames, time, performance)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write MIDI file {}", path.display()))
}

/// The bytes of the MIDI file [`write_smf`] writes.
pub fn smf_bytes(frames: &[Frame], time: TimeSignature, performance: &Performance) -> Result<Vec<u8>> {
    let grid = FermataTiming::Grid;
    let end = frame_tick(frames, frames.len(), performance, grid);
    let mut tracks = vec![to_track(conductor(frames, time, performance)?, end)?];
    for voice in Voice::ALL {
        let mut events: Vec<(u32, TrackEventKind<'static>)> =
            vec![(0, TrackEventKind::Meta(MetaMessage::TrackName(track_name(voice))))];
        events.extend(
            EventStream::with_timing(frames, performance, grid)
                .filter(|e| e.voice == voice)
                .map(|e| (e.tick, midi_event(e.message))),
        );
        tracks.push(to_track(events, end)?);
    }
    let header = Header::new(Format::Parallel, Timing::Metrical(u15::new(TICKS_PER_QUARTER as u16)));
    let smf = Smf { header, tracks };
    let mut out = Vec::new();
    smf.write_std(&mut out).context("cannot encode the MIDI file")?;
    Ok(out)
}

fn track_name(voice: Voice) -> &'static [u8] {
    match voice {
        Voice::Soprano => b"Soprano",
        Voice::Alto => b"Alto",
        Voice::Tenor => b"Tenor",
        Voice::Bass => b"Bass",
    }
}

/// The conductor track's events at absolute ticks: meter, keys, tempo, fermatas.
fn conductor(frames: &[Frame], time: TimeSignature, performance: &Performance) -> Result<Vec<(u32, TrackEventKind<'static>)>> {
    let bar = time
        .frames_per_bar()
        .with_context(|| format!("cannot write time signature {}/{}", time.numerator, time.denominator))?;
    let meta = |m: MetaMessage<'static>| TrackEventKind::Meta(m);
    let mut events = vec![(0, meta(MetaMessage::TrackName(b"Chorale")))];
    for (frame, signature) in bar_signatures(frames, time, bar) {
        events.push((frame as u32 * TICKS_PER_FRAME, meta(time_signature(signature)?)));
    }
    // The slowest tempo a file can state is 0xFFFFFF µs per quarter (under 4 bpm).
    let normal = u24::new(performance.micros_per_quarter().min(0xFF_FFFF));
    let slow = u24::new(performance.fermata_micros_per_quarter());
    events.push((0, meta(MetaMessage::Tempo(normal))));
    let mut key = None;
    let mut in_fermata = false;
    for (i, f) in frames.iter().enumerate() {
        let tick = i as u32 * TICKS_PER_FRAME;
        if key != Some((f.meta.key, f.meta.mode)) {
            key = Some((f.meta.key, f.meta.mode));
            events.push((tick, meta(MetaMessage::KeySignature(f.meta.key.fifths, f.meta.mode == kantor_core::Mode::Minor))));
        }
        if f.meta.fermata != in_fermata {
            in_fermata = f.meta.fermata;
            let (tempo, text) = if in_fermata { (slow, FERMATA_MARKER) } else { (normal, FERMATA_END_MARKER) };
            events.push((tick, meta(MetaMessage::Tempo(tempo))));
            events.push((tick, meta(MetaMessage::Marker(text.as_bytes()))));
        }
    }
    if in_fermata {
        let tick = frames.len() as u32 * TICKS_PER_FRAME;
        events.push((tick, meta(MetaMessage::Marker(FERMATA_END_MARKER.as_bytes()))));
    }
    Ok(events)
}

/// Where the time signature changes, by frame. A bar is a run of frames from one
/// downbeat (`position_in_bar == 0`) to the next; one that is not `bar` frames long
/// (an upbeat at the start, or a short bar before a repeat) gets its own signature, and
/// the next regular bar restores `time`. The last bar may stop early under `time`.
fn bar_signatures(frames: &[Frame], time: TimeSignature, bar: u8) -> Vec<(usize, TimeSignature)> {
    let mut starts: Vec<usize> = (0..frames.len()).filter(|&i| frames[i].meta.position_in_bar == 0).collect();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    let mut out: Vec<(usize, TimeSignature)> = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let signature = match starts.get(n + 1) {
            Some(&end) if end - start != bar as usize => short_bar_signature(end - start),
            _ => time,
        };
        if out.last().is_none_or(|(_, s)| *s != signature) {
            out.push((start, signature));
        }
    }
    if out.is_empty() {
        out.push((0, time));
    }
    out
}

/// A signature for a bar `frames` 16ths long: in quarters, eighths or 16ths.
fn short_bar_signature(frames: usize) -> TimeSignature {
    let frames = frames.min(u8::MAX as usize) as u8;
    if frames.is_multiple_of(4) {
        TimeSignature { numerator: frames / 4, denominator: 4 }
    } else if frames.is_multiple_of(2) {
        TimeSignature { numerator: frames / 2, denominator: 8 }
    } else {
        TimeSignature { numerator: frames, denominator: 16 }
    }
}

fn time_signature(time: TimeSignature) -> Result<MetaMessage<'static>> {
    if !time.denominator.is_power_of_two() {
        bail!("time signature {}/{} has no MIDI form", time.numerator, time.denominator);
    }
    let power = time.denominator.trailing_zeros() as u8;
    // Metronome click on the beat (24 MIDI clocks per quarter), eight 32nds per quarter.
    let clocks = (96 / time.denominator.max(1)).max(1);
    Ok(MetaMessage::TimeSignature(time.numerator, power, clocks, 8))
}

/// A device-core message as a MIDI-file event.
fn midi_event(message: Message) -> TrackEventKind<'static> {
    let channel = u4::new(message.channel());
    let message = match message {
        Message::NoteOn { key, velocity, .. } => MidiMessage::NoteOn { key: u7::new(key & 0x7F), vel: u7::new(velocity & 0x7F) },
        Message::ProgramChange { program, .. } => MidiMessage::ProgramChange { program: u7::new(program & 0x7F) },
        Message::ControlChange { controller, value, .. } => {
            MidiMessage::Controller { controller: u7::new(controller & 0x7F), value: u7::new(value & 0x7F) }
        }
    };
    TrackEventKind::Midi { channel, message }
}

/// Absolute-time events (in order) → a track with delta times, ended at `end`.
fn to_track(mut events: Vec<(u32, TrackEventKind<'static>)>, end: u32) -> Result<Vec<TrackEvent<'static>>> {
    events.sort_by_key(|(tick, _)| *tick); // stable: same-tick order is kept
    let mut track = Vec::with_capacity(events.len() + 1);
    let mut last = 0u32;
    let end_of_track = (end.max(events.last().map_or(0, |e| e.0)), TrackEventKind::Meta(MetaMessage::EndOfTrack));
    for (tick, kind) in events.into_iter().chain(std::iter::once(end_of_track)) {
        let delta = tick - last;
        if delta > u28::max_value().as_int() {
            bail!("the chorale is too long for a MIDI file");
        }
        track.push(TrackEvent { delta: u28::new(delta), kind });
        last = tick;
    }
    Ok(track)
}
