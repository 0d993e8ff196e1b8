//! Command-line numbers with a range: a clap value parser that refuses values outside it
//! (and NaN and infinities) with a message naming the range.
//!
//! Each option's help states the same range as `[range: LOW to HIGH]` (or `[range: more
//! than LOW, up to HIGH]`); a test checks that the help and the parser agree.

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use std::fmt::Display;
use std::str::FromStr;

/// A number type the parser handles.
pub trait Number: Copy + PartialOrd + Display + FromStr + Send + Sync + 'static {
    fn is_finite(self) -> bool;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn is_finite(self) -> bool {
                true
            }
        }
    )*};
}
integer!(u8, u16, u32, u64, usize, i32);

impl Number for f32 {
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
}

impl Number for f64 {
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

/// Numbers from `low` to `high`; `low` itself is excluded when `low_open`.
#[derive(Clone, Copy, Debug)]
pub struct InRange<T> {
    pub low: T,
    pub high: T,
    pub low_open: bool,
}

/// Numbers from `low` to `high`, both included.
pub const fn within<T>(low: T, high: T) -> InRange<T> {
    InRange { low, high, low_open: false }
}

/// Numbers above `low` up to `high` (included).
pub const fn above<T>(low: T, high: T) -> InRange<T> {
    InRange { low, high, low_open: true }
}

impl<T: Number> InRange<T> {
    /// The range in words, as the help states it.
    pub fn describe(&self) -> String {
        if self.low_open {
            format!("more than {}, up to {}", self.low, self.high)
        } else {
            format!("{} to {}", self.low, self.high)
        }
    }

    /// Why `v` is not in the range, if it is not.
    fn why_not(&self, v: T) -> Option<String> {
        let low_ok = if self.low_open { v > self.low } else { v >= self.low };
        if !v.is_finite() {
            Some(format!("not a finite number; expected {}", self.describe()))
        } else if !low_ok || v > self.high {
            Some(format!("out of range; expected {}", self.describe()))
        } else {
            None
        }
    }

    /// `v` itself, or why it is not in the range (for numbers read from files).
    pub fn check_value(&self, v: T) -> Result<T, String> {
        match self.why_not(v) {
            Some(why) => Err(format!("{v} is {why}")),
            None => Ok(v),
        }
    }

    /// `text` as a number in the range, or why not.
    pub fn check(&self, text: &str) -> Result<T, String> {
        let v: T = text.trim().parse().map_err(|_| format!("not a number; expected {}", self.describe()))?;
        match self.why_not(v) {
            Some(why) => Err(why),
            None => Ok(v),
        }
    }
}

impl<T: Number> TypedValueParser for InRange<T> {
    type Value = T;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &std::ffi::OsStr) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        self.check(&text).map_err(|why| {
            let name = arg.map_or_else(|| "value".to_string(), |a| a.get_long().map_or_else(|| a.get_id().to_string(), |l| format!("--{l}")));
            clap::Error::raw(ErrorKind::ValueValidation, format!("invalid value '{text}' for '{name}': {why}\n")).with_cmd(cmd)
        })
    }
}

/// A seed: any 64-bit number.
pub const SEED: InRange<u64> = within(0, u64::MAX);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_nan_and_infinity() {
        let r = above(0.0f64, 1.0);
        assert_eq!(r.check("1"), Ok(1.0));
        assert_eq!(r.check("0.5"), Ok(0.5));
        for bad in ["0", "-1", "1.0001", "nan", "NaN", "inf", "-inf", "infinity", "", "one"] {
            assert!(r.check(bad).is_err(), "{bad:?} accepted");
        }
        let n = within(1usize, 10);
        assert_eq!(n.check("1"), Ok(1));
        assert_eq!(n.check("10"), Ok(10));
        assert!(n.check("0").is_err() && n.check("11").is_err() && n.check("100000000").is_err());
        assert_eq!(n.check("11").unwrap_err(), "out of range; expected 1 to 10");
    }
}
