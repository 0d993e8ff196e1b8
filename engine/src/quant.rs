//! How a quantised tensor is stored: element type and zero point ([`Q`]), one element's
//! load and store, and a requantisation as a Q31 multiplier and a shift ([`Requant`]).

#![forbid(unsafe_code)]

/// Storage type of an activation tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Elem {
    I8,
    I16,
}

impl Elem {
    /// Bytes per element.
    pub const fn bytes(self) -> usize {
        match self {
            Elem::I8 => 1,
            Elem::I16 => 2,
        }
    }
    pub const fn min(self) -> i32 {
        match self {
            Elem::I8 => i8::MIN as i32,
            Elem::I16 => i16::MIN as i32,
        }
    }
    pub const fn max(self) -> i32 {
        match self {
            Elem::I8 => i8::MAX as i32,
            Elem::I16 => i16::MAX as i32,
        }
    }
}

/// How a kernel reads or writes one tensor: element type and zero point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Q {
    pub elem: Elem,
    pub zp: i32,
}

impl Q {
    /// Output clamp: the element's range, from the zero point up with a folded ReLU.
    pub fn clamp(self, relu: bool) -> (i32, i32) {
        (if relu { self.zp } else { self.elem.min() }, self.elem.max())
    }
}

/// Requantisation shared by several ops: Q31 multiplier and shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    pub multiplier: i32,
    pub shift: i32,
}

/// Element `i` of a buffer.
#[inline(always)]
pub fn load(b: &[u8], i: usize, e: Elem) -> i32 {
    match e {
        Elem::I8 => b[i] as i8 as i32,
        Elem::I16 => i16::from_le_bytes([b[2 * i], b[2 * i + 1]]) as i32,
    }
}

/// Writes element `i` (already in range).
#[inline(always)]
pub fn store(b: &mut [u8], i: usize, e: Elem, v: i32) {
    match e {
        Elem::I8 => b[i] = v as i8 as u8,
        Elem::I16 => b[2 * i..2 * i + 2].copy_from_slice(&(v as i16).to_le_bytes()),
    }
}
