//! A chorale as a format-1 Standard MIDI File, written into a caller's buffer (no heap).
//!
//! Track 0 (conductor) holds the time signature(s), key signatures, tempo and fermata
//! markers; tracks 1–4 hold soprano, alto, tenor and bass, each on its own channel, taken
//! from the [`EventStream`] with [`FermataTiming::Grid`], with running status within a
//! track. The host's `kantor generate` and the WebAssembly board write their files with
//! this one function, so the same chorale gives the same bytes on both.
//!
//! How a file keeps a chorale exact: every frame is [`TICKS_PER_FRAME`] ticks long. A
//! fermata is not written by stretching ticks (as the live stream does) but by slowing the
//! tempo for the fermata frames, so it sounds just as long while the notes stay on the
//! grid; the fermata frames are also bracketed by the markers [`FERMATA_MARKER`] and
//! [`FERMATA_END_MARKER`], which is what a reader maps back to `FrameMeta::fermata`. A
//! piece starting with an upbeat gets a short first bar (its own time signature), the way
//! notation programs export an anacrusis.

use super::performance::{FermataTiming, Performance};
use super::stream::{frame_tick, EventStream};
use super::wire::RunningStatus;
use super::{TICKS_PER_FRAME, TICKS_PER_QUARTER};
use crate::frame::Frame;
use crate::meter::TimeSignature;
use crate::voice::Voice;

/// Marker text at the first tick of a run of fermata frames.
pub const FERMATA_MARKER: &str = "fermata";
/// Marker text at the tick after the last frame of a run of fermata frames.
pub const FERMATA_END_MARKER: &str = "fermata end";

/// Largest delta time a file can state (28 bits).
const MAX_DELTA: u32 = (1 << 28) - 1;

/// Why a chorale could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SmfError {
    /// The time signature has no whole number of 16ths per bar, or no MIDI form (its
    /// denominator is not a power of two).
    UnsupportedTime(TimeSignature),
    /// A delta time does not fit in a MIDI file.
    TooLong,
    /// The buffer holds fewer bytes than the file needs (`needed`); call again with one
    /// at least that long.
    BufferTooSmall { needed: usize },
}

impl core::fmt::Display for SmfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SmfError::UnsupportedTime(t) => write!(f, "cannot write time signature {}/{}", t.numerator, t.denominator),
            SmfError::TooLong => f.write_str("the chorale is too long for a MIDI file"),
            SmfError::BufferTooSmall { needed } => write!(f, "the MIDI file needs {needed} bytes"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SmfError {}

/// Bytes into a slice; counts on past its end so that the caller learns the size needed.
struct Out<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        self.len += bytes.len();
    }

    fn patch_u32(&mut self, at: usize, value: u32) {
        if let Some(dst) = self.buf.get_mut(at..at + 4) {
            dst.copy_from_slice(&value.to_be_bytes());
        }
    }

    /// A variable-length quantity: seven bits a byte, most significant first.
    fn varlen(&mut self, value: u32) {
        let mut bytes = [0u8; 5];
        let mut n = 0;
        let mut v = value;
        loop {
            bytes[4 - n] = (v & 0x7F) as u8 | if n > 0 { 0x80 } else { 0 };
            n += 1;
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        self.put(&bytes[5 - n..]);
    }
}

/// One track being written: delta times and running status.
struct Track<'o, 'b> {
    out: &'o mut Out<'b>,
    start: usize,
    last: u32,
    status: RunningStatus,
}

impl<'o, 'b> Track<'o, 'b> {
    fn begin(out: &'o mut Out<'b>) -> Self {
        out.put(b"MTrk\0\0\0\0");
        let start = out.len;
        Track { out, start, last: 0, status: RunningStatus::new() }
    }

    fn delta(&mut self, tick: u32) -> Result<(), SmfError> {
        let delta = tick.checked_sub(self.last).ok_or(SmfError::TooLong)?;
        if delta > MAX_DELTA {
            return Err(SmfError::TooLong);
        }
        self.out.varlen(delta);
        self.last = tick;
        Ok(())
    }

    fn meta(&mut self, tick: u32, kind: u8, data: &[u8]) -> Result<(), SmfError> {
        self.delta(tick)?;
        self.status.reset();
        self.out.put(&[0xFF, kind]);
        self.out.varlen(data.len() as u32);
        self.out.put(data);
        Ok(())
    }

