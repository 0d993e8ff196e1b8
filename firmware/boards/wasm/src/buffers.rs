//! The module's memory: every buffer is a static, handed out once per call.
//!
//! WebAssembly here runs one thread and the exported functions never call each other
//! while holding a buffer, so each `&'static mut` below is the only one alive while it is
//! used.

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use kantor_core::engine::{Aligned, Int8ScoreNet, Kernels};
use kantor_core::sampler::{Clamp, Workspace, FREE};
use kantor_core::{Frame, FrameMeta, Token};

use crate::sizes::{ARENA_BYTES, MAX_FRAMES};

/// The model blob, built in.
pub static BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/model.kq8")));

/// Bytes JavaScript writes before a call: the sampler settings text, then the melody.
pub const INPUT_BYTES: usize = 64 * 1024;
/// The longest MIDI file: at most eight messages of four bytes and a delta per frame,
/// plus the conductor's tempo changes and markers.
pub const MIDI_BYTES: usize = 48 * MAX_FRAMES + 4096;
/// The longest MusicXML text.
pub const XML_BYTES: usize = 4 * 1024 * 1024;
/// A sentence about what went wrong.
pub const MESSAGE_BYTES: usize = 512;

static mut ARENA: Aligned<[u8; ARENA_BYTES]> = Aligned([0; ARENA_BYTES]);
static mut WORK: [f32; Workspace::floats_needed(MAX_FRAMES)] = [0.0; Workspace::floats_needed(MAX_FRAMES)];
static mut INPUT: [u8; INPUT_BYTES] = [0; INPUT_BYTES];
static mut MIDI: [u8; MIDI_BYTES] = [0; MIDI_BYTES];
static mut XML: [u8; XML_BYTES] = [0; XML_BYTES];
static mut MESSAGE: [u8; MESSAGE_BYTES] = [0; MESSAGE_BYTES];
static mut PIECE: MaybeUninit<Piece> = MaybeUninit::uninit();
static mut NET: Option<Net> = None;
static mut READY: bool = false;

/// The int8 network over the built-in blob and the static arena.
pub type Net = Int8ScoreNet<&'static [u8], &'static mut [u8]>;

/// What one piece is made of, frame by frame.
pub struct Piece {
    pub metas: [FrameMeta; MAX_FRAMES],
    pub clamps: [Clamp; MAX_FRAMES],
    pub tokens: [[Token; 4]; MAX_FRAMES],
    pub frames: [Frame; MAX_FRAMES],
}

/// Every buffer at once.
pub struct Buffers {
    pub net: &'static mut Net,
    pub work: &'static mut [f32],
    pub input: &'static mut [u8; INPUT_BYTES],
    pub midi: &'static mut [u8; MIDI_BYTES],
    pub xml: &'static mut [u8; XML_BYTES],
    pub piece: &'static mut Piece,
}

/// The buffers, set up on first use: the network with `kernels` (the fastest set unless
/// asked otherwise), every frame initialised.
pub fn buffers() -> Result<Buffers, kantor_core::engine::EngineError> {
    // SAFETY: one thread, and no caller keeps a buffer across exported calls (see the
    // module documentation); the piece is initialised element by element in place before
    // any reference to it is made.
    unsafe {
        if !*addr_of_mut!(READY) {
            let piece = (*addr_of_mut!(PIECE)).as_mut_ptr();
            for i in 0..MAX_FRAMES {
                addr_of_mut!((*piece).metas[i]).write(FrameMeta::default());
                addr_of_mut!((*piece).clamps[i]).write(FREE);
                addr_of_mut!((*piece).tokens[i]).write([Token::Rest; 4]);
                addr_of_mut!((*piece).frames[i]).write(Frame::held(FrameMeta::default()));
            }
            *addr_of_mut!(READY) = true;
        }
        if (*addr_of_mut!(NET)).is_none() {
            use_kernels(Kernels::detect())?;
        }
        Ok(Buffers {
            net: (*addr_of_mut!(NET)).as_mut().expect("built above"),
            work: &mut *addr_of_mut!(WORK),
            input: &mut *addr_of_mut!(INPUT),
            midi: &mut *addr_of_mut!(MIDI),
            xml: &mut *addr_of_mut!(XML),
            piece: (*addr_of_mut!(PIECE)).assume_init_mut(),
        })
    }
}

/// Builds the network again with `kernels`.
pub fn use_kernels(kernels: Kernels) -> Result<(), kantor_core::engine::EngineError> {
    // SAFETY: as in `buffers`; the old network (and its borrow of the arena) is dropped
    // before the arena is borrowed again.
    unsafe {
        *addr_of_mut!(NET) = None;
        let arena: &'static mut [u8] = &mut (*addr_of_mut!(ARENA)).0;
        *addr_of_mut!(NET) = Some(Int8ScoreNet::with_kernels(&BLOB.0, arena, MAX_FRAMES, kernels)?);
    }
    Ok(())
}

/// The input buffer's address, for JavaScript to write into.
pub fn input_ptr() -> *mut u8 {
    addr_of_mut!(INPUT).cast()
}

/// The MIDI buffer's address.
pub fn midi_ptr() -> *const u8 {
    addr_of_mut!(MIDI).cast_const().cast()
}

/// The MusicXML buffer's address.
pub fn xml_ptr() -> *const u8 {
    addr_of_mut!(XML).cast_const().cast()
}

/// The message buffer's address.
pub fn message_ptr() -> *const u8 {
    addr_of_mut!(MESSAGE).cast_const().cast()
}

/// Writes `args` as the message (cut to the buffer); returns its length.
pub fn set_message(args: core::fmt::Arguments) -> usize {
    // SAFETY: as in `buffers`; only this function writes the message.
    let buf: &mut [u8; MESSAGE_BYTES] = unsafe { &mut *addr_of_mut!(MESSAGE) };
    let mut w = SliceWriter { buf, len: 0, full: false };
    let _ = core::fmt::write(&mut w, args);
    w.len
}

/// Text into a byte slice; `full` once something did not fit.
pub struct SliceWriter<'a> {
    pub buf: &'a mut [u8],
    pub len: usize,
    pub full: bool,
}

impl core::fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(s.as_bytes());
                self.len = end;
                Ok(())
            }
            None => {
                self.full = true;
                Err(core::fmt::Error)
            }
        }
    }
}
