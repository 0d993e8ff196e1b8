//! Fixed-size little-endian records, declared once and read and written from that one
//! declaration.
//!
//! The blob is a contract between two programs: `kantor quantize` writes it on a host, the
//! engine reads it on a board. When each side spells out byte offsets by hand, a field can
//! be added to one side only and the two drift apart without a compiler noticing. Here a
//! record is a struct listed field by field in [`record!`]; its size, its reader and its
//! writer all come from that list, in that order, with no padding between fields.

#![forbid(unsafe_code)]

/// A field of a record: a fixed number of little-endian bytes.
pub trait Field: Sized + Copy {
    /// Bytes the field takes.
    const BYTES: usize;
    /// Reads the field from the start of `b` (at least `BYTES` long).
    fn read(b: &[u8]) -> Self;
    /// Writes the field to the start of `b` (at least `BYTES` long).
    fn write(self, b: &mut [u8]);
}

macro_rules! little_endian {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const BYTES: usize = core::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                let mut w = [0u8; core::mem::size_of::<$t>()];
                w.copy_from_slice(&b[..Self::BYTES]);
                <$t>::from_le_bytes(w)
            }
            fn write(self, b: &mut [u8]) {
                b[..Self::BYTES].copy_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

little_endian!(u8, u16, u32, i32, f32);

impl<const N: usize> Field for [u8; N] {
    const BYTES: usize = N;
    fn read(b: &[u8]) -> Self {
        let mut w = [0u8; N];
        w.copy_from_slice(&b[..N]);
        w
    }
    fn write(self, b: &mut [u8]) {
        b[..N].copy_from_slice(&self);
    }
}

/// Declares records: each struct gets `BYTES`, `read` (from a slice at least that long)
/// and `to_bytes`, all following the field list.
macro_rules! record {
    ($(
        $(#[$meta:meta])*
        pub struct $name:ident { $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty ),* $(,)? }
    )*) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq)]
        pub struct $name { $( $(#[$fmeta])* pub $field: $ty ),* }

        impl $name {
            /// Bytes of the record.
            pub const BYTES: usize = 0 $( + <$ty as $crate::record::Field>::BYTES )*;

            /// Reads the record from the start of `b`, which must hold at least
            /// [`Self::BYTES`] bytes.
            pub fn read(b: &[u8]) -> Self {
                let mut _at = 0;
                $(
                    let $field = <$ty as $crate::record::Field>::read(&b[_at..]);
                    _at += <$ty as $crate::record::Field>::BYTES;
                )*
                $name { $($field),* }
            }

            /// The record's bytes.
            pub fn to_bytes(&self) -> [u8; $name::BYTES] {
                let mut b = [0u8; $name::BYTES];
                let mut _at = 0;
                $(
                    $crate::record::Field::write(self.$field, &mut b[_at..]);
                    _at += <$ty as $crate::record::Field>::BYTES;
                )*
                b
            }
        }
    )*};
}

pub(crate) use record;

#[cfg(test)]
mod tests {
    record! {
        /// A record with one field of every kind.
        pub struct Sample {
            pub a: u8,
            pub b: u16,
            pub c: u32,
            pub d: i32,
            pub e: f32,
            pub f: [u8; 3],
        }
    }

    #[test]
    fn fields_follow_each_other_little_endian_without_padding() {
        assert_eq!(Sample::BYTES, 1 + 2 + 4 + 4 + 4 + 3);
        let s = Sample { a: 1, b: 0x0302, c: 0x0706_0504, d: -2, e: 1.0, f: [9, 8, 7] };
        let bytes = s.to_bytes();
        assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7, 0xFE, 0xFF, 0xFF, 0xFF, 0, 0, 0x80, 0x3F, 9, 8, 7]);
        assert_eq!(Sample::read(&bytes), s);
    }
}