    fn message(&mut self, tick: u32, message: &super::Message) -> Result<(), SmfError> {
        self.delta(tick)?;
        let mut bytes = [0u8; 3];
        let n = self.status.encode(message, &mut bytes).unwrap_or(0);
        self.out.put(&bytes[..n]);
        Ok(())
    }

    /// Ends the track at `end` (or at its last event, if later) and writes its length.
    fn finish(mut self, end: u32) -> Result<(), SmfError> {
        self.meta(end.max(self.last), 0x2F, &[])?;
        let len = (self.out.len - self.start) as u32;
        self.out.patch_u32(self.start - 4, len);
        Ok(())
    }
}

/// Writes `frames` (in `time`) as a format-1 MIDI file into `out`; returns the bytes
/// written, or [`SmfError::BufferTooSmall`] with the size needed (an empty buffer asks
/// for the size alone).
pub fn write_smf(frames: &[Frame], time: TimeSignature, performance: &Performance, out: &mut [u8]) -> Result<usize, SmfError> {
    let bar = time.frames_per_bar().ok_or(SmfError::UnsupportedTime(time))? as usize;
    let grid = FermataTiming::Grid;
    let end = frame_tick(frames, frames.len(), performance, grid);
    let mut o = Out { buf: out, len: 0 };
    o.put(b"MThd\0\0\0\x06\0\x01\0\x05");
    o.put(&(TICKS_PER_QUARTER as u16).to_be_bytes());
    conductor(&mut o, frames, time, bar, performance, end)?;
    for voice in Voice::ALL {
        let mut track = Track::begin(&mut o);
        track.meta(0, 0x03, track_name(voice))?;
        for e in EventStream::with_timing(frames, performance, grid).filter(|e| e.voice == voice) {
            track.message(e.tick, &e.message)?;
        }
        track.finish(end)?;
    }
    if o.len > o.buf.len() {
        return Err(SmfError::BufferTooSmall { needed: o.len });
    }
    Ok(o.len)
}

/// The MIDI file of `frames` as a vector.
#[cfg(feature = "std")]
pub fn smf_vec(frames: &[Frame], time: TimeSignature, performance: &Performance) -> Result<std::vec::Vec<u8>, SmfError> {
    let needed = match write_smf(frames, time, performance, &mut []) {
        Ok(n) => n,
        Err(SmfError::BufferTooSmall { needed }) => needed,
        Err(e) => return Err(e),
    };
    let mut bytes = std::vec![0u8; needed];
    write_smf(frames, time, performance, &mut bytes)?;
    Ok(bytes)
}

fn track_name(voice: Voice) -> &'static [u8] {
    match voice {
        Voice::Soprano => b"Soprano",
        Voice::Alto => b"Alto",
        Voice::Tenor => b"Tenor",
        Voice::Bass => b"Bass",
    }
}

