//! The engine's two reinterpretations of bytes, kept beside the kernels (the only room of
//! the crate allowed `unsafe`): a blob's weights as int8, and the arena's convolution
//! scratch as int16.

/// Reinterprets bytes as int8.
pub(crate) fn as_i8(b: &[u8]) -> &[i8] {
    // SAFETY: i8 and u8 have the same size, alignment and validity.
    unsafe { core::slice::from_raw_parts(b.as_ptr() as *const i8, b.len()) }
}

/// The 2-aligned middle of `b` as int16.
pub(crate) fn as_i16_mut(b: &mut [u8]) -> &mut [i16] {
    // SAFETY: every bit pattern is a valid i16; `align_to_mut` only picks the aligned middle.
    let (_, middle, _) = unsafe { b.align_to_mut::<i16>() };
    middle
}
