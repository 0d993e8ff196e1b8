//! Messages → bytes on a MIDI wire, with running status.
//!
//! Running status: a message whose status byte equals the previous one's is sent as its
//! data bytes alone. Because Kantor writes note-offs as note-ons with velocity 0, a
//! voice's whole part after the program change usually needs one status byte.

use super::message::Message;

/// The caller's buffer cannot hold the encoded message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall;

impl core::fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the buffer is too small for the MIDI message")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BufferTooSmall {}

/// A running-status encoder: remembers the last status byte sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunningStatus {
    last: Option<u8>,
}

impl RunningStatus {
    /// An encoder whose first message carries its status byte.
    pub const fn new() -> Self {
        RunningStatus { last: None }
    }

    /// Forget the last status, so the next message carries its status byte again (after
    /// the receiver may have lost sync, e.g. after sending anything else on the wire).
    pub fn reset(&mut self) {
        self.last = None;
    }

    /// Writes `message` into `buf` (omitting the status byte when running status allows)
    /// and returns the number of bytes written (1 to 3). On [`BufferTooSmall`] nothing
    /// changes.
    pub fn encode(&mut self, message: &Message, buf: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let (bytes, len) = self.bytes(message);
        let out = buf.get_mut(..len).ok_or(BufferTooSmall)?;
        out.copy_from_slice(&bytes[..len]);
        self.last = Some(message.status());
        Ok(len)
    }

    /// Writes `message` to `w` with running status; returns the number of bytes written.
    pub fn write<W: embedded_io::Write>(&mut self, message: &Message, w: &mut W) -> Result<usize, W::Error> {
        let (bytes, len) = self.bytes(message);
        if let Err(e) = w.write_all(&bytes[..len]) {
            // The receiver may have seen part of it: start afresh.
            self.reset();
            return Err(e);
        }
        self.last = Some(message.status());
        Ok(len)
    }

    /// The bytes of `message` after the last one sent, and how many there are.
    fn bytes(&self, message: &Message) -> ([u8; 3], usize) {
        let status = message.status();
        let (data, n) = message.data();
        if self.last == Some(status) {
            ([data[0], data[1], 0], n)
        } else {
            ([status, data[0], data[1]], n + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, FrameMeta};
    use crate::midi::{EventStream, Performance};
    use crate::token::Token::{Hold as H, Pitch as P};

    #[test]
    fn repeated_status_is_omitted() {
        let mut rs = RunningStatus::new();
        let mut buf = [0u8; 3];
        assert_eq!(rs.encode(&Message::NoteOn { channel: 0, key: 60, velocity: 64 }, &mut buf), Ok(3));
        assert_eq!(buf, [0x90, 60, 64]);
        assert_eq!(rs.encode(&Message::note_off(0, 60), &mut buf), Ok(2));
        assert_eq!(&buf[..2], &[60, 0]);
        assert_eq!(rs.encode(&Message::ProgramChange { channel: 0, program: 19 }, &mut buf), Ok(2));
        assert_eq!(&buf[..2], &[0xC0, 19]);
        assert_eq!(rs.encode(&Message::NoteOn { channel: 0, key: 60, velocity: 64 }, &mut buf[..2]), Err(BufferTooSmall));
        rs.reset();
        assert_eq!(rs.encode(&Message::ProgramChange { channel: 0, program: 19 }, &mut buf), Ok(2));
    }

    #[test]
    fn running_status_shortens_a_chorale() {
        let meta = FrameMeta::default();
        let frames: [Frame; 6] = core::array::from_fn(|i| Frame {
            tokens: [P(72 - i as u8), if i % 2 == 0 { P(65) } else { H }, H, P(48 + i as u8)],
            meta,
        });
        let p = Performance { channels: [0; 4], ..Performance::default() };
        let mut rs = RunningStatus::new();
        let mut wire = [0u8; 256];
        let (mut used, mut count) = (0, 0);
        for e in EventStream::new(&frames, &p) {
            used += rs.encode(&e.message, &mut wire[used..]).unwrap();
            count += 1;
        }
        // Every message is 3 bytes with a status byte (program changes 2); with running
        // status on one channel only the first note and the program change carry one.
        let plain = 4 * 2 + (count - 4) * 3;
        assert!(used < plain * 3 / 4, "running status saved too little: {used} of {plain}");
        assert_eq!(used, 4 * 2 - 3 + 1 + (count - 4) * 2);
        // The first byte after the programs is a note-on status, none after it.
        assert_eq!(wire[5], 0x90);
        assert!(wire[6..used].iter().all(|b| *b < 0x80));
    }

    #[test]
    fn writes_through_embedded_io() {
        let mut rs = RunningStatus::new();
        let mut out = [0u8; 8];
        let mut w: &mut [u8] = &mut out;
        assert_eq!(rs.write(&Message::NoteOn { channel: 3, key: 50, velocity: 70 }, &mut w), Ok(3));
        assert_eq!(rs.write(&Message::note_off(3, 50), &mut w), Ok(2));
        assert_eq!(&out[..5], &[0x93, 50, 70, 50, 0]);
    }
}
