//! Little-endian fields of a blob.

pub(crate) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

pub(crate) fn i32_at(b: &[u8], at: usize) -> i32 {
    u32_at(b, at) as i32
}

pub(crate) fn f32_at(b: &[u8], at: usize) -> f32 {
    f32::from_bits(u32_at(b, at))
}

/// Reinterprets bytes as int8.
pub(crate) fn as_i8(b: &[u8]) -> &[i8] {
    // SAFETY: i8 and u8 have the same size, alignment and validity.
    unsafe { core::slice::from_raw_parts(b.as_ptr() as *const i8, b.len()) }
}
