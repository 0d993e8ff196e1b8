//! The MIDI 1.0 channel messages a chorale needs.

/// A MIDI 1.0 channel message. Channels are 0..=15, data values 0..=127 (higher bits are
/// masked off when the message is put on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Message {
    /// Start a note. A note-on with velocity 0 ends the note (this is how Kantor writes
    /// note-offs, so that running status covers them too).
    NoteOn { channel: u8, key: u8, velocity: u8 },
    /// Choose an instrument (General MIDI program number, 0-based).
    ProgramChange { channel: u8, program: u8 },
    /// Controller change (e.g. 123 = all notes off).
    ControlChange { channel: u8, controller: u8, value: u8 },
}

/// Controller number of "all notes off".
pub const ALL_NOTES_OFF: u8 = 123;

impl Message {
    /// A note-off, written as note-on with velocity 0.
    pub const fn note_off(channel: u8, key: u8) -> Message {
        Message::NoteOn { channel, key, velocity: 0 }
    }

    /// True for a note-on with velocity 0.
    pub const fn is_note_off(&self) -> bool {
        matches!(self, Message::NoteOn { velocity: 0, .. })
    }

    /// The channel (0..=15).
    pub const fn channel(&self) -> u8 {
        match *self {
            Message::NoteOn { channel, .. }
            | Message::ProgramChange { channel, .. }
            | Message::ControlChange { channel, .. } => channel & 0x0F,
        }
    }

    /// The status byte (message kind in the high nibble, channel in the low one).
    pub const fn status(&self) -> u8 {
        let kind = match self {
            Message::NoteOn { .. } => 0x90,
            Message::ProgramChange { .. } => 0xC0,
            Message::ControlChange { .. } => 0xB0,
        };
        kind | self.channel()
    }

    /// The data bytes (each below 128) and how many of them there are (1 or 2).
    pub const fn data(&self) -> ([u8; 2], usize) {
        match *self {
            Message::NoteOn { key, velocity, .. } => ([key & 0x7F, velocity & 0x7F], 2),
            Message::ProgramChange { program, .. } => ([program & 0x7F, 0], 1),
            Message::ControlChange { controller, value, .. } => ([controller & 0x7F, value & 0x7F], 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_data_bytes() {
        let on = Message::NoteOn { channel: 2, key: 60, velocity: 90 };
        assert_eq!(on.status(), 0x92);
        assert_eq!(on.data(), ([60, 90], 2));
        assert!(Message::note_off(2, 60).is_note_off());
        assert!(!on.is_note_off());
        let pc = Message::ProgramChange { channel: 15, program: 200 };
        assert_eq!(pc.status(), 0xCF);
        assert_eq!(pc.data().0[0], 200 & 0x7F);
        assert_eq!(pc.data().1, 1);
        let cc = Message::ControlChange { channel: 17, controller: ALL_NOTES_OFF, value: 0 };
        assert_eq!(cc.status(), 0xB1, "channel is masked to four bits");
    }
}
