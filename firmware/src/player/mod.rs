//! The board application: button, LED, composing and playing over serial MIDI, written against embedded-hal traits.
