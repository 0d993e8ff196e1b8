//! What a listener hears from a board: its serial MIDI bytes as a Standard MIDI File.
//!
//! The wire carries no times, only the order of the messages. The times come from the
//! event stream the player sends them from ([`EventStream::new`], fermatas stretched in
//! ticks at one constant tempo), over the frames the host composed for the same seed;
//! the messages on the wire must be exactly that stream's, one for one.

use kantor_core::midi::{EventStream, Performance, TICKS_PER_QUARTER};
use kantor_core::{Frame, Voice};
use midly::live::LiveEvent;
use midly::num::{u15, u24, u28};
use midly::stream::MidiStream;
use midly::{Format, Header, MetaMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// A board's performance as a format-1 MIDI file: a conductor track (tempo) and one track
/// per voice holding the messages parsed from `wire` (running status resolved), each at
/// the tick the player sent it. Fails if `wire` does not hold exactly the messages of
/// `frames` played with `performance`, in order.
pub fn wire_to_smf(wire: &[u8], frames: &[Frame], performance: &Performance) -> Result<Vec<u8>, String> {
    let mut parsed: Vec<LiveEvent<'static>> = Vec::new();
    let mut stream = MidiStream::new();
    stream.feed(wire, |e| parsed.push(e.to_static()));
    stream.flush(|e| parsed.push(e.to_static()));

    let events = EventStream::new(frames, performance);
    let end = events.end_tick();
    let timed: Vec<_> = events.collect();
    if parsed.len() != timed.len() {
        return Err(format!("the wire holds {} messages, the event stream {}", parsed.len(), timed.len()));
    }
    let mut tracks: Vec<Vec<(u32, TrackEventKind<'static>)>> =
        Voice::ALL.iter().map(|v| vec![(0, TrackEventKind::Meta(MetaMessage::TrackName(voice_name(*v))))]).collect();
    for (n, (live, timed)) in parsed.iter().zip(&timed).enumerate() {
        let mut on_wire = Vec::new();
        live.write_std(&mut on_wire).map_err(|e| e.to_string())?;
        let (data, len) = timed.message.data();
        let sent: Vec<u8> = std::iter::once(timed.message.status()).chain(data[..len].iter().copied()).collect();
        if on_wire != sent {
            return Err(format!("message {n}: the wire says {on_wire:02x?}, the event stream {sent:02x?}"));
        }
        let LiveEvent::Midi { channel, message } = *live else {
            return Err(format!("message {n} is not a channel message: {live:?}"));
        };
        tracks[timed.voice.index()].push((timed.tick, TrackEventKind::Midi { channel, message }));
    }

    let tempo = TrackEventKind::Meta(MetaMessage::Tempo(u24::new(performance.micros_per_quarter())));
    let conductor = vec![(0, TrackEventKind::Meta(MetaMessage::TrackName(b"Chorale"))), (0, tempo)];
    let tracks = std::iter::once(conductor).chain(tracks).map(|t| delta_track(t, end)).collect();
    let smf = Smf { header: Header::new(Format::Parallel, Timing::Metrical(u15::new(TICKS_PER_QUARTER as u16))), tracks };
    let mut out = Vec::new();
    smf.write_std(&mut out).map_err(|e| format!("cannot encode the MIDI file: {e}"))?;
    Ok(out)
}

fn voice_name(voice: Voice) -> &'static [u8] {
    match voice {
        Voice::Soprano => b"Soprano",
        Voice::Alto => b"Alto",
        Voice::Tenor => b"Tenor",
        Voice::Bass => b"Bass",
    }
}

/// Absolute-tick events in order → delta-time events, ended at `end`.
fn delta_track(events: Vec<(u32, TrackEventKind<'static>)>, end: u32) -> Vec<TrackEvent<'static>> {
    let mut last = 0;
    let end = (end.max(events.last().map_or(0, |e| e.0)), TrackEventKind::Meta(MetaMessage::EndOfTrack));
    events
        .into_iter()
        .chain(std::iter::once(end))
        .map(|(tick, kind)| {
            let delta = tick - last;
            last = tick;
            TrackEvent { delta: u28::new(delta), kind }
        })
        .collect()
}
