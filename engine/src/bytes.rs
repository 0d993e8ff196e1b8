//! Little-endian int32 arrays of a blob's payload (records are read through
//! [`super::record`]).

#![forbid(unsafe_code)]

pub(crate) fn i32_at(b: &[u8], at: usize) -> i32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    i32::from_le_bytes(w)
}

