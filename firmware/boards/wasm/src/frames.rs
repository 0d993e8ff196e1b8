//! Frames as bytes for JavaScript: tokens for drawing and playing, and a melody coming in.

use kantor_core::{Frame, Token};

/// Bytes per frame in `kantor_frames()`: the four tokens (soprano first; 0 hold, 1 rest,
/// else the MIDI pitch), the position in the bar, 1 under a fermata, the key signature
/// (fifths, signed) and the mode (0 major, 1 minor).
pub const FRAME_BYTES: usize = 8;

/// A token as one byte.
pub fn token_byte(t: Token) -> u8 {
    match t {
        Token::Hold => 0,
        Token::Rest => 1,
        Token::Pitch(p) => p,
    }
}

/// A byte as a token (pitches below 2 cannot be sung by any voice).
pub fn byte_token(b: u8) -> Token {
    match b {
        0 => Token::Hold,
        1 => Token::Rest,
        p => Token::Pitch(p),
    }
}

/// Writes `frames` into `out`, [`FRAME_BYTES`] each.
pub fn write_frames(frames: &[Frame], mode: u8, out: &mut [u8]) {
    for (f, b) in frames.iter().zip(out.chunks_exact_mut(FRAME_BYTES)) {
        for v in 0..4 {
            b[v] = token_byte(f.tokens[v]);
        }
        b[4] = f.meta.position_in_bar;
        b[5] = u8::from(f.meta.fermata);
        b[6] = f.meta.key.fifths as u8;
        b[7] = mode;
    }
}
