// Sizes of the int8 score network next to this file, written by `kantor quantize`.
// A board sizes its static arena with one of these, e.g.
//   static mut ARENA: [u8; ARENA_BYTES_64] = [0; ARENA_BYTES_64];
// and `Int8ScoreNet::new` checks on start-up that it is large enough.

/// Size of `model.kq8` in bytes.
pub const MODEL_BYTES: usize = 268460;
/// Working memory for one evaluation at 16 frames.
pub const ARENA_BYTES_16: usize = 17473;
/// Working memory for one evaluation at 32 frames.
pub const ARENA_BYTES_32: usize = 28929;
/// Working memory for one evaluation at 64 frames.
pub const ARENA_BYTES_64: usize = 51841;
/// Working memory for one evaluation at 128 frames.
pub const ARENA_BYTES_128: usize = 97665;
/// Working memory for one evaluation at 256 frames.
pub const ARENA_BYTES_256: usize = 189313;