/// The conductor track: meter, keys, tempo, fermatas, in time order (at one tick: the
/// time signature, the first tempo, the key, then a fermata's tempo and marker).
fn conductor(o: &mut Out, frames: &[Frame], time: TimeSignature, bar: usize, performance: &Performance, end: u32) -> Result<(), SmfError> {
    // The slowest tempo a file can state is 0xFFFFFF µs per quarter (under 4 bpm).
    let normal = performance.micros_per_quarter().min(0xFF_FFFF);
    let slow = performance.fermata_micros_per_quarter();
    let tempo = |us: u32| [(us >> 16) as u8, (us >> 8) as u8, us as u8];
    let mut track = Track::begin(o);
    track.meta(0, 0x03, b"Chorale")?;
    let mut signature: Option<TimeSignature> = None;
    let mut key = None;
    let mut in_fermata = false;
    for i in 0..frames.len().max(1) {
        let tick = i as u32 * TICKS_PER_FRAME;
        // A bar runs from one downbeat to the next; one that is not a whole bar long
        // (an upbeat at the start, or a short bar) gets its own signature, and the next
        // regular bar restores `time`. The last bar may stop early under `time`.
        if i == 0 || frames[i].meta.position_in_bar == 0 {
            let next = (i + 1..frames.len()).find(|&j| frames[j].meta.position_in_bar == 0);
            let this = match next {
                Some(end) if end - i != bar => short_bar_signature(end - i),
                _ => time,
            };
            if signature != Some(this) {
                signature = Some(this);
                track.meta(tick, 0x58, &time_signature(this)?)?;
            }
        }
        if i == 0 {
            track.meta(0, 0x51, &tempo(normal))?;
        }
        let Some(f) = frames.get(i) else { break };
        if key != Some(f.meta.key) {
            key = Some(f.meta.key);
            track.meta(tick, 0x59, &[f.meta.key.fifths as u8, u8::from(f.meta.mode == crate::key::Mode::Minor)])?;
        }
        if f.meta.fermata != in_fermata {
            in_fermata = f.meta.fermata;
            let (us, text) = if in_fermata { (slow, FERMATA_MARKER) } else { (normal, FERMATA_END_MARKER) };
            track.meta(tick, 0x51, &tempo(us))?;
            track.meta(tick, 0x06, text.as_bytes())?;
        }
    }
    if in_fermata {
        track.meta(frames.len() as u32 * TICKS_PER_FRAME, 0x06, FERMATA_END_MARKER.as_bytes())?;
    }
    track.finish(end)
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

/// The four data bytes of a time signature: numerator, the denominator's power of two,
/// a metronome click on the beat (24 MIDI clocks per quarter), eight 32nds per quarter.
fn time_signature(time: TimeSignature) -> Result<[u8; 4], SmfError> {
    if !time.denominator.is_power_of_two() {
        return Err(SmfError::UnsupportedTime(time));
    }
    let power = time.denominator.trailing_zeros() as u8;
    let clocks = (96 / time.denominator.max(1)).max(1);
    Ok([time.numerator, power, clocks, 8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::FrameMeta;
    use crate::meter::KeySignature;
    use crate::token::Token::{Hold as H, Pitch as P};

    #[test]
    fn a_short_piece_byte_for_byte() {
        // One bar of 2/4 in G, soprano and bass only, a fermata on the last quarter.
        let time = TimeSignature { numerator: 2, denominator: 4 };
        let key = KeySignature { fifths: 1 };
        let mut frames = [Frame { tokens: [H; 4], meta: FrameMeta::default() }; 8];
        for (i, f) in frames.iter_mut().enumerate() {
            f.meta = FrameMeta::on_grid(time, key, crate::key::Mode::Major, 0, i);
            f.meta.fermata = i >= 4;
        }
        frames[0].tokens = [P(67), crate::Token::Rest, crate::Token::Rest, P(43)];
        let mut buf = [0u8; 512];
        let n = write_smf(&frames, time, &Performance::default(), &mut buf).unwrap();
        let want: &[u8] = &[
            b'M', b'T', b'h', b'd', 0, 0, 0, 6, 0, 1, 0, 5, 0x01, 0xE0, // header: format 1, 5 tracks, 480 ticks
            b'M', b'T', b'r', b'k', 0, 0, 0, 71, //
            0, 0xFF, 0x03, 7, b'C', b'h', b'o', b'r', b'a', b'l', b'e', //
            0, 0xFF, 0x58, 4, 2, 2, 24, 8, // 2/4
            0, 0xFF, 0x51, 3, 0x0B, 0x71, 0xB0, // 750,000 µs a quarter
            0, 0xFF, 0x59, 2, 1, 0, // one sharp
            0x83, 0x60, 0xFF, 0x51, 3, 0x16, 0xE3, 0x60, // at tick 480: half the tempo
            0, 0xFF, 0x06, 7, b'f', b'e', b'r', b'm', b'a', b't', b'a', //
            0x83, 0x60, 0xFF, 0x06, 11, b'f', b'e', b'r', b'm', b'a', b't', b'a', b' ', b'e', b'n', b'd', //
            0, 0xFF, 0x2F, 0,
        ];
        assert_eq!(&buf[..want.len()], want);
        // The soprano: its name, the organ, G4 for the whole bar with running status.
        let soprano = &buf[want.len()..];
        assert_eq!(&soprano[..8], b"MTrk\0\0\0\x1a");
        assert_eq!(&soprano[8..32], &[0, 0xFF, 3, 7, b'S', b'o', b'p', b'r', b'a', b'n', b'o', 0, 0xC0, 19, 0, 0x90, 67, 90, 0x87, 0x40, 67, 0, 0, 0xFF][..]);
        // Asking with a small buffer gives the size.
        assert_eq!(write_smf(&frames, time, &Performance::default(), &mut []), Err(SmfError::BufferTooSmall { needed: n }));
        let odd = TimeSignature { numerator: 3, denominator: 3 };
        assert!(matches!(write_smf(&frames, odd, &Performance::default(), &mut buf), Err(SmfError::UnsupportedTime(_))));
    }
}
