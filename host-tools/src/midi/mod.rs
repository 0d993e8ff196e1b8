//! Standard MIDI Files: writing chorales (through the device core's event stream) and
//! reading melodies and chorales back.
