//! Little-endian int32 arrays of a blob's payload (records are read through
//! [`super::record`]).

pub(crate) fn i32_at(b: &[u8], at: usize) -> i32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    i32::from_le_bytes(w)
}

/// Reinterprets bytes as int8.
pub(crate) fn as_i8(b: &[u8]) -> &[i8] {
    // SAFETY: i8 and u8 have the same size, alignment and validity.
    unsafe { core::slice::from_raw_parts(b.as_ptr() as *const i8, b.len()) }
}
