//! The MIDI event stream: a chorale as time-stamped MIDI 1.0 messages (no heap).
